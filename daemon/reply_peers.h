// The peers a `reply: true` UDP endpoint answers: a table of at most reply_max_peers source
// addresses with the time each was last heard from. A peer already in the table only has its
// time refreshed. A new source is admitted when a token bucket of admissions has a token
// (kAdmissionsPerSecond, up to kAdmissionBurst at once) and the table has a free place or a
// peer silent for longer than reply_window, whose place it takes (the stalest such peer).
// Otherwise the source is refused: a peer still talking is never pushed out by newcomers, so
// a burst of spoofed sources cannot evict the real peers or be answered in their thousands.
//
// A plain value owned by one UdpEndpoint, used on the loop thread; time comes from the caller
// (so tests can drive it). It logs nothing: the endpoint decides what to tell people.
#pragma once

#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace oscbridge::daemon {

class ReplyPeers {
 public:
  using Clock = std::chrono::steady_clock;
  // New peers per second, and how many may arrive at once (the bucket's size). A studio's
  // tablets starting together fit in the burst; one refused now is admitted on a later
  // message, since its datagrams are routed all the same.
  static constexpr double kAdmissionsPerSecond = 16.0;
  static constexpr double kAdmissionBurst = 16.0;

  enum class Outcome {
    known,         // already a peer; its time is refreshed
    admitted,      // a new peer, in a free place
    replaced,      // a new peer, in the place of a peer silent for longer than the window
    refused_full,  // every place holds a peer heard within the window
    refused_rate,  // more new sources than the admission rate allows
  };

  ReplyPeers(std::size_t max_peers, std::chrono::milliseconds window);

  // Notes a datagram from source at now. For Outcome::replaced, *replaced (when given) is set
  // to the address of the peer that was forgotten.
  Outcome hear(const sockaddr_storage& source, Clock::time_point now,
               sockaddr_storage* replaced = nullptr);

  // New limits (a reload). A smaller table forgets its stalest peers until they fit; forgotten
  // is called with each one's address.
  template <class Forgotten>
  void set_limits(std::size_t max_peers, std::chrono::milliseconds window, Forgotten forgotten) {
    max_peers_ = max_peers;
    window_ = window;
    while (peers_.size() > max_peers_) {
      auto stalest = find_stalest();
      forgotten(stalest->second.address);
      peers_.erase(stalest);
    }
  }

  // Calls send(address) for every peer heard within the window at now, and forgotten(address)
  // for every other one, which is then no longer a peer.
  template <class Send, class Forgotten>
  void for_each_current(Clock::time_point now, Send send, Forgotten forgotten) {
    for (auto peer = peers_.begin(); peer != peers_.end();) {
      if (now - peer->second.last_heard > window_) {
        forgotten(peer->second.address);
        peer = peers_.erase(peer);
        continue;
      }
      send(peer->second.address);
      ++peer;
    }
  }

  // Every peer in the table, current or not, for status.
  template <class Visit>
  void for_each(Visit visit) const {
    for (const auto& [key, peer] : peers_) visit(peer.address);
  }

  // Whether two addresses are the same peer (family, address and port).
  static bool same_peer(const sockaddr_storage& a, const sockaddr_storage& b) {
    return key_of(a) == key_of(b);
  }

  std::size_t size() const { return peers_.size(); }
  std::size_t max_peers() const { return max_peers_; }
  void clear() { peers_.clear(); }

 private:
  // A peer's address as a hashable key: family, port and address bytes.
  struct Key {
    std::array<std::uint8_t, 20> bytes{};
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const;
  };
  struct Peer {
    sockaddr_storage address;
    Clock::time_point last_heard;
  };
  using Table = std::unordered_map<Key, Peer, KeyHash>;

  static Key key_of(const sockaddr_storage& source);
  bool take_token(Clock::time_point now);
  Table::iterator find_stalest();

  std::size_t max_peers_;
  std::chrono::milliseconds window_;
  Table peers_;
  double tokens_ = kAdmissionBurst;
  Clock::time_point refilled_{};
};

}  // namespace oscbridge::daemon

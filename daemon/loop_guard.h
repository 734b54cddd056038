// LoopGuard: loop detection (`loop_guard:` on an endpoint, on by default). A loop is an
// address the daemon sends to an endpoint that keeps coming back from that endpoint (a device
// or program that reflects or forwards what it gets, changed or not, however late within a
// second) and is routed on again. Echo suppression (echo_guard.h) drops exact copies within
// echo_window; this catches what it cannot: values that change on the way round (a forwarder
// adding 1) and returns later than the window.
//
// A *return* is a message with address A arriving from endpoint E when the daemon sent A to E
// within kReturnWindow (and not last from the very peer it now comes from: that is a peer going
// on with its stream, mirrored to the other peers of its endpoint), or arriving (at any endpoint)
// from a peer that endpoint D sends to when the daemon sent A to D (a relay that forwards what D
// sends into another endpoint; the router knows D's destinations when they are written as IP
// addresses). When returns of A from E reach E's threshold within one second, A from E is dropped
// (DropReason::loop), which breaks the circle, until no A has come from E for kCalm; then it passes
// again (and a loop that starts again is caught again). The first block of (E, A) in kWarnEvery
// asks the router for one warning. A stream that only flows one way never returns and is never
// flagged, whatever its rate; a surface and a program that echo each other's values in the same
// address space return at most at the rate a hand moves a fader, below the default threshold
// (config::kDefaultLoopGuard per second).
//
// Only what is sent to an endpoint that was heard from (directly, or from a peer it sends to)
// within kReturnWindow is noted: a loop makes its endpoints heard from at once, and a
// destination that never answers costs one comparison per message.
//
// Bounded: kCapacity (destination endpoint, address) pairs, least recently used replaced
// (address_table.h). A known address costs a hash lookup per message sent and received and
// allocates nothing; a new one allocates its map entry once.
//
// Ownership and threading: a plain value owned by the Router (rebuilt, so reset, on reload);
// loop thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include "daemon/address_table.h"

namespace oscbridge::daemon {

class LoopGuard {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kCapacity = 4096;
  static constexpr Clock::duration kReturnWindow = std::chrono::seconds(1);
  static constexpr Clock::duration kCalm = std::chrono::seconds(1);
  static constexpr Clock::duration kWarnEvery = std::chrono::seconds(60);
  static constexpr std::uint32_t kNoEndpoint = UINT32_MAX;

  enum class Verdict {
    pass,
    drop,           // part of a loop already told
    drop_new_loop,  // a loop just found: the router warns (cause() says what sent it there)
  };
  // What last sent an address to the endpoint it came back from: for the warning.
  struct Cause {
    std::uint32_t route = 0;
    std::uint32_t from = kNoEndpoint;  // the endpoint the message came from
    std::uint32_t returns = 0;         // returns counted within the second
  };

  // thresholds[i]: returns per second from endpoint i that make a loop; 0 = not guarded.
  explicit LoopGuard(std::vector<std::uint32_t> thresholds, std::size_t capacity = kCapacity);
  LoopGuard(const LoopGuard&) = delete;
  LoopGuard& operator=(const LoopGuard&) = delete;

  bool guards(std::size_t endpoint) const {
    return endpoint < thresholds_.size() && thresholds_[endpoint] != 0;
  }
  bool guards_any() const { return any_; }
  // Something arrived from endpoint (or from a peer it sends to). Only what is sent to an
  // endpoint heard from within kReturnWindow is noted: a destination that never answers (most
  // of them) costs a comparison per message, and a loop is still caught once it goes round.
  void heard_from(std::size_t endpoint, Clock::time_point now) { heard_[endpoint] = now; }
  bool worth_noting(std::size_t destination, Clock::time_point now) const {
    return now - heard_[destination] <= kReturnWindow;
  }
  // The daemon sent address to destination (a guarded endpoint) by route, from endpoint from
  // and its peer (peer_key()).
  void sent(std::size_t destination, std::string_view address, std::uint32_t route,
            std::uint32_t from, std::uint64_t from_peer, Clock::time_point now);
  // A message with address arrived from endpoint sent_to (a guarded one): from its peer
  // from_peer, which is no return when the address was last sent there from that same peer (a
  // peer going on with its stream, passed to the other peers of its endpoint). Or it arrived
  // from a peer that endpoint sent_to sends to (from_peer: kAnyPeer).
  Verdict arrived(std::size_t sent_to, std::string_view address, std::uint64_t from_peer,
                  Clock::time_point now);
  static constexpr std::uint64_t kAnyPeer = UINT64_MAX;
  // After drop_new_loop: why.
  const Cause& cause() const { return cause_; }

  std::size_t size() const { return table_.size(); }
  std::uint64_t evicted() const { return table_.evicted(); }

 private:
  struct Entry {
    Clock::time_point sent_at{};
    std::uint32_t route = 0;
    std::uint32_t from = kNoEndpoint;
    std::uint64_t from_peer = 0;
    Clock::time_point second_start{};  // counting returns within one second from here
    std::uint32_t returns = 0;
    bool blocked = false;
    Clock::time_point last_arrival{};
    Clock::time_point warned_at{};
    bool warned = false;
  };

  std::vector<std::uint32_t> thresholds_;
  std::vector<Clock::time_point> heard_;  // by endpoint; the epoch: never
  bool any_ = false;
  AddressTable<Entry> table_;
  Cause cause_;
};

// A number that tells peers apart (address family, address and port), for LoopGuard.
std::uint64_t peer_key(const sockaddr_storage& peer);

}  // namespace oscbridge::daemon

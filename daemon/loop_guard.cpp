#include "daemon/loop_guard.h"

#include <netinet/in.h>

#include <cstring>
#include <functional>
#include <string_view>
#include <utility>

namespace oscbridge::daemon {

LoopGuard::LoopGuard(std::vector<std::uint32_t> thresholds, std::size_t capacity)
    : thresholds_(std::move(thresholds)),
      heard_(thresholds_.size(), Clock::time_point(Clock::duration::min() / 2)),
      table_(capacity) {
  for (auto threshold : thresholds_) any_ = any_ || threshold != 0;
}

void LoopGuard::sent(std::size_t destination, std::string_view address, std::uint32_t route,
                     std::uint32_t from, std::uint64_t from_peer, Clock::time_point now) {
  bool added = false;
  const auto slot = table_.find_or_add(destination, address, added);
  if (slot == AddressTable<Entry>::kNone) return;  // never: nothing is pinned
  Entry& entry = table_.value(slot);
  entry.sent_at = now;
  entry.route = route;
  entry.from = from;
  entry.from_peer = from_peer;
}

LoopGuard::Verdict LoopGuard::arrived(std::size_t sent_to, std::string_view address,
                                      std::uint64_t from_peer, Clock::time_point now) {
  const auto slot = table_.find(sent_to, address);
  if (slot == AddressTable<Entry>::kNone) return Verdict::pass;  // never sent there
  Entry& entry = table_.value(slot);
  if (entry.blocked) {
    // Blocked until it has been quiet for kCalm: while the loop goes on, every turn keeps it.
    if (now - entry.last_arrival < kCalm) {
      entry.last_arrival = now;
      return Verdict::drop;
    }
    entry.blocked = false;
    entry.returns = 0;
  }
  entry.last_arrival = now;
  if (now - entry.sent_at > kReturnWindow) return Verdict::pass;
  if (from_peer != kAnyPeer && entry.from == sent_to && entry.from_peer == from_peer) {
    return Verdict::pass;
  }
  if (entry.returns == 0 || now - entry.second_start >= std::chrono::seconds(1)) {
    entry.second_start = now;
    entry.returns = 0;
  }
  if (++entry.returns < thresholds_[sent_to]) return Verdict::pass;
  entry.blocked = true;
  cause_ = Cause{entry.route, entry.from, entry.returns};
  entry.returns = 0;
  if (entry.warned && now - entry.warned_at < kWarnEvery) return Verdict::drop;
  entry.warned = true;
  entry.warned_at = now;
  return Verdict::drop_new_loop;
}

std::uint64_t peer_key(const sockaddr_storage& peer) {
  if (peer.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(peer);
    return (std::uint64_t{AF_INET} << 48) | (std::uint64_t{v4.sin_port} << 32) | v4.sin_addr.s_addr;
  }
  if (peer.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(peer);
    char bytes[sizeof v6.sin6_addr + sizeof v6.sin6_port];
    std::memcpy(bytes, &v6.sin6_addr, sizeof v6.sin6_addr);
    std::memcpy(bytes + sizeof v6.sin6_addr, &v6.sin6_port, sizeof v6.sin6_port);
    // Never kAnyPeer; a collision only makes a return look like a peer's own stream.
    return std::hash<std::string_view>{}(std::string_view(bytes, sizeof bytes)) >> 1;
  }
  return 0;
}

}  // namespace oscbridge::daemon

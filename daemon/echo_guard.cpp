#include "daemon/echo_guard.h"

#include <netinet/in.h>

#include <cstring>
#include <functional>

namespace oscbridge::daemon {

namespace {

// A message with no arguments or only T F N I: a button press, which users repeat and
// surfaces mirror without any value to fight over, so it is never taken for an echo.
bool is_trigger(std::string_view message) {
  const auto end = message.find('\0');
  if (end == std::string_view::npos) return true;
  const std::size_t tags = (end + 4) & ~std::size_t{3};
  if (tags >= message.size() || message[tags] != ',') return true;  // no type-tag string
  const auto tags_end = message.find('\0', tags);
  return message.substr(tags + 1, tags_end - tags - 1).find_first_not_of("TFNI") ==
         std::string_view::npos;
}

}  // namespace

bool same_peer(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
    return x.sin6_port == y.sin6_port &&
           std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0 &&
           x.sin6_scope_id == y.sin6_scope_id;
  }
  return a.ss_family == AF_UNSPEC;
}

void EchoGuard::sent(std::string_view message, const Origin* origin, Clock::time_point now) {
  if (!enabled() || is_trigger(message)) return;
  if (slots_.empty()) {
    // Room for typical messages up front, so that filling the ring allocates nothing later.
    slots_.resize(kEchoSlots);
    for (Slot& slot : slots_) slot.bytes.reserve(kReservedBytes);
  }
  newest_ = (newest_ + 1) % slots_.size();
  Slot& slot = slots_[newest_];
  slot.at = now;
  slot.hash = std::hash<std::string_view>{}(message);
  slot.live = true;
  slot.bytes.assign(message);
  slot.source = origin != nullptr ? origin->endpoint : nullptr;
  if (origin != nullptr) slot.source_peer = origin->peer;
}

bool EchoGuard::take_echo(std::string_view message, const Origin& from, Clock::time_point now) {
  if (!enabled() || slots_.empty() || is_trigger(message)) return false;
  const auto since = now - window_;
  std::uint64_t hash = 0;
  bool hashed = false;
  for (std::size_t step = 0; step < slots_.size(); ++step) {
    Slot& slot = slots_[(newest_ + slots_.size() - step) % slots_.size()];
    // The ring is in sending order: past the window, everything older is too.
    if (slot.at < since || slot.at == Clock::time_point{}) break;
    if (!slot.live || slot.bytes.size() != message.size()) continue;
    if (!hashed) {
      hash = std::hash<std::string_view>{}(message);
      hashed = true;
    }
    if (slot.hash != hash || slot.bytes != message) continue;
    if (slot.source == from.endpoint && same_peer(slot.source_peer, from.peer)) continue;
    slot.live = false;
    return true;
  }
  return false;
}

}  // namespace oscbridge::daemon

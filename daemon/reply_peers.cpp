#include "daemon/reply_peers.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace oscbridge::daemon {

std::size_t ReplyPeers::KeyHash::operator()(const Key& key) const {
  // FNV-1a: a short key; no need for anything stronger.
  std::size_t hash = 1469598103934665603ull;
  for (auto byte : key.bytes) hash = (hash ^ byte) * 1099511628211ull;
  return hash;
}

ReplyPeers::ReplyPeers(std::size_t max_peers, std::chrono::milliseconds window)
    : max_peers_(max_peers), window_(window) {}

ReplyPeers::Key ReplyPeers::key_of(const sockaddr_storage& source) {
  Key key;
  key.bytes[0] = static_cast<std::uint8_t>(source.ss_family);
  if (source.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&source);
    std::memcpy(&key.bytes[2], &v4->sin_port, 2);
    std::memcpy(&key.bytes[4], &v4->sin_addr, 4);
  } else {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(&source);
    std::memcpy(&key.bytes[2], &v6->sin6_port, 2);
    std::memcpy(&key.bytes[4], &v6->sin6_addr, 16);
  }
  return key;
}

bool ReplyPeers::take_token(Clock::time_point now) {
  std::chrono::duration<double> elapsed = now - refilled_;
  tokens_ = std::min(kAdmissionBurst, tokens_ + elapsed.count() * kAdmissionsPerSecond);
  refilled_ = now;
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

ReplyPeers::Table::iterator ReplyPeers::find_stalest() {
  return std::min_element(peers_.begin(), peers_.end(), [](const auto& a, const auto& b) {
    return a.second.last_heard < b.second.last_heard;
  });
}

ReplyPeers::Outcome ReplyPeers::hear(const sockaddr_storage& source, Clock::time_point now,
                                     sockaddr_storage* replaced) {
  Key key = key_of(source);
  if (auto found = peers_.find(key); found != peers_.end()) {
    found->second.last_heard = now;
    return Outcome::known;
  }
  // Every admission takes a token, and so does every search of a full table for a silent
  // peer: a flood of new sources costs a hash lookup each, not a scan of the table.
  const bool full = peers_.size() >= max_peers_;
  if (!take_token(now)) return full ? Outcome::refused_full : Outcome::refused_rate;
  Outcome outcome = Outcome::admitted;
  if (full) {
    auto stalest = find_stalest();
    if (now - stalest->second.last_heard <= window_) return Outcome::refused_full;
    if (replaced != nullptr) *replaced = stalest->second.address;
    peers_.erase(stalest);
    outcome = Outcome::replaced;
  }
  peers_.emplace(key, Peer{source, now});
  return outcome;
}

}  // namespace oscbridge::daemon

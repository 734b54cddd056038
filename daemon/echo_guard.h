// EchoGuard: what the daemon sent to one endpoint within its echo_window, so that the same
// message coming back from that endpoint (a motorised fader confirming its position, a DAW's
// feedback) is recognised as an echo and dropped instead of bouncing between the two.
// Equal means byte for byte: address, type tags and arguments (floats compared exactly).
// A message the endpoint itself sent, routed back to it (`from: x, to: x`, reply: others),
// is no echo when the same peer sends it again: that is the peer repeating itself.
// Each match is forgotten once found, so a second identical message is not an echo. Triggers
// (no arguments, or only T F N I) are never echoes: users repeat button presses, and several
// peers of one endpoint say the same /hello. Only messages an endpoint took count as sent.
//
// Bounded: a ring of the last kEchoSlots messages sent (made at the first send), searched
// newest first and only as far back as the window; when more than that are sent within one
// window, the oldest are no longer recognised. Steady state allocates nothing (about 40 KiB
// per endpoint the daemon sends to, made at the first send).
//
// Ownership and threading: a plain value, one per endpoint, owned by the Router; loop thread
// only.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/endpoint.h"

namespace oscbridge::daemon {

class EchoGuard {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kEchoSlots = 256;
  static constexpr std::size_t kReservedBytes = 128;  // per slot; larger messages grow it once

  explicit EchoGuard(std::chrono::milliseconds window = {}) : window_(window) {}

  bool enabled() const { return window_.count() > 0; }
  // Whether anything was ever sent here: until then nothing can be an echo (and the caller
  // need not read the clock).
  bool remembers_any() const { return !slots_.empty(); }
  // The daemon sent message (from origin, which may be null) to this guard's endpoint.
  void sent(std::string_view message, const Origin* origin, Clock::time_point now);
  // Whether message, arriving from `from`, is the echo of one sent within the window; a
  // match is forgotten.
  bool take_echo(std::string_view message, const Origin& from, Clock::time_point now);

 private:
  struct Slot {
    Clock::time_point at{};
    std::uint64_t hash = 0;
    bool live = false;
    std::string bytes;
    const Endpoint* source = nullptr;  // where the message came from, to tell a repeat
    sockaddr_storage source_peer{};
  };

  std::chrono::milliseconds window_;
  std::vector<Slot> slots_;
  std::size_t newest_ = 0;
};

// Same family, address and port (AF_UNSPEC equals AF_UNSPEC).
bool same_peer(const sockaddr_storage& a, const sockaddr_storage& b);

}  // namespace oscbridge::daemon

// Resolver: name lookups for the loop thread that never block it. Each lookup runs
// getaddrinfo on a thread of its own (getaddrinfo cannot be cancelled or polled) and posts the
// result back; a lookup slower than its timeout reports Errc::timed_out and its late result is
// discarded. Literal addresses resolve at once, without a thread, but still call back later
// (never from inside resolve()), so callers have one code path.
//
// Ownership: the owner keeps the Resolver alive while it wants callbacks; destroying it
// cancels every pending lookup (no callback runs after), and threads still inside getaddrinfo
// finish on their own without touching the loop. Must be destroyed before its EventLoop.
// Threading: resolve() and cancel() on the loop thread; callbacks run there.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "socket/errors.h"
#include "socket/socket.h"

namespace oscbridge::socket {

class EventLoop;

struct Resolution {
  std::vector<sockaddr_storage> addresses;  // in the resolver's order; empty on error
  std::error_code error;                    // Errc::unresolved, Errc::timed_out, ...
  std::string message;                      // for people: "cannot resolve 'mixer': ..."
};

class Resolver {
 public:
  using RequestId = std::uint64_t;
  using Callback = std::function<void(Resolution)>;

  explicit Resolver(EventLoop& loop);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // host: literal, "[v6]" or a name. family AF_INET / AF_INET6 asks for addresses a socket of
  // that family can use (for AF_INET6, IPv4 results come back IPv4-mapped); AF_UNSPEC takes
  // what the resolver gives. The callback runs exactly once unless cancelled. A negative
  // timeout waits as long as getaddrinfo does.
  RequestId resolve(std::string_view host, std::uint16_t port, Protocol protocol, int family,
                    std::chrono::milliseconds timeout, Callback callback);
  void cancel(RequestId id);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace oscbridge::socket

// Connector: makes one outgoing TCP connection without blocking the loop: the name through
// the Resolver, then a non-blocking connect() to each address in turn, all within one timeout.
// Success hands over a Connection; failure an error code and a message for people. No thread
// per attempt. Retrying (with backoff) is the caller's policy.
//
// Ownership: destroying the Connector (or cancel()) abandons an attempt in progress; no
// callback runs after. Threading: loop thread only; the callback runs on the loop thread,
// never from inside connect().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "socket/connection.h"

namespace oscbridge::socket {

class EventLoop;
class Resolver;

class Connector {
 public:
  struct Result {
    std::unique_ptr<Connection> connection;  // set on success, already watched
    std::error_code error;                   // ECONNREFUSED, Errc::timed_out, Errc::unresolved...
    std::string message;                     // "cannot connect to mixer:3032: Connection refused"
  };
  using Callback = std::function<void(Result)>;

  Connector(EventLoop& loop, Resolver& resolver);
  ~Connector();
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

  // Starts an attempt (cancelling one in progress). The connection gets limits and handlers.
  // timeout covers the lookup and every connect; negative: no limit but the system's.
  void connect(std::string_view host, std::uint16_t port, std::chrono::milliseconds timeout,
               ConnectionLimits limits, Connection::Handlers handlers, Callback done);
  void cancel();
  bool in_progress() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace oscbridge::socket

// ControlServer: the daemon's control socket, a Unix stream socket on the daemon's loop that
// speaks JSON lines (docs/control.md): `status`, `reload` and `tap` requests, one reply line
// each, and for `tap` a stream of event lines until the client goes.
//
// Bounded: at most kMaxClients clients (more are accepted and closed), requests up to
// kMaxRequest bytes, and each client's unsent output up to kQueueLimit bytes, beyond which a
// tap line is missed (counted and told), never waited for: a client that does not read never
// slows routing.
//
// The socket file: a stale one left by a daemon that died is replaced; one a live daemon
// answers on is not (open() says so); the file is created mode 0660 and removed on close.
//
// Ownership and threading: owned by the service; all on the loop thread. It holds the TapHub
// and handlers it was given, which must outlive it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "daemon/runtime.h"
#include "daemon/tap.h"
#include "socket/event_loop.h"

namespace oscbridge::daemon {

struct ControlHandlers {
  std::function<StatusSnapshot()> status;
  std::function<ApplyResult()> reload;  // as SIGHUP does, telling systemd too
};

class ControlServer {
 public:
  static constexpr std::size_t kMaxClients = 256;
  static constexpr std::size_t kMaxRequest = 64 * 1024;
  static constexpr std::size_t kQueueLimit = 256 * 1024;

  ControlServer(socket::EventLoop& loop, TapHub& taps, ControlHandlers handlers);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds and listens at path. Returns "" or why not (nothing is left open then).
  std::string open(const std::string& path);
  const std::string& path() const { return path_; }
  std::size_t clients() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

}  // namespace oscbridge::daemon

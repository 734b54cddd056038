// HttpServer: the read-only web dashboard and HTTP API (docs/http.md): GET / (the page, built
// into the binary), /api/status (the JSON of `oscbridge status --json`), /metrics (Prometheus
// text), and two server-sent-event streams the page listens to: /api/events (the status once a
// second) and /api/tap (tapped messages, TapHub's JSON lines). Nothing served changes the
// daemon.
//
// Threading: civetweb serves on its own threads, one per connection, at most max_clients
// requests at once (one more thread answers 503 beyond that). Those threads never touch the
// runtime: they post a task to the loop (socket::EventLoop::post) and wait, with a timeout, for
// its result: a copy of the status snapshot, or a tap added to the TapHub. At most one such
// task per connection is outstanding, so what is posted stays bounded. Tapped lines go to each
// tap stream's bounded queue; a full queue refuses the line (TapHub counts it and says
// "missed"), so a browser that reads slowly gets dropped updates and never slows routing.
//
// Ownership: owned by the daemon's Service on the loop thread, created, opened, updated and
// destroyed there. The TapHub and the handlers must outlive it. Destroying it stops civetweb
// (joining its threads, which give up waiting for the loop as soon as it stops) and removes its
// taps.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "daemon/runtime.h"
#include "daemon/tap.h"
#include "socket/event_loop.h"

struct mg_context;

namespace oscbridge::daemon {

struct HttpHandlers {
  std::function<StatusSnapshot()> status;  // called on the loop thread
};

class HttpServer {
 public:
  HttpServer(socket::EventLoop& loop, TapHub& taps, HttpHandlers handlers);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds settings.listen and starts serving. Returns "" or why not (nothing is left open).
  std::string open(const config::HttpSettings& settings);
  // Applies what needs no new socket (allow, max_clients) to the running server; settings.listen
  // must be the one it serves.
  void update(const config::HttpSettings& settings);
  const config::HttpSettings& settings() const { return settings_; }

  struct Shared;  // what the server threads share with the loop (http_server.cpp)

 private:
  std::shared_ptr<Shared> shared_;
  mg_context* context_ = nullptr;
  config::HttpSettings settings_;
};

}  // namespace oscbridge::daemon

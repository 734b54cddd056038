// Runtime: the running daemon — its configuration, endpoints and router — and the one facade
// over it (status snapshot, counters, reload) that signals, and later the control socket and
// HTTP, all call.
//
// Start-up and reload are all-or-nothing: every new or changed endpoint is opened first, and
// only when all opened is anything committed; otherwise the running configuration stays
// entirely (sockets, connections, routes). Endpoints whose sockets can stay (same kind and
// listen/connect addresses) are kept and take their other settings in place, so TCP clients
// stay connected; routes keep their counters by name.
//
// Ownership and threading: owned by the daemon's main function; every method runs on the
// loop thread (through run_sync from elsewhere). Destroy it (or call shutdown()) on the loop
// thread before the loop goes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/counters.h"
#include "daemon/endpoint.h"
#include "daemon/router.h"
#include "socket/event_loop.h"
#include "socket/resolver.h"

namespace oscbridge::daemon {

class KeepaliveTimer;  // daemon/fixed_messages.h

// Where the configuration comes from: the file given with -c; without it default_path when
// present, else the built-in default.
struct ConfigSource {
  std::optional<std::string> path;
  std::string default_path;
};

struct EndpointStatus {
  std::string name;
  config::Protocol protocol = config::Protocol::udp;
  bool open = false;
  EndpointState state;
  EndpointCounters counters;
};

struct RouteStatus {
  std::string name;
  RouteCounters counters;
};

struct StatusSnapshot {
  std::string config_file;  // "" for the built-in default
  std::string summary;      // "3 endpoints (2 udp, 1 tcp), 5 routes"
  std::chrono::steady_clock::duration uptime{};
  std::string last_reload;  // "" before any reload; else "applied" or the first error
  std::uint64_t loop_failures = 0;
  std::vector<EndpointStatus> endpoints;
  std::vector<RouteStatus> routes;
};

struct ApplyResult {
  bool applied = false;
  std::vector<std::string> errors;  // FILE:LINE:COL errors, or "endpoint: why it did not open"
};

class Runtime {
 public:
  Runtime(socket::EventLoop& loop, ConfigSource source);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Loads and opens everything; on failure nothing stays open.
  ApplyResult start();
  // Loads again and applies all or nothing; on failure the running configuration stays.
  ApplyResult reload();
  // Applies an already loaded configuration, all or nothing.
  ApplyResult apply(const config::Config& next);
  StatusSnapshot status() const;
  // Closes every endpoint.
  void shutdown();

  const config::Config& config() const { return config_; }

 private:
  std::optional<config::Config> load(std::vector<std::string>& errors);
  void build_router();
  void route(const Origin& origin, std::string_view packet);

  socket::EventLoop& loop_;
  ConfigSource source_;
  socket::Resolver resolver_;
  EndpointContext context_;
  config::Config config_;
  std::string config_file_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;  // by position in config_.endpoints
  std::unique_ptr<Router> router_;
  std::vector<std::unique_ptr<KeepaliveTimer>> keepalives_;  // rebuilt with router_
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::string last_reload_;
};

// Human lines for the log: one per endpoint and route with its counters.
std::vector<std::string> describe_counters(const StatusSnapshot& status);

}  // namespace oscbridge::daemon

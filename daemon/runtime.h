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
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/counters.h"
#include "daemon/endpoint.h"
#include "daemon/rates.h"
#include "daemon/router.h"
#include "daemon/tap.h"
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
  EndpointRates rates;
};

struct RouteStatus {
  std::string name;
  RouteCounters counters;
  RouteRates rates;
};

struct StatusSnapshot {
  std::string config_file;  // "" for the built-in default
  std::string summary;      // "3 endpoints (2 udp, 1 tcp), 5 routes"
  std::chrono::steady_clock::duration uptime{};
  std::string last_reload;  // "" before any reload; else "applied" or the first error
  std::vector<std::string> last_reload_errors;  // every error of the last reload that failed
  std::chrono::system_clock::time_point started_at{};
  std::optional<std::chrono::system_clock::time_point> last_reload_at;
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
  // Rates are those of the latest sample (taken once a second while the runtime runs).
  StatusSnapshot status() const;
  // Feeds the counters to the rate sampler; the Runtime's own timer calls it every second,
  // tests may call it directly.
  void sample_rates(std::chrono::steady_clock::time_point now);
  // Closes every endpoint.
  void shutdown();

  const config::Config& config() const { return config_; }
  // Where `oscbridge tap` clients register; the router reports to it.
  TapHub& taps() { return taps_; }
  // Called by apply() with the configuration it is about to apply, before anything opens:
  // "" to go on, or why it cannot be applied, which fails the apply with nothing changed.
  // How the Service opens what it owns beside the runtime (the HTTP server) all or nothing.
  void set_prepare(std::function<std::string(const config::Config&)> prepare) {
    prepare_ = std::move(prepare);
  }

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
  TapHub taps_;                                       // outlives router_, which points at it
  std::unique_ptr<Router> router_;
  std::vector<std::unique_ptr<KeepaliveTimer>> keepalives_;  // rebuilt with router_
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::system_clock::time_point started_at_ = std::chrono::system_clock::now();
  std::string last_reload_;
  std::vector<std::string> last_reload_errors_;
  std::optional<std::chrono::system_clock::time_point> last_reload_at_;
  RateSampler rates_;
  socket::EventLoop::TimerId rate_timer_ = 0;
  std::function<std::string(const config::Config&)> prepare_;
};

// Every drop of an endpoint, whatever the reason.
std::uint64_t total_dropped(const EndpointCounters& counters);

// Human lines for the log: one per endpoint and route with its counters.
std::vector<std::string> describe_counters(const StatusSnapshot& status);

}  // namespace oscbridge::daemon

#include "daemon/runtime.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <string_view>
#include <unordered_map>

#include "config/load.h"
#include "daemon/fixed_messages.h"
#include "daemon/flow_stages.h"
#include "daemon/service.h"

namespace oscbridge::daemon {

namespace {

// Two endpoints would want the same port: opening the second fails while the first holds it.
bool same_port(const config::Endpoint& a, const config::Endpoint& b) {
  return a.protocol() == b.protocol() && a.listen() && b.listen() &&
         a.listen()->port == b.listen()->port;
}

// Rate series are named by what they count, so they follow an endpoint or route across reloads.
std::string endpoint_series(const std::string& name) {
  return "endpoint/" + name;
}

// Route names may repeat: the n-th route of a name is its own series.
std::vector<std::string> route_series(const std::vector<CompiledRoute>& routes) {
  std::unordered_map<std::string_view, std::size_t> seen;
  std::vector<std::string> keys;
  keys.reserve(routes.size());
  for (const auto& route : routes) {
    const std::string& name = route.settings.name;
    keys.push_back("route/" + name + "#" + std::to_string(seen[name]++));
  }
  return keys;
}

}  // namespace

std::uint64_t total_dropped(const EndpointCounters& counters) {
  std::uint64_t total = 0;
  for (auto count : counters.dropped) total += count;
  return total;
}

Runtime::Runtime(socket::EventLoop& loop, ConfigSource source)
    : loop_(loop), source_(std::move(source)), resolver_(loop), context_{loop, resolver_, {}} {
  context_.on_packet = [this](const Origin& origin, std::string_view packet) {
    route(origin, packet);
  };
}

Runtime::~Runtime() {
  shutdown();
}

void Runtime::route(const Origin& origin, std::string_view packet) {
  if (router_) router_->route_packet(origin, packet);
}

std::optional<config::Config> Runtime::load(std::vector<std::string>& errors) {
  std::optional<std::string> path = source_.path;
  if (!path && std::filesystem::exists(source_.default_path)) path = source_.default_path;
  if (!path) {
    spdlog::info("no configuration file ({} not found): using the built-in default",
                 source_.default_path);
    config_file_.clear();
    return config::default_config();
  }
  auto result = config::load_file(*path);
  errors = result.errors;
  for (const auto& error : result.errors) spdlog::error("{}", error);
  if (!result.config) return std::nullopt;
  // The warnings and the "loaded" line are said at the level the file asks for, whatever the
  // running one: `off` means not even these.
  const auto level = result.config->log_level;
  if (level_shows(level, config::LogLevel::warn)) {
    for (const auto& warning : result.warnings) log_always(warning, config::LogLevel::warn);
  }
  config_file_ = *path;
  if (level_shows(level, config::LogLevel::info)) {
    log_always("loaded " + *path + ": " + config::summary(*result.config));
  }
  return result.config;
}

ApplyResult Runtime::start() {
  std::vector<std::string> errors;
  auto loaded = load(errors);
  if (!loaded) return {false, errors};
  auto result = apply(*loaded);
  if (result.applied && rate_timer_ == 0) {
    sample_rates(std::chrono::steady_clock::now());
    rate_timer_ = loop_.run_every(std::chrono::seconds(1),
                                  [this] { sample_rates(std::chrono::steady_clock::now()); });
  }
  return result;
}

ApplyResult Runtime::reload() {
  std::vector<std::string> errors;
  auto loaded = load(errors);
  ApplyResult result = loaded ? apply(*loaded) : ApplyResult{false, errors};
  last_reload_ = result.applied          ? "applied"
                 : result.errors.empty() ? "failed"
                                         : result.errors.front();
  last_reload_errors_ = result.errors;
  last_reload_at_ = std::chrono::system_clock::now();
  return result;
}

ApplyResult Runtime::apply(const config::Config& next) {
  // The new level holds while its endpoints open, so what they log follows it (with `off`,
  // nothing); a failed apply puts the running level back before saying why.
  const auto running_level = spdlog::get_level();
  set_log_level(next.log_level);
  if (prepare_) {
    if (std::string error = prepare_(next); !error.empty()) {
      spdlog::set_level(running_level);
      spdlog::error("{}", error);
      return {false, {error}};
    }
  }
  const auto& wanted = next.endpoints;
  std::vector<std::unique_ptr<Endpoint>> kept(wanted.size());
  std::vector<bool> taken(endpoints_.size(), false);
  std::vector<std::size_t> origin(wanted.size());  // kept[i] came from endpoints_[origin[i]]
  // Kept: the same endpoint by name first, then one renamed whose sockets fit (a rename must
  // not have to bind the port it already holds).
  for (int renamed = 0; renamed < 2; ++renamed) {
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      for (std::size_t j = 0; j < endpoints_.size() && !kept[i]; ++j) {
        auto& old = endpoints_[j];
        if (taken[j] || !old || (renamed == 0) != (old->name() == wanted[i].name)) continue;
        if (!old->can_update_to(wanted[i])) continue;
        taken[j] = true;
        origin[i] = j;
        kept[i] = std::move(old);
      }
    }
  }
  // What is left of endpoints_ is what the new configuration drops or replaces.
  auto holds_port_of = [&](const config::Endpoint& settings) {
    for (std::size_t j = 0; j < endpoints_.size(); ++j) {
      if (!taken[j] && endpoints_[j] && same_port(endpoints_[j]->settings(), settings)) return true;
    }
    return false;
  };

  std::vector<std::unique_ptr<Endpoint>> fresh(wanted.size());
  std::vector<std::string> errors;
  auto open_fresh = [&](std::size_t i) {
    std::string error;
    fresh[i] = make_endpoint(wanted[i], context_, error);
    if (fresh[i]) error = fresh[i]->open();
    if (error.empty()) return true;
    fresh[i].reset();
    errors.push_back(wanted[i].name + ": " + error);
    return false;
  };
  // An endpoint that moves to a port an outgoing one holds can only open once that one has
  // closed: those wait until everything else has opened.
  std::vector<std::size_t> waiting;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    if (kept[i]) continue;
    if (holds_port_of(wanted[i])) {
      waiting.push_back(i);
    } else {
      open_fresh(i);
    }
  }
  std::vector<std::size_t> closed;
  std::vector<EndpointCounters> closed_counters;  // kept, so that a rollback changes no count
  if (errors.empty() && !waiting.empty()) {
    for (std::size_t j = 0; j < endpoints_.size(); ++j) {
      if (taken[j] || !endpoints_[j]) continue;
      for (auto i : waiting) {
        if (endpoints_[j] && same_port(endpoints_[j]->settings(), wanted[i])) {
          spdlog::info("{}: closed, to free its port", endpoints_[j]->name());
          closed_counters.push_back(endpoints_[j]->counters());
          endpoints_[j].reset();
          closed.push_back(j);
        }
      }
    }
    for (auto i : waiting) open_fresh(i);
    if (!errors.empty()) {
      // Roll back: free the ports again and reopen what was closed for them.
      spdlog::set_level(running_level);
      for (auto i : waiting) fresh[i].reset();
      for (std::size_t k = 0; k < closed.size(); ++k) {
        const std::size_t j = closed[k];
        std::string error;
        endpoints_[j] = make_endpoint(config_.endpoints[j], context_, error);
        if (endpoints_[j]) error = endpoints_[j]->open();
        if (!error.empty()) {
          spdlog::error("{}: could not reopen after a failed reload: {}", config_.endpoints[j].name,
                        error);
          endpoints_[j].reset();
        }
        if (endpoints_[j]) {
          endpoints_[j]->index = j;
          endpoints_[j]->counters() = closed_counters[k];
        }
      }
    }
  }
  if (!errors.empty()) {
    spdlog::set_level(running_level);
    for (const auto& error : errors) spdlog::error("{}", error);
    fresh.clear();
    // Nothing was committed: the kept endpoints go back where they were, untouched.
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      if (kept[i]) endpoints_[origin[i]] = std::move(kept[i]);
    }
    if (!closed.empty()) build_router();  // endpoints reopened by a rollback are new objects
    return {false, errors};
  }

  // Commit.
  std::vector<std::unique_ptr<Endpoint>> next_endpoints(wanted.size());
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    if (kept[i]) {
      if (kept[i]->settings() != wanted[i]) kept[i]->update_settings(wanted[i]);
      next_endpoints[i] = std::move(kept[i]);
    } else {
      next_endpoints[i] = std::move(fresh[i]);
    }
    next_endpoints[i]->index = i;
  }
  std::vector<std::unique_ptr<Endpoint>> removed = std::move(endpoints_);
  endpoints_ = std::move(next_endpoints);
  config_ = next;
  build_router();
  for (auto& endpoint : removed) {
    if (endpoint) spdlog::info("{}: closed", endpoint->name());
  }
  removed.clear();
  return {true, {}};
}

void Runtime::build_router() {
  std::vector<Endpoint*> pointers;
  for (auto& endpoint : endpoints_) pointers.push_back(endpoint.get());
  RouterSetup setup;
  setup.previous = router_.get();
  setup.tap = &taps_;
  setup.loop = &loop_;
  setup.stages = [this](const config::Route& route) { return make_flow_stages(route, loop_); };
  auto next = std::make_unique<Router>(config_, pointers, std::move(setup));
  router_ = std::move(next);
  keepalives_.clear();
  for (auto& endpoint : endpoints_) {
    if (endpoint && endpoint->settings().keepalive) {
      keepalives_.push_back(
          std::make_unique<KeepaliveTimer>(loop_, *endpoint, *endpoint->settings().keepalive));
    }
  }
}

StatusSnapshot Runtime::status() const {
  StatusSnapshot status;
  status.config_file = config_file_;
  status.summary = config::summary(config_);
  status.uptime = std::chrono::steady_clock::now() - started_;
  status.last_reload = last_reload_;
  status.last_reload_errors = last_reload_errors_;
  status.started_at = started_at_;
  status.last_reload_at = last_reload_at_;
  status.loop_failures = loop_.callback_failures();
  for (std::size_t i = 0; i < config_.endpoints.size(); ++i) {
    EndpointStatus entry;
    entry.name = config_.endpoints[i].name;
    entry.protocol = config_.endpoints[i].protocol();
    if (i < endpoints_.size() && endpoints_[i]) {
      entry.open = true;
      entry.state = endpoints_[i]->state();
      entry.counters = endpoints_[i]->counters();
      auto rates = rates_.rates(endpoint_series(entry.name));
      entry.rates = {rates[0], rates[1], rates[2]};
    }
    status.endpoints.push_back(std::move(entry));
  }
  if (router_) {
    const auto& routes = router_->routes();
    const auto keys = route_series(routes);
    for (std::size_t i = 0; i < routes.size(); ++i) {
      auto rates = rates_.rates(keys[i]);
      status.routes.push_back(
          {routes[i].settings.name, routes[i].counters, {rates[0], rates[1], rates[2]}});
    }
  }
  return status;
}

void Runtime::sample_rates(std::chrono::steady_clock::time_point now) {
  std::vector<std::pair<std::string, RateSampler::Values>> series;
  for (const auto& endpoint : endpoints_) {
    if (!endpoint) continue;
    const auto& counters = endpoint->counters();
    series.push_back({endpoint_series(endpoint->name()),
                      {counters.received, counters.sent, total_dropped(counters)}});
  }
  if (router_) {
    const auto& routes = router_->routes();
    const auto keys = route_series(routes);
    for (std::size_t i = 0; i < routes.size(); ++i) {
      const auto& counters = routes[i].counters;
      series.push_back({keys[i], {counters.matched, counters.sent, counters.dropped}});
    }
  }
  rates_.sample(now, series);
}

void Runtime::shutdown() {
  if (rate_timer_ != 0) loop_.cancel(rate_timer_);
  rate_timer_ = 0;
  keepalives_.clear();
  router_.reset();
  endpoints_.clear();
}

std::vector<std::string> describe_counters(const StatusSnapshot& status) {
  std::vector<std::string> lines;
  for (const auto& endpoint : status.endpoints) {
    if (endpoint.open) {
      lines.push_back("endpoint " + endpoint.name + ": " + endpoint.counters.describe());
    }
  }
  for (const auto& route : status.routes) {
    lines.push_back("route " + route.name + ": " + route.counters.describe());
  }
  return lines;
}

}  // namespace oscbridge::daemon

#include "daemon/daemon.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "config/load.h"
#include "daemon/endpoint.h"
#include "daemon/router.h"
#include "daemon/service.h"
#include "socket/event_loop.h"

namespace oscbridge::daemon {

namespace {

sigset_t handled_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int number : {SIGHUP, SIGTERM, SIGINT, SIGUSR1}) sigaddset(&signals, number);
  return signals;
}

// Everything below lives on the loop thread.
class Service {
 public:
  Service(const DaemonOptions& options, socket::EventLoop& loop)
      : options_(options), loop_(loop), context_{loop, reaper_, {}} {
    context_.on_packet = [this](Endpoint& source, std::string_view packet) {
      if (router_) router_->route_packet(source, packet);
    };
  }

  // Loads the configuration the options point at. Errors are logged; nullopt on failure.
  std::optional<config::Config> load() {
    std::optional<std::string> path = options_.config_path;
    if (!path && std::filesystem::exists(options_.default_config_path)) {
      path = options_.default_config_path;
    }
    if (!path) {
      spdlog::info("no configuration file ({} not found): using the built-in default",
                   options_.default_config_path);
      return config::default_config();
    }
    auto result = config::load_file(*path);
    for (const auto& error : result.errors) spdlog::error("{}", error);
    if (result.config) spdlog::info("loaded {}: {}", *path, config::summary(*result.config));
    last_error_ = result.errors.empty() ? "" : result.errors.front();
    return result.config;
  }

  // Opens what the configuration describes, keeping endpoints whose settings are unchanged
  // (and so their sockets and connections). Returns the errors of endpoints that failed.
  std::vector<std::string> apply(const config::Config& config) {
    set_log_level(config.log_level);
    router_.reset();  // it points at endpoints that may go now
    std::vector<std::unique_ptr<Endpoint>> next(config.endpoints.size());
    for (std::size_t i = 0; i < config.endpoints.size(); ++i) {
      for (auto& old : endpoints_) {
        if (old && old->settings() == config.endpoints[i]) {
          next[i] = std::move(old);
          break;
        }
      }
    }
    for (auto& removed : endpoints_) {
      if (removed) spdlog::info("{}: closed", removed->name());
    }
    endpoints_.clear();  // what was not kept closes here, freeing its ports for the new ones
    std::vector<std::string> errors;
    std::vector<Endpoint*> pointers;
    for (std::size_t i = 0; i < config.endpoints.size(); ++i) {
      if (!next[i]) {
        std::string error;
        next[i] = make_endpoint(config.endpoints[i], context_, error);
        if (next[i]) error = next[i]->open();
        if (!error.empty()) {
          spdlog::error("{}: {}", config.endpoints[i].name, error);
          errors.push_back(config.endpoints[i].name + ": " + error);
          next[i].reset();  // not kept, so the next reload tries again
        }
      }
      if (next[i]) next[i]->index = i;
    }
    endpoints_ = std::move(next);
    for (auto& endpoint : endpoints_) pointers.push_back(endpoint.get());
    // An endpoint that failed to open is null: routes to or from it do nothing.
    router_ = std::make_unique<Router>(config, pointers);
    config_ = config;
    return errors;
  }

  bool start() {
    auto config = load();
    if (!config) return false;
    auto errors = apply(*config);
    if (!errors.empty()) return false;
    watch_signals();
    start_watchdog();
    notify("READY=1\nSTATUS=" + status_line());
    spdlog::info("ready: {}", status_line());
    return true;
  }

  void reload() {
    spdlog::info("reloading");
    // MONOTONIC_USEC lets systemd's Type=notify-reload match this to the SIGHUP it sent.
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    notify("RELOADING=1\nMONOTONIC_USEC=" +
           std::to_string(std::int64_t{now.tv_sec} * 1'000'000 + now.tv_nsec / 1000));
    auto config = load();
    if (!config) {
      spdlog::error("reload failed; keeping the running configuration");
      notify("READY=1\nSTATUS=reload failed, running previous configuration: " + last_error_);
      return;
    }
    auto errors = apply(*config);
    std::string status = status_line();
    if (!errors.empty())
      status += "; " + std::to_string(errors.size()) + " endpoint(s) failed: " + errors.front();
    notify("READY=1\nSTATUS=" + status);
    spdlog::info("reloaded: {}", status);
  }

  void log_counters() const {
    for (const auto& endpoint : endpoints_) {
      if (endpoint)
        spdlog::info("endpoint {}: {}", endpoint->name(), endpoint->counters().describe());
    }
    if (!router_) return;
    for (const auto& route : router_->routes()) {
      spdlog::info("route {}: {}", route.settings.name, route.counters.describe());
    }
  }

  // After a start that failed there is nothing to report: only what did open is closed.
  void shutdown(bool started) {
    if (started) {
      notify("STOPPING=1");
      spdlog::info("stopping");
      log_counters();
    }
    if (watchdog_timer_ != 0) loop_.cancel(watchdog_timer_);
    if (signal_fd_ >= 0) {
      loop_.unwatch(signal_fd_);
      ::close(signal_fd_);
      signal_fd_ = -1;
    }
    router_.reset();
    endpoints_.clear();
  }

  // Set by the signal handler; the main thread waits for it.
  void wait_for_stop() {
    std::unique_lock lock(stop_mutex_);
    stop_cv_.wait(lock, [&] { return stop_requested_; });
  }

  ThreadReaper& reaper() { return reaper_; }

 private:
  std::string status_line() const { return config::summary(config_); }

  void watch_signals() {
    sigset_t signals = handled_signals();
    signal_fd_ = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    loop_.watch(signal_fd_, EPOLLIN, [this](std::uint32_t) {
      signalfd_siginfo info{};
      while (::read(signal_fd_, &info, sizeof info) == sizeof info) on_signal(info.ssi_signo);
    });
  }

  void on_signal(std::uint32_t number) {
    switch (number) {
      case SIGHUP:
        reload();
        break;
      case SIGUSR1:
        log_counters();
        break;
      default: {
        spdlog::info("received {}", number == SIGINT ? "SIGINT" : "SIGTERM");
        std::lock_guard lock(stop_mutex_);
        stop_requested_ = true;
        stop_cv_.notify_all();
      }
    }
  }

  void start_watchdog() {
    auto interval = watchdog_interval();
    if (!interval) return;
    spdlog::info("systemd watchdog: pinging every {} ms", interval->count());
    watchdog_timer_ = loop_.run_after(0, [this, interval] { ping_watchdog(*interval); });
  }

  void ping_watchdog(std::chrono::milliseconds interval) {
    notify("WATCHDOG=1");
    watchdog_timer_ =
        loop_.run_after(interval.count(), [this, interval] { ping_watchdog(interval); });
  }

  const DaemonOptions& options_;
  socket::EventLoop& loop_;
  ThreadReaper reaper_;
  EndpointContext context_;
  config::Config config_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::unique_ptr<Router> router_;
  std::string last_error_;
  int signal_fd_ = -1;
  socket::EventLoop::TimerId watchdog_timer_ = 0;

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_requested_ = false;
};

}  // namespace

int run_daemon(const DaemonOptions& options) {
  setup_logging();
  // Blocked before the loop thread exists, so every thread inherits the mask and the
  // signals arrive only through the signalfd.
  sigset_t signals = handled_signals();
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  socket::EventLoop loop;
  Service service(options, loop);
  bool started = false;
  loop.run_sync([&] { started = service.start(); });
  if (started) service.wait_for_stop();
  loop.run_sync([&] { service.shutdown(started); });
  loop.stop();
  service.reaper().join_all();
  if (!started) spdlog::error("not started");
  return started ? 0 : 1;
}

int validate_config(const std::string& path) {
  auto result = config::load_file(path);
  if (!result.config) {
    for (const auto& error : result.errors) std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  std::printf("%s: OK, %s\n", path.c_str(), config::summary(*result.config).c_str());
  return 0;
}

}  // namespace oscbridge::daemon

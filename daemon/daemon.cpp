#include "daemon/daemon.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>

#include "config/load.h"
#include "daemon/control_path.h"
#include "daemon/control_server.h"
#include "daemon/http_server.h"
#include "daemon/runtime.h"
#include "daemon/service.h"
#include "midi/ports.h"
#include "socket/event_loop.h"

namespace oscbridge::daemon {

namespace {

sigset_t handled_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int number : {SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&signals, number);
  return signals;
}

// The process around the Runtime: signals through a signalfd on the loop, the systemd
// protocol, and the stop request the main thread waits for. Lives on the loop thread.
class Service {
 public:
  Service(const DaemonOptions& options, socket::EventLoop& loop)
      : loop_(loop),
        runtime_(loop, ConfigSource{options.config_path, options.default_config_path}),
        control_path_option_(options.control_path) {
    runtime_.set_prepare([this](const config::Config& next) { return prepare_http(next.http); });
  }

  bool start() {
    auto result = runtime_.start();
    if (!result.applied) {
      pending_http_.reset();
      return false;
    }
    commit_http(runtime_.config().http);
    if (!open_control()) {
      http_.reset();
      runtime_.shutdown();
      return false;
    }
    watch_signals();
    start_watchdog();
    notify("READY=1\nSTATUS=" + runtime_.status().summary);
    spdlog::info("ready: {}", runtime_.status().summary);
    return true;
  }

  ApplyResult reload() {
    spdlog::info("reloading");
    // MONOTONIC_USEC lets systemd's Type=notify-reload match this to the SIGHUP it sent.
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    notify("RELOADING=1\nMONOTONIC_USEC=" +
           std::to_string(std::int64_t{now.tv_sec} * 1'000'000 + now.tv_nsec / 1000));
    auto result = runtime_.reload();
    std::string summary = runtime_.status().summary;
    if (result.applied) {
      commit_http(runtime_.config().http);
    } else {
      pending_http_.reset();
    }
    if (!result.applied) {
      std::string why = result.errors.empty() ? "unknown error" : result.errors.front();
      spdlog::error("reload failed; keeping the running configuration");
      notify("READY=1\nSTATUS=reload failed, running previous configuration: " + why);
      return result;
    }
    notify("READY=1\nSTATUS=" + summary);
    spdlog::info("reloaded: {}", summary);
    if (control_ && runtime_.config().control != control_settings_) {
      spdlog::warn("control: the control socket stays at {} until the daemon restarts",
                   control_->path());
    }
    return result;
  }

  // Asked for (SIGUSR1) or the last word (shutdown): printed whatever the log level, even
  // `off`, which quiets the daemon's own chatter but must not swallow an answer.
  void log_counters() const {
    for (const auto& line : describe_counters(runtime_.status())) log_always(line);
  }

  // After a start that failed there is nothing to report: only what did open is closed.
  void shutdown(bool started) {
    if (started) {
      notify("STOPPING=1");
      spdlog::info("stopping");
      log_counters();
    }
    if (watchdog_timer_ != 0) loop_.cancel(watchdog_timer_);
    http_.reset();
    pending_http_.reset();
    control_.reset();
    signal_watch_.reset();
    if (signal_fd_ >= 0) ::close(signal_fd_);
    signal_fd_ = -1;
    runtime_.shutdown();
  }

  void wait_for_stop() {
    std::unique_lock lock(stop_mutex_);
    stop_cv_.wait(lock, [&] { return stop_requested_; });
  }

 private:
  void watch_signals() {
    sigset_t signals = handled_signals();
    signal_fd_ = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    signal_watch_ = socket::IoWatch(
        loop_, signal_fd_, socket::IoWatch::readable, [this](socket::IoWatch::Ready) {
          signalfd_siginfo info{};
          while (::read(signal_fd_, &info, sizeof info) == sizeof info) {
            on_signal(info.ssi_signo);
          }
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
      case SIGUSR2:
        // Reserved: taken off the default action (which ends the process) and ignored.
        spdlog::info("received SIGUSR2: ignored (SIGUSR1 prints the counters, SIGHUP reloads)");
        break;
      default: {
        spdlog::info("received {}", number == SIGINT ? "SIGINT" : "SIGTERM");
        std::lock_guard lock(stop_mutex_);
        stop_requested_ = true;
        stop_cv_.notify_all();
      }
    }
  }

  // The control socket (control_path.h): an explicit path that cannot be served stops the
  // start; the default one only goes without, with a warning.
  bool open_control() {
    control_settings_ = runtime_.config().control;
    auto where = daemon_control_path(control_path_option_, control_settings_);
    if (!where) {
      if (control_settings_.enabled) {
        spdlog::info(
            "no control socket: neither RUNTIME_DIRECTORY nor XDG_RUNTIME_DIR is set (set "
            "control: PATH or --control PATH for status, reload and tap)");
      }
      return true;
    }
    auto control = std::make_unique<ControlServer>(
        loop_, runtime_.taps(),
        ControlHandlers{[this] { return runtime_.status(); }, [this] { return reload(); }});
    std::string error = control->open(where->path);
    if (!error.empty()) {
      if (where->explicit_path) {
        spdlog::error("{}", error);
        return false;
      }
      spdlog::warn("running without a control socket: {}", error);
      return true;
    }
    spdlog::info("control socket: {}", where->path);
    control_ = std::move(control);
    return true;
  }

  // The HTTP server, all or nothing with the runtime's apply (Runtime::set_prepare): a new
  // listen address is bound before anything else opens, and the server only replaces the
  // running one when the whole configuration applied. The built-in default's dashboard only
  // warns when its port is taken: a daemon started without a file must still route.
  std::string prepare_http(const config::HttpSettings& next) {
    pending_http_.reset();
    if (!next.enabled || (http_ && http_->settings().listen == next.listen)) return {};
    auto server = std::make_unique<HttpServer>(loop_, runtime_.taps(),
                                               HttpHandlers{[this] { return runtime_.status(); }});
    std::string error = server->open(next);
    if (error.empty()) {
      pending_http_ = std::move(server);
      return {};
    }
    if (runtime_.status().config_file.empty()) {
      spdlog::warn("running without the dashboard: {}", error);
      return {};
    }
    return "http: " + error;
  }

  void commit_http(const config::HttpSettings& settings) {
    if (!settings.enabled) {
      if (http_) spdlog::info("http: stopped");
      http_.reset();
    } else if (pending_http_) {
      http_ = std::move(pending_http_);  // the old server, on another address, stops here
    } else if (http_) {
      http_->update(settings);  // allow and max_clients, in place
    }
    pending_http_.reset();
  }

  void start_watchdog() {
    auto interval = watchdog_interval();
    if (!interval) return;
    spdlog::info("systemd watchdog: pinging every {} ms", interval->count());
    notify("WATCHDOG=1");
    // Pinged from a loop timer, so a stalled loop misses its pings and systemd notices.
    watchdog_timer_ = loop_.run_every(*interval, [] { notify("WATCHDOG=1"); });
  }

  socket::EventLoop& loop_;
  Runtime runtime_;
  int signal_fd_ = -1;
  socket::IoWatch signal_watch_;
  socket::EventLoop::TimerId watchdog_timer_ = 0;
  std::optional<std::string> control_path_option_;
  config::ControlSettings control_settings_;
  std::unique_ptr<ControlServer> control_;    // after runtime_: its taps live in the runtime
  std::unique_ptr<HttpServer> http_;          // after runtime_, for the same reason
  std::unique_ptr<HttpServer> pending_http_;  // opened by prepare_http, not yet committed

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
  loop.set_error_reporter([](std::string_view message) { spdlog::error("{}", message); });
  std::unique_ptr<Service> service;
  bool started = false;
  loop.run_sync([&] {
    service = std::make_unique<Service>(options, loop);
    started = service->start();
  });
  if (started) service->wait_for_stop();
  loop.run_sync([&] {
    service->shutdown(started);
    service.reset();
  });
  loop.stop();
  if (!started) spdlog::error("not started");
  return started ? 0 : 1;
}

int validate_config(const std::string& path, ValidateOutput output) {
  // "-": standard input, named "<stdin>" in the errors and the summary.
  const bool from_stdin = path == "-";
  const std::string label = from_stdin ? "<stdin>" : path;
  config::LoadResult result;
  if (from_stdin) {
    std::ostringstream text;
    text << std::cin.rdbuf();
    result = config::load_string(text.str(), label);
  } else {
    result = config::load_file(path);
  }
  if (!result.config) {
    for (const auto& error : result.errors) std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  for (const auto& warning : result.warnings) std::fprintf(stderr, "%s\n", warning.c_str());
  if (output == ValidateOutput::names) {
    for (const auto& endpoint : result.config->endpoints) {
      std::printf("endpoint %s\n", endpoint.name.c_str());
    }
    for (const auto& route : result.config->routes) std::printf("route %s\n", route.name.c_str());
    return 0;
  }
  std::printf("%s: OK, %s\n", label.c_str(), config::summary(*result.config).c_str());
  return 0;
}

int print_midi_ports() {
  bool any_available = false;
  for (auto api : {midi::PortApi::alsa, midi::PortApi::jack}) {
    std::string why;
    auto inputs = midi::list_ports(api, midi::Direction::input, why);
    auto outputs = inputs ? midi::list_ports(api, midi::Direction::output, why) : std::nullopt;
    if (!inputs || !outputs) {
      std::cout << midi::to_string(api) << ": unavailable: " << why << "\n";
      continue;
    }
    any_available = true;
    std::cout << midi::to_string(api) << ":\n";
    auto print = [](std::string_view heading, const std::vector<std::string>& names) {
      std::cout << "  " << heading << (names.empty() ? " none\n" : "\n");
      for (const auto& name : names) std::cout << "    " << name << "\n";
    };
    print("input (ports that send MIDI to a midi endpoint):", *inputs);
    print("output (ports a midi endpoint can send MIDI to):", *outputs);
  }
  return any_available ? 0 : 1;
}

}  // namespace oscbridge::daemon

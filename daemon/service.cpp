#include "daemon/service.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>

namespace oscbridge::daemon {

namespace {

// "%*" in the pattern: the syslog priority of the record's level, as journald reads it.
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& destination) override {
    const char* priority = "<6>";
    switch (message.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        priority = "<7>";
        break;
      case spdlog::level::info:
        priority = "<6>";
        break;
      case spdlog::level::warn:
        priority = "<4>";
        break;
      case spdlog::level::err:
        priority = "<3>";
        break;
      case spdlog::level::critical:
        priority = "<2>";
        break;
      default:
        break;
    }
    destination.append(priority, priority + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriorityFlag>();
  }
};

}  // namespace

void notify(const std::string& state) {
  ::sd_notify(0, state.c_str());
}

std::optional<std::chrono::milliseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::milliseconds(std::max<std::uint64_t>(usec / 2000, 1));
}

void setup_logging() {
  auto logger = std::make_shared<spdlog::logger>("oscbridge",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%v");
  } else {
    formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
  }
  logger->set_formatter(std::move(formatter));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

namespace {

spdlog::level::level_enum to_spdlog(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::trace:
      return spdlog::level::trace;
    case config::LogLevel::debug:
      return spdlog::level::debug;
    case config::LogLevel::info:
      return spdlog::level::info;
    case config::LogLevel::warn:
      return spdlog::level::warn;
    case config::LogLevel::error:
      return spdlog::level::err;
    case config::LogLevel::off:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

void set_log_level(config::LogLevel level) {
  spdlog::set_level(to_spdlog(level));
}

bool level_shows(config::LogLevel configured, config::LogLevel line) {
  return configured != config::LogLevel::off && to_spdlog(configured) <= to_spdlog(line);
}

void log_always(std::string_view line, config::LogLevel level) {
  auto logger = spdlog::default_logger();
  spdlog::details::log_msg message(logger->name(), to_spdlog(level),
                                   spdlog::string_view_t(line.data(), line.size()));
  for (const auto& sink : logger->sinks()) {
    sink->log(message);
    sink->flush();
  }
}

}  // namespace oscbridge::daemon

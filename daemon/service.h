// The daemon's ties to its service manager and its log: sd_notify messages (a no-op when
// NOTIFY_SOCKET is unset) and spdlog set up for a terminal or for journald. Stateless
// functions, called from the loop thread (notify) or before it starts (logging).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace oscbridge::daemon {

// Sends a state string such as "READY=1\nSTATUS=..." to systemd.
void notify(const std::string& state);

// The interval systemd expects WATCHDOG=1 at (half of WATCHDOG_USEC), if it asked for one.
std::optional<std::chrono::milliseconds> watchdog_interval();

// stderr logging; under journald (JOURNAL_STREAM set) without timestamps and with syslog
// priority prefixes ("<4>") so journald records each line's level.
void setup_logging();
void set_log_level(config::LogLevel level);
// Whether lines of level `line` show under the configured level.
bool level_shows(config::LogLevel configured, config::LogLevel line);

// Writes one line whatever the configured level (even `off`): for output the user asked for
// explicitly (the counters on SIGUSR1 and at shutdown), which a level meant to quiet the
// daemon's own chatter must not swallow, and for lines about a file being loaded, which follow
// that file's level rather than the running one. Goes straight to the logger's sinks, so the
// line looks like any other of its level (same pattern, "<6>" or "<4>" under journald).
void log_always(std::string_view line, config::LogLevel level = config::LogLevel::info);

}  // namespace oscbridge::daemon

// The oscbridge service: loads the configuration, opens every endpoint on one EventLoop,
// routes, and handles signals (SIGHUP reload, SIGTERM/SIGINT stop, SIGUSR1 counters, SIGUSR2
// reserved and ignored) through a signalfd on that loop, reporting its state to systemd.
//
// Ownership and threading: run() is called once, from the main thread, and blocks until the
// daemon stops. Signals are blocked in every thread before the loop starts; all routing
// state lives on the loop thread.
#pragma once

#include <optional>
#include <string>

namespace oscbridge::daemon {

inline constexpr const char* kDefaultConfigPath = "/etc/oscbridge/oscbridge.yaml";

struct DaemonOptions {
  // The file given with -c; without it kDefaultConfigPath when present, else the built-in
  // default configuration.
  std::optional<std::string> config_path;
  std::string default_config_path = kDefaultConfigPath;
  // --control PATH: the control socket's path, over the file's `control:` (control_path.h).
  std::optional<std::string> control_path;
};

// Returns the process exit code: 0 after a clean stop, 1 when it could not start.
int run_daemon(const DaemonOptions& options);

// What `oscbridge validate` prints for a valid file on standard output. summary: one line
// "FILE: OK, ...". names: one "endpoint NAME" line per endpoint, then one "route NAME" line per
// route, in file order (shell completion reads them; a route without a name is "route N").
enum class ValidateOutput { summary, names };

// `oscbridge validate FILE`: prints the summary or the names (exit 0) or every error (exit 1).
// FILE "-" reads standard input.
int validate_config(const std::string& path, ValidateOutput output = ValidateOutput::summary);

// `oscbridge midi-ports`: prints, per MIDI API (alsa, jack), the ports a midi endpoint could
// use in each direction, or why the API is unavailable. Exit 0 when at least one API is.
int print_midi_ports();

}  // namespace oscbridge::daemon

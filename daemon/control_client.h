// The commands that talk to a running daemon over its control socket (docs/control.md):
// `oscbridge status [--json]`, `oscbridge reload` and `oscbridge tap`. Each connects, sends
// one JSON request line and prints what comes back; tap keeps printing until the daemon goes
// or the user interrupts it.
//
// Threading: plain blocking calls for the command line's main thread; nothing here runs in
// the daemon.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace oscbridge::daemon {

struct TapOptions {
  std::string pattern;             // "": every address
  std::string endpoint;            // "": every endpoint
  std::string route;               // "": every route (a route is only known for messages sent)
  std::string direction = "both";  // in | out | both
  bool json = false;               // print the event lines as they come
};

// Each returns the process exit code: 0 done, 1 the daemon said no (a failed reload, a bad
// tap filter) or could not be reached.
int control_status(const std::optional<std::string>& control_path, bool json);
int control_reload(const std::optional<std::string>& control_path);
int control_tap(const std::optional<std::string>& control_path, const TapOptions& options);

// The human forms, 80 columns wide: the status table, and one line per tap event.
std::string format_status(const nlohmann::json& status);
std::string format_tap_event(const nlohmann::json& event);

}  // namespace oscbridge::daemon

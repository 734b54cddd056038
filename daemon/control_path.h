// Where the control socket lives (docs/control.md, "Where the socket is"), worked out the same
// way by the daemon and by the `status`, `reload` and `tap` commands.
//
// Threading: pure functions over their arguments and the environment.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"

namespace oscbridge::daemon {

struct ControlPath {
  std::string path;
  // Asked for by name (--control or `control:`): a live daemon already there is an error, not a
  // reason to run without a control socket.
  bool explicit_path = false;
};

// The daemon's socket: --control, else the file's `control:` (nullopt for `off`), else
// $RUNTIME_DIRECTORY/control (systemd's RuntimeDirectory=), else $XDG_RUNTIME_DIR/oscbridge.sock;
// nullopt when none of these is set.
std::optional<ControlPath> daemon_control_path(const std::optional<std::string>& command_line,
                                               const config::ControlSettings& settings);

// Where a command looks: --control, else $RUNTIME_DIRECTORY/control, else
// /run/oscbridge/control when it exists (the systemd service's), else
// $XDG_RUNTIME_DIR/oscbridge.sock; "" when none applies.
std::string client_control_path(const std::optional<std::string>& command_line);

inline constexpr const char* kSystemControlPath = "/run/oscbridge/control";

}  // namespace oscbridge::daemon

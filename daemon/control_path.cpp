#include "daemon/control_path.h"

#include <cstdlib>
#include <filesystem>
#include <string_view>

namespace oscbridge::daemon {

namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// The default when nothing names a path.
std::string default_path() {
  // RuntimeDirectory= with several directories sets a colon-separated list: the first is ours.
  std::string runtime = environment("RUNTIME_DIRECTORY");
  runtime = runtime.substr(0, runtime.find(':'));
  if (!runtime.empty()) return runtime + "/control";
  std::string xdg = environment("XDG_RUNTIME_DIR");
  if (!xdg.empty()) return xdg + "/oscbridge.sock";
  return {};
}

}  // namespace

std::optional<ControlPath> daemon_control_path(const std::optional<std::string>& command_line,
                                               const config::ControlSettings& settings) {
  if (command_line) return ControlPath{*command_line, true};
  if (!settings.enabled) return std::nullopt;
  if (settings.path) return ControlPath{*settings.path, true};
  std::string path = default_path();
  if (path.empty()) return std::nullopt;
  return ControlPath{path, false};
}

std::string client_control_path(const std::optional<std::string>& command_line) {
  if (command_line) return *command_line;
  if (!environment("RUNTIME_DIRECTORY").empty()) return default_path();
  std::error_code error;
  if (std::filesystem::exists(kSystemControlPath, error)) return kSystemControlPath;
  return default_path();
}

}  // namespace oscbridge::daemon

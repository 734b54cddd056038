// oscbridge: routes Open Sound Control between endpoints as a YAML file says.
//   oscbridge run [-c FILE]     the daemon, in the foreground
//   oscbridge validate FILE|-   check a configuration file (- reads standard input)
//   oscbridge midi-ports        the MIDI ports a midi endpoint can use, per API
//   oscbridge validate --names FILE   its endpoint and route names (for shell completion)
//   oscbridge status|reload|tap talk to the running daemon over its control socket
// The command line is parsed by CLI11, which also writes --help and the usage errors.
#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>
#include <string>

#include "daemon/control_client.h"
#include "daemon/daemon.h"

namespace {

constexpr const char* kSignals =
    "Signals (run): SIGHUP reloads the configuration, SIGTERM and SIGINT stop cleanly,\n"
    "SIGUSR1 prints every endpoint's and route's counters (whatever the log level),\n"
    "SIGUSR2 is reserved and ignored.";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"oscbridge: routes Open Sound Control between endpoints as a YAML file says."};
  // The release and the commit it was built from (CMake reads it when configuring).
  app.set_version_flag("--version", std::string("oscbridge ") + OSCBRIDGE_VERSION + " (git " +
                                        OSCBRIDGE_GIT_REVISION + ")");
  app.require_subcommand(0, 1);

  oscbridge::daemon::DaemonOptions options;
  std::string config_path;
  auto* run = app.add_subcommand("run", "Route OSC in the foreground as the configuration says.");
  auto* config =
      run->add_option("-c,--config", config_path,
                      std::string("Configuration file; without it ") +
                          oscbridge::daemon::kDefaultConfigPath +
                          " when present, else a built-in UDP 127.0.0.1:9000 -> 127.0.0.1:9001")
          ->type_name("FILE");
  std::string control_path;
  auto* run_control = run->add_option("--control", control_path,
                                      "Control socket path (over the file's control: key)")
                          ->type_name("PATH");
  run->footer(kSignals);

  std::string validate_path;
  auto* validate = app.add_subcommand(
      "validate", "Check a configuration file: exit 0 and a summary, or exit 1 and every error.");
  validate->add_option("FILE", validate_path, "The file to check; - reads standard input")
      ->required();
  auto* midi_ports = app.add_subcommand(
      "midi-ports", "List the MIDI ports a midi endpoint can use, per API (alsa, jack).");
  bool names = false;
  validate->add_flag("--names", names,
                     "Instead of the summary, print 'endpoint NAME' and 'route NAME' lines");
  std::optional<std::string> client_control;
  oscbridge::daemon::TapOptions tap_options;
  bool status_json = false;
  auto* status = app.add_subcommand("status", "Show what the running daemon is doing.");
  status->add_flag("--json", status_json, "The status as JSON (docs/control.md)");
  auto* reload = app.add_subcommand("reload", "Reload the configuration (as SIGHUP) and say how.");
  auto* tap = app.add_subcommand("tap", "Print messages as the daemon receives and sends them.");
  tap->add_option("PATTERN", tap_options.pattern, "OSC address pattern, e.g. /1/fader*");
  tap->add_option("--endpoint", tap_options.endpoint, "Only this endpoint's messages");
  tap->add_option("--route", tap_options.route, "Only messages sent by this route");
  bool tap_in = false, tap_out = false;
  auto* in = tap->add_flag("--in", tap_in, "Only messages as received");
  tap->add_flag("--out", tap_out, "Only messages as sent")->excludes(in);
  tap->add_flag("--json", tap_options.json, "The event lines as JSON (docs/control.md)");
  for (auto* command : {status, reload, tap}) {
    command->add_option("--control", client_control, "The daemon's control socket")
        ->type_name("PATH");
  }
  app.footer(kSignals);  // after the subcommands, which would otherwise inherit it

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version exit 0; a usage error prints why and exits 2, as before CLI11.
    int code = app.exit(error);
    return code == 0 ? 0 : 2;
  }
  if (*validate) {
    using oscbridge::daemon::ValidateOutput;
    return oscbridge::daemon::validate_config(
        validate_path, names ? ValidateOutput::names : ValidateOutput::summary);
  }
  if (*midi_ports) return oscbridge::daemon::print_midi_ports();
  if (*status) return oscbridge::daemon::control_status(client_control, status_json);
  if (*reload) return oscbridge::daemon::control_reload(client_control);
  if (*tap) {
    if (tap_in || tap_out) tap_options.direction = tap_in ? "in" : "out";
    return oscbridge::daemon::control_tap(client_control, tap_options);
  }
  if (!*run) {
    std::cerr << app.help()
              << "A command is required: run, validate, status, reload, tap or midi-ports\n";
    return 2;
  }
  if (config->count() > 0) options.config_path = config_path;
  if (run_control->count() > 0) options.control_path = control_path;
  return oscbridge::daemon::run_daemon(options);
}

// oscbridge: routes Open Sound Control between endpoints as a YAML file says.
//   oscbridge run [-c FILE]     the daemon, in the foreground
//   oscbridge validate FILE     check a configuration file
#include <cstdio>
#include <string>
#include <string_view>

#include "daemon/daemon.h"

namespace {

constexpr const char* kUsage =
    "usage: oscbridge run [-c FILE]     route OSC as FILE says (default: %s,\n"
    "                                   else a built-in UDP 127.0.0.1:9000 -> 127.0.0.1:9001)\n"
    "       oscbridge validate FILE     check FILE; print a summary or every error\n"
    "       oscbridge --version\n";

int usage(int exit_code) {
  std::fprintf(exit_code == 0 ? stdout : stderr, kUsage, oscbridge::daemon::kDefaultConfigPath);
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(2);
  std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") return usage(0);
  if (command == "--version") {
    std::printf("oscbridge %s\n", OSCBRIDGE_VERSION);
    return 0;
  }
  if (command == "validate") {
    if (argc != 3) return usage(2);
    return oscbridge::daemon::validate_config(argv[2]);
  }
  if (command == "run") {
    oscbridge::daemon::DaemonOptions options;
    for (int i = 2; i < argc; ++i) {
      std::string_view arg = argv[i];
      if ((arg == "-c" || arg == "--config") && i + 1 < argc) {
        options.config_path = argv[++i];
      } else {
        std::fprintf(stderr, "oscbridge run: unexpected argument '%s'\n", argv[i]);
        return usage(2);
      }
    }
    return oscbridge::daemon::run_daemon(options);
  }
  std::fprintf(stderr, "oscbridge: unknown command '%s'\n", argv[1]);
  return usage(2);
}

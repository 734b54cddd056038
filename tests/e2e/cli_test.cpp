// The command line: --help for each command, --version, a usage error for `run -c` without a
// file, `validate -` reading standard input, and SIGUSR2, which the daemon ignores.
#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

struct Outcome {
  std::optional<int> exit_code;
  std::string output;  // stdout and stderr together
};

Outcome run_cli(const std::vector<std::string>& argv) {
  test::ChildProcess child(argv);
  Outcome outcome;
  outcome.exit_code = child.wait_exit(10000);
  outcome.output = child.output();
  return outcome;
}

// `oscbridge validate -` with file's contents as standard input (through the shell).
Outcome validate_stdin(const std::string& file) {
  return run_cli({"/bin/sh", "-c",
                  std::string("exec \"") + OSCBRIDGE_BINARY + "\" validate - < \"" + file + "\""});
}

TEST(CliTest, RunHelpDocumentsTheConfigOptionAndTheSignals) {
  auto help = run_cli({OSCBRIDGE_BINARY, "run", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_NE(help.output.find("-c,--config"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("/etc/oscbridge/oscbridge.yaml"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("SIGUSR2"), std::string::npos) << help.output;
}

TEST(CliTest, ValidateHelpSaysDashReadsStandardInput) {
  auto help = run_cli({OSCBRIDGE_BINARY, "validate", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_NE(help.output.find("standard input"), std::string::npos) << help.output;
}

// "oscbridge 0.1.0 (git 432c4671276a)": the release, then the commit (`git describe --always
// --dirty` when configured, or "unknown" outside a git checkout).
TEST(CliTest, VersionPrintsTheVersionAndTheGitRevision) {
  auto version = run_cli({OSCBRIDGE_BINARY, "--version"});
  EXPECT_EQ(version.exit_code, 0) << version.output;
  std::smatch parts;
  ASSERT_TRUE(
      std::regex_match(version.output, parts,
                       std::regex("oscbridge (\\d+\\.\\d+\\.\\d+) \\(git ([0-9A-Za-z._-]+)\\)\\n")))
      << version.output;
  EXPECT_EQ(parts[1], OSCBRIDGE_PROJECT_VERSION);
  EXPECT_EQ(parts[2], OSCBRIDGE_EXPECTED_GIT_REVISION);
}

TEST(CliTest, ValidateNamesListsEndpointsThenRoutesInFileOrder) {
  TempDir dir;
  auto file = dir.file("studio.yaml");
  write_file(file,
             "endpoints:\n"
             "  surface: { protocol: udp, listen: 127.0.0.1:9000, send: 127.0.0.1:9002 }\n"
             "  daw: { protocol: udp, send: 127.0.0.1:9001 }\n"
             "routes:\n"
             "  - { name: mute groups, from: surface, to: daw }\n"
             "  - { from: daw, to: surface }\n");
  auto names = run_cli({OSCBRIDGE_BINARY, "validate", "--names", file});
  EXPECT_EQ(names.exit_code, 0) << names.output;
  EXPECT_EQ(names.output,
            "endpoint surface\n"
            "endpoint daw\n"
            "route mute groups\n"
            "route route 2\n");

  // An invalid file: the errors and exit 1, no names (completion offers nothing).
  auto bad = dir.file("bad.yaml");
  write_file(bad, "endpoints:\n  a: { protocol: udp, listen: 127.0.0.1:99999 }\n");
  auto refused = run_cli({OSCBRIDGE_BINARY, "validate", "--names", bad});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_EQ(refused.output.find("endpoint a"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("bad.yaml:2:"), std::string::npos) << refused.output;
}

TEST(CliTest, RunConfigWithoutAFileIsAUsageErrorThatSaysSo) {
  auto missing = run_cli({OSCBRIDGE_BINARY, "run", "-c"});
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_TRUE(std::regex_search(missing.output, std::regex("--config.*(missing|required|FILE)")))
      << missing.output;
  EXPECT_EQ(missing.output.find("ready"), std::string::npos) << missing.output;
}

TEST(CliTest, ValidateDashReadsStandardInput) {
  TempDir dir;
  auto good = dir.file("good.yaml");
  write_file(good,
             "endpoints:\n"
             "  in: { protocol: udp, listen: 127.0.0.1:9000 }\n"
             "  out: { protocol: udp, send: 127.0.0.1:9001 }\n"
             "routes:\n"
             "  - { from: in, to: out }\n");
  auto ok = validate_stdin(good);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_TRUE(std::regex_search(ok.output, std::regex("^<stdin>: OK, 2 endpoints"))) << ok.output;

  auto bad = dir.file("bad.yaml");
  write_file(bad, "log: { level: loud }\n");
  auto refused = validate_stdin(bad);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_TRUE(std::regex_search(refused.output, std::regex("(^|\\n)<stdin>:1:15: level: unknown")))
      << refused.output;
}

// SIGUSR2 has no meaning: the daemon says so and goes on (its default action would end the
// process with 128 + 12 = 140).
TEST(CliTest, Sigusr2IsIgnored) {
  auto in_port = free_port();
  RawUdp out;
  RawUdp sender;
  ASSERT_TRUE(out.ok() && sender.ok());
  Daemon daemon(
      "endpoints:\n"
      "  in: { protocol: udp, listen: " +
      at(in_port) +
      " }\n"
      "  out: { protocol: udp, send: " +
      at(out.port()) +
      " }\n"
      "routes:\n"
      "  - { from: in, to: out }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  daemon.signal(SIGUSR2);
  ASSERT_TRUE(daemon.wait_log("received SIGUSR2: ignored", 10000)) << daemon.log();
  ASSERT_TRUE(sender.send_to(in_port, osc_message("/still/here")));
  EXPECT_EQ(address_of(out.receive(10000)), "/still/here") << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

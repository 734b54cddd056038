// `oscbridge validate` and the daemon's start-up agree: what `run` refuses at load, validate
// refuses with a position; what validate warns about (a loop between endpoints of the file),
// the daemon logs when it starts.
#include "tests/e2e/harness.h"

namespace oscbridge::e2e {
namespace {

// Endpoint `a` listens on IPv4 and sends to an IPv6 literal: its listen socket cannot (the
// daemon used to stop with "no IPv4 address for '::1'" after validate said OK).
std::string family_mismatch_yaml(std::uint16_t listen_port, std::uint16_t send_port) {
  return "endpoints:\n"
         "  a:\n"
         "    protocol: udp\n"
         "    listen: 127.0.0.1:" +
         std::to_string(listen_port) +
         "\n"
         "    send: \"[::1]:" +
         std::to_string(send_port) +
         "\"\n"
         "routes:\n"
         "  - { from: a, to: a }\n";
}

// Two endpoints that each send to the other's listen, with routes both ways.
std::string loop_yaml(std::uint16_t a_port, std::uint16_t b_port) {
  return "endpoints:\n"
         "  a: { protocol: udp, listen: 127.0.0.1:" +
         std::to_string(a_port) + ", send: 127.0.0.1:" + std::to_string(b_port) +
         " }\n"
         "  b: { protocol: udp, listen: 127.0.0.1:" +
         std::to_string(b_port) + ", send: 127.0.0.1:" + std::to_string(a_port) +
         " }\n"
         "routes:\n"
         "  - { name: ab, from: a, to: b }\n"
         "  - { name: ba, from: b, to: a }\n";
}

TEST(ValidateTest, RefusesASendAddressTheListenSocketCannotReach) {
  TempDir dir;
  const std::string path = dir.file("mismatch.yaml");
  write_file(path, family_mismatch_yaml(free_port(), free_port()));
  test::ChildProcess validate({OSCBRIDGE_BINARY, "validate", path});
  EXPECT_EQ(validate.wait_exit(), 1) << validate.output();
  EXPECT_NE(validate.output().find(path + ":5:11: send: [::1]:"), std::string::npos)
      << validate.output();
  EXPECT_NE(validate.output().find("listen on [::] or send to an IPv4 address"), std::string::npos)
      << validate.output();
}

TEST(ValidateTest, WarnsAboutALoopAndTheDaemonLogsItAtStartUp) {
  const std::uint16_t a_port = free_port();
  const std::uint16_t b_port = free_port();
  const std::string yaml = loop_yaml(a_port, b_port);
  // At the send of `a` (column 54: ports are five digits), naming both endpoints' lines.
  const std::string warning =
      ":2:54: warning: loop: endpoint 'a' (line 2) sends to 127.0.0.1:" + std::to_string(b_port) +
      ", the listen of endpoint 'b' (line 3)";

  TempDir dir;
  const std::string path = dir.file("loop.yaml");
  write_file(path, yaml);
  test::ChildProcess validate({OSCBRIDGE_BINARY, "validate", path});
  EXPECT_EQ(validate.wait_exit(), 0) << validate.output();
  EXPECT_NE(validate.output().find(path + warning), std::string::npos) << validate.output();

  Daemon daemon(yaml);
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  EXPECT_NE(daemon.log().find(daemon.config_path() + warning), std::string::npos) << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

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

}  // namespace
}  // namespace oscbridge::e2e

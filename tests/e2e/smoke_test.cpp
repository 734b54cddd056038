// The shortest path through the product: oscsend -> oscbridge (UDP) -> liblo peer.
#include "tests/e2e/harness.h"

namespace oscbridge::e2e {
namespace {

TEST(SmokeTest, UdpMessageIsForwardedAndSigtermExitsZero) {
  auto in_port = free_port();
  LoPeer out(free_port());
  ASSERT_TRUE(out.ok());
  Daemon daemon(
      "endpoints:\n"
      "  in: { protocol: udp, listen: 127.0.0.1:" +
      std::to_string(in_port) +
      " }\n"
      "  out: { protocol: udp, send: 127.0.0.1:" +
      std::to_string(out.port()) +
      " }\n"
      "routes:\n"
      "  - { from: in, to: out }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  test::ChildProcess send(
      {OSCSEND_BINARY, "127.0.0.1", std::to_string(in_port), "/hello", "if", "3", "0.5"});
  ASSERT_EQ(send.wait_exit(), 0) << send.output();
  const auto& got = out.wait_for(1);
  ASSERT_EQ(got.size(), 1u) << daemon.log();
  EXPECT_EQ(got[0].address, "/hello");
  EXPECT_EQ(got[0].args, (std::vector<std::string>{"i:3", "f:0.5"}));
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_NE(daemon.log().find("route route 1: matched 1, sent 1"), std::string::npos)
      << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

// keepalive and on_connect through the real daemon (issue 10): a keepalive arrives on time
// (within 10 %) with its string, int and float arguments; on_connect greets a TCP server the
// daemon connects to, a TCP client that connects to the daemon, and a UDP reply peer the first
// time it is heard (only then).
#include "tests/e2e/tcp_helpers.h"
#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

TEST(GreetingTest, KeepaliveArrivesOnTimeWithItsArguments) {
  RawUdp mixer;
  ASSERT_TRUE(mixer.ok());
  Daemon daemon(
      "endpoints:\n"
      "  x32:\n"
      "    protocol: udp\n"
      "    send: " +
      at(mixer.port()) +
      "\n"
      "    keepalive: { every: 500ms, send: [ [/xremote], "
      "[/subscribe, \"/ch/01/mix/fader\", 10, 0.5] ] }\n"
      "routes: []\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  std::vector<std::chrono::steady_clock::time_point> xremote;
  std::optional<Received> subscribe;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (xremote.size() < 5 && std::chrono::steady_clock::now() < deadline) {
    auto datagram = mixer.receive(1000);
    if (!datagram) continue;
    auto decoded = lo_decode(datagram->bytes);
    ASSERT_TRUE(decoded);
    if (decoded->address == "/xremote") xremote.push_back(std::chrono::steady_clock::now());
    if (decoded->address == "/subscribe") subscribe = decoded;
  }
  ASSERT_EQ(xremote.size(), 5u) << daemon.log();
  const double average =
      std::chrono::duration<double, std::milli>(xremote.back() - xremote.front()).count() / 4;
  EXPECT_GE(average, 450.0);
  EXPECT_LE(average, 550.0);
  ASSERT_TRUE(subscribe);
  EXPECT_EQ(subscribe->types, "sif");
  EXPECT_EQ(subscribe->args, (std::vector<std::string>{"s:/ch/01/mix/fader", "i:10", "f:0.5"}));
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(GreetingTest, OnConnectGreetsEachTcpConnectionInEitherDirection) {
  const auto server_port = free_port();
  StreamServer console(server_port);
  ASSERT_TRUE(console.ok()) << console.error();
  const auto listen_port = free_port();
  Daemon daemon(
      "endpoints:\n"
      "  eos:\n"
      "    protocol: tcp\n"
      "    connect: " +
      at(server_port) +
      "\n"
      "    framing: slip\n"
      "    on_connect: [ [/eos/subscribe, 1] ]\n"
      "  tablets:\n"
      "    protocol: tcp\n"
      "    listen: " +
      at(listen_port) +
      "\n"
      "    on_connect: [ [/hello, \"welcome\"], [/level, 0.25] ]\n"
      "routes: []\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  auto frames = console.wait_frames(1);
  ASSERT_EQ(frames.size(), 1u) << daemon.log();
  auto decoded = lo_decode(frames[0]);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->address, "/eos/subscribe");
  EXPECT_EQ(decoded->args, (std::vector<std::string>{"i:1"}));

  for (int client = 0; client < 2; ++client) {
    StreamPeer tablet(listen_port, Framing::slip);
    ASSERT_TRUE(tablet.ok()) << tablet.error();
    const auto& got = tablet.wait_frames(2);
    ASSERT_EQ(got.size(), 2u) << daemon.log();
    EXPECT_EQ(lo_decode(got[0])->args, (std::vector<std::string>{"s:welcome"}));
    EXPECT_EQ(lo_decode(got[1])->address, "/level");
  }
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(GreetingTest, OnConnectGreetsAUdpReplyPeerOnlyTheFirstTimeItIsHeard) {
  const auto port = free_port();
  RawUdp tablet;
  ASSERT_TRUE(tablet.ok());
  Daemon daemon(
      "endpoints:\n"
      "  tablets:\n"
      "    protocol: udp\n"
      "    listen: " +
      at(port) +
      "\n"
      "    reply: true\n"
      "    on_connect: [ [/sync/request] ]\n"
      "routes:\n"
      "  - { from: tablets, to: tablets, match: /ping, address: /pong }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  std::vector<std::string> got;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(tablet.send_to(port, osc_message("/ping")));
    // Each ping is answered with /pong, which comes after any greeting.
    while (true) {
      auto datagram = tablet.receive(5000);
      ASSERT_TRUE(datagram) << daemon.log();
      got.push_back(address_of(datagram));
      if (got.back() == "/pong") break;
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{"/sync/request", "/pong", "/pong"}));
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

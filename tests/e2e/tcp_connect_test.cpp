// A TCP `connect:` endpoint of the real daemon against a server the test starts, stops and
// starts again on the same port: traffic both ways, drops counted while the server is gone,
// and a reconnection within the backoff (100 ms doubling) once it is back.
#include "tests/e2e/tcp_helpers.h"

namespace oscbridge::e2e {
namespace {

// Asks the daemon for its counters (SIGUSR1) until the `name` endpoint's line matches
// expected, or the timeout passes. Repeated because a signal and a datagram sent just before
// it may be handled in either order by the daemon's loop. Returns the last line seen.
std::string wait_counters(Daemon& daemon, const std::string& name, const std::string& expected,
                          int timeout_ms = 5000) {
  auto deadline = deadline_after(timeout_ms);
  std::string line;
  while (ms_left(deadline) > 0) {
    daemon.signal(SIGUSR1);
    auto found = daemon.wait_log("endpoint " + name + ": ([^\n]*)", ms_left(deadline));
    if (!found) break;
    line = *found;
    if (std::regex_search(line, std::regex(expected))) break;
  }
  return line;
}

TEST(TcpConnectTest, ReconnectsAfterTheServerRestartsAndDropsWhatCameMeanwhile) {
  auto udp_port = free_port();
  auto tcp_port = free_port(SOCK_STREAM);
  LoPeer desk(free_port());
  ASSERT_TRUE(desk.ok());
  auto server = std::make_unique<StreamServer>(tcp_port);
  ASSERT_TRUE(server->ok()) << server->error();
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      std::to_string(udp_port) +
      " }\n"
      "  ardour: { protocol: tcp, connect: 127.0.0.1:" +
      std::to_string(tcp_port) +
      " }\n"
      "  desk: { protocol: udp, send: 127.0.0.1:" +
      std::to_string(desk.port()) +
      " }\n"
      "routes:\n"
      "  - { from: surface, to: ardour }\n"
      "  - { from: ardour, to: desk }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  const std::string connected = "ardour: connected to 127\\.0\\.0\\.1:" + std::to_string(tcp_port);
  ASSERT_TRUE(daemon.wait_log(connected)) << daemon.log();
  ASSERT_TRUE(server->wait_connected()) << daemon.log();

  // Out through the connection, SLIP-framed (the default framing).
  LoMessage gain("/strip/gain");
  gain.i(1).f(0.5f);
  ASSERT_TRUE(gain.send_udp(udp_port));
  auto frames = server->wait_frames(1);
  ASSERT_EQ(frames.size(), 1u) << daemon.log();
  EXPECT_EQ(frames[0], gain.bytes());
  EXPECT_TRUE(server->bad_frames().empty());

  // And in: what the server sends is routed like any other packet.
  LoMessage meter("/strip/meter");
  meter.i(3).f(0.25f);
  ASSERT_TRUE(server->send(reference_slip(meter.bytes())));
  ASSERT_EQ(desk.wait_for(1).size(), 1u) << daemon.log();
  EXPECT_EQ(desk.received()[0].address, "/strip/meter");
  EXPECT_EQ(desk.received()[0].args, (std::vector<std::string>{"i:3", "f:0.25"}));

  // The server goes away: messages routed meanwhile are dropped and counted, not queued.
  server.reset();
  ASSERT_TRUE(
      daemon.wait_log("ardour: disconnected from 127\\.0\\.0\\.1:" + std::to_string(tcp_port)))
      << daemon.log();
  LoMessage lost("/strip/lost");
  lost.i(0);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(lost.send_udp(udp_port));
  std::string counters = wait_counters(daemon, "ardour", "disconnected 3");
  EXPECT_TRUE(std::regex_search(counters, std::regex("sent 1, dropped 3 \\(disconnected 3\\)")))
      << counters << "\n"
      << daemon.log();

  // Back on the same port: the daemon finds it again within its backoff.
  server = std::make_unique<StreamServer>(tcp_port);
  ASSERT_TRUE(server->ok()) << server->error();
  ASSERT_TRUE(daemon.wait_log(connected, 10000)) << "no reconnection\n" << daemon.log();
  ASSERT_TRUE(server->wait_connected()) << daemon.log();
  LoMessage again("/strip/again");
  again.i(2);
  ASSERT_TRUE(again.send_udp(udp_port));
  frames = server->wait_frames(1);
  ASSERT_EQ(frames.size(), 1u) << daemon.log();
  EXPECT_EQ(frames[0], again.bytes()) << "the first frame after reconnecting is the new message, "
                                         "not one routed while disconnected";

  ASSERT_TRUE(server->send(reference_slip(meter.bytes())));
  ASSERT_EQ(desk.wait_for(2).size(), 2u) << daemon.log();
  EXPECT_EQ(desk.received()[1].address, "/strip/meter");

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_NE(daemon.log().find("endpoint ardour: received 2, sent 2, dropped 3 (disconnected 3)"),
            std::string::npos)
      << daemon.log();
}

// A daemon that starts before its server keeps trying and connects once the server appears.
TEST(TcpConnectTest, ConnectsToAServerThatStartsLater) {
  auto udp_port = free_port();
  auto tcp_port = free_port(SOCK_STREAM);
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      std::to_string(udp_port) +
      " }\n"
      "  ardour: { protocol: tcp, connect: 127.0.0.1:" +
      std::to_string(tcp_port) +
      ", framing: length }\n"
      "routes:\n"
      "  - { from: surface, to: ardour }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  ASSERT_TRUE(daemon.wait_log("ardour: cannot connect to 127\\.0\\.0\\.1:" +
                              std::to_string(tcp_port) + ": [^;]*; retrying in"))
      << daemon.log();

  // liblo as the server this time: it reads length-prefixed OSC over TCP by default.
  LoPeer ardour(tcp_port, LO_TCP);
  ASSERT_TRUE(ardour.ok());
  ASSERT_TRUE(daemon.wait_log("ardour: connected to", 10000)) << daemon.log();
  LoMessage gain("/strip/gain");
  gain.i(4).s("dB");
  ASSERT_TRUE(gain.send_udp(udp_port));
  ASSERT_EQ(ardour.wait_for(1, 5000).size(), 1u) << daemon.log();
  EXPECT_EQ(ardour.received()[0].address, "/strip/gain");
  EXPECT_EQ(ardour.received()[0].args, (std::vector<std::string>{"i:4", "s:dB"}));
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

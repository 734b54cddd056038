// SIGHUP reloads of the real daemon: a change of routes takes effect without touching the
// connections of endpoints that did not change, and an invalid file is reported with its
// FILE:LINE:COL and leaves the running routes in place.
#include "tests/e2e/tcp_helpers.h"

namespace oscbridge::e2e {
namespace {

std::string endpoints_yaml(std::uint16_t udp_port, std::uint16_t tcp_port,
                           std::uint16_t desk_port) {
  return "endpoints:\n"
         "  surface: { protocol: udp, listen: 127.0.0.1:" +
         std::to_string(udp_port) +
         " }\n"
         "  eos: { protocol: tcp, listen: 127.0.0.1:" +
         std::to_string(tcp_port) +
         " }\n"
         "  desk: { protocol: udp, send: 127.0.0.1:" +
         std::to_string(desk_port) + " }\n";
}

TEST(ServiceReloadTest, NewRoutesApplyToAConnectionThatStaysOpen) {
  auto udp_port = free_port();
  auto tcp_port = free_port(SOCK_STREAM);
  LoPeer desk(free_port());
  ASSERT_TRUE(desk.ok());
  const std::string endpoints = endpoints_yaml(udp_port, tcp_port, desk.port());
  Daemon daemon(endpoints +
                "routes:\n"
                "  - { from: surface, match: /old/*, to: eos }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  StreamPeer client(tcp_port, Framing::slip);
  ASSERT_TRUE(client.ok()) << client.error();
  ASSERT_TRUE(daemon.wait_log(client.connected_log("eos"))) << daemon.log();
  LoMessage old_1("/old/1"), old_2("/old/2"), new_1("/new/1");
  old_1.i(1);
  old_2.i(2);
  new_1.i(3);
  ASSERT_TRUE(old_1.send_udp(udp_port));
  ASSERT_EQ(client.wait_frames(1).size(), 1u) << daemon.log();
  EXPECT_EQ(client.frames()[0], old_1.bytes());

  ASSERT_TRUE(daemon.reload(endpoints + "routes:\n"
                                        "  - { from: surface, match: /new/*, to: eos }\n"
                                        "  - { from: surface, match: /old/*, to: desk }\n"))
      << daemon.log();

  // Sent in this order from one socket, so had /old/2 still gone to eos it would come first.
  ASSERT_TRUE(old_2.send_udp(udp_port));
  ASSERT_TRUE(new_1.send_udp(udp_port));
  ASSERT_EQ(client.wait_frames(2).size(), 2u) << daemon.log();
  EXPECT_EQ(client.frames()[1], new_1.bytes()) << "the connection did not follow the new routes";
  ASSERT_EQ(desk.wait_for(1).size(), 1u) << daemon.log();
  EXPECT_EQ(desk.received()[0].address, "/old/2");

  EXPECT_FALSE(client.closed());
  const std::string& log = daemon.log();
  EXPECT_EQ(log.find(client.disconnected_log("eos")), std::string::npos) << log;
  EXPECT_EQ(log.find("eos: closed"), std::string::npos) << "an unchanged endpoint was reopened\n"
                                                        << log;
  EXPECT_EQ(log.find("eos: listening on"), log.rfind("eos: listening on"))
      << "an unchanged endpoint was reopened\n"
      << log;
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(ServiceReloadTest, ChangedEndpointIsReopenedOnItsPort) {
  auto udp_port = free_port();
  auto tcp_port = free_port(SOCK_STREAM);
  LoPeer desk(free_port());
  ASSERT_TRUE(desk.ok());
  const std::string routes = "routes:\n  - { from: surface, to: eos }\n";
  Daemon daemon(endpoints_yaml(udp_port, tcp_port, desk.port()) + routes);
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  StreamPeer slip_client(tcp_port, Framing::slip);
  ASSERT_TRUE(slip_client.ok()) << slip_client.error();
  ASSERT_TRUE(daemon.wait_log(slip_client.connected_log("eos"))) << daemon.log();

  std::string changed = endpoints_yaml(udp_port, tcp_port, desk.port());
  changed.replace(changed.find(std::to_string(tcp_port) + " }"),
                  std::to_string(tcp_port).size() + 2,
                  std::to_string(tcp_port) + ", framing: length }");
  ASSERT_TRUE(daemon.reload(changed + routes)) << daemon.log();
  EXPECT_NE(daemon.log().find("eos: closed"), std::string::npos) << daemon.log();
  // Its clients were connected to the old settings; they go, and may come back.
  EXPECT_TRUE(slip_client.wait_closed()) << daemon.log();

  StreamPeer length_client(tcp_port, Framing::length);
  ASSERT_TRUE(length_client.ok()) << length_client.error();
  ASSERT_TRUE(daemon.wait_log(length_client.connected_log("eos"))) << daemon.log();
  LoMessage cue("/cue");
  cue.i(5);
  ASSERT_TRUE(cue.send_udp(udp_port));
  ASSERT_EQ(length_client.wait_frames(1).size(), 1u) << daemon.log();
  EXPECT_EQ(length_client.raw(), reference_length_frame(cue.bytes()));
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(ServiceReloadTest, InvalidFileIsReportedAndTheRunningRoutesStay) {
  auto udp_port = free_port();
  LoPeer one(free_port());
  LoPeer two(free_port());
  ASSERT_TRUE(one.ok() && two.ok());
  const std::string endpoints =
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      std::to_string(udp_port) +
      " }\n"
      "  one: { protocol: udp, send: 127.0.0.1:" +
      std::to_string(one.port()) +
      " }\n"
      "  two: { protocol: udp, send: 127.0.0.1:" +
      std::to_string(two.port()) + " }\n";
  Daemon daemon(endpoints + "routes:\n  - { from: surface, to: one }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  const std::string broken = endpoints +
                             "routes:\n"
                             "  - from: surface\n"
                             "    to: nowhere\n";
  EXPECT_FALSE(daemon.reload(broken)) << daemon.log();
  const std::string position =
      regex_escape(daemon.config_path() + ":" + position_of(broken, "nowhere"));
  EXPECT_TRUE(
      std::regex_search(daemon.log(), std::regex(position + ": [^\n]*unknown endpoint 'nowhere'")))
      << "expected " << position << " in the log:\n"
      << daemon.log();
  EXPECT_NE(daemon.log().find("reload failed"), std::string::npos) << daemon.log();

  LoMessage first("/still/old");
  first.i(1);
  ASSERT_TRUE(first.send_udp(udp_port));
  ASSERT_EQ(one.wait_for(1).size(), 1u) << "the old route was lost\n" << daemon.log();
  EXPECT_EQ(one.received()[0].address, "/still/old");

  // Daemon::reload() reports failure once any reload has failed, so this one is done by hand.
  write_file(daemon.config_path(), endpoints + "routes:\n  - { from: surface, to: two }\n");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_log("reloaded: 3 endpoints")) << daemon.log();
  LoMessage second("/now/new");
  second.i(2);
  ASSERT_TRUE(second.send_udp(udp_port));
  ASSERT_EQ(two.wait_for(1).size(), 1u) << "the valid reload did not apply\n" << daemon.log();
  EXPECT_EQ(two.received()[0].address, "/now/new");
  EXPECT_EQ(one.serve_for(100).size(), 1u) << "the replaced route still applies";
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

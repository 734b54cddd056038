// Where UDP traffic may come from: an `allow` list drops (and counts as acl) sources outside
// it and forwards those inside; and the whole path works over IPv6 loopback.
#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

TEST(UdpSourcesTest, AllowListDropsAndCountsOtherSourcesAndForwardsListedOnes) {
  auto strict_port = free_port();
  auto loopback_port = free_port();
  auto one_host_port = free_port();
  RawUdp out;
  RawUdp sender;                                 // 127.0.0.1
  RawUdp other_sender(AF_INET, 0, "127.0.0.2");  // another loopback source
  ASSERT_TRUE(out.ok() && sender.ok() && other_sender.ok());
  Daemon daemon(
      "endpoints:\n"
      "  strict: { protocol: udp, listen: " +
      at(strict_port) +
      ", allow: [10.0.0.0/8] }\n"
      "  loopback: { protocol: udp, listen: " +
      at(loopback_port) +
      ", allow: [127.0.0.0/8] }\n"
      "  one_host: { protocol: udp, listen: " +
      at(one_host_port) +
      ", allow: [192.168.0.0/16, 127.0.0.1/32] }\n"
      "  out: { protocol: udp, send: " +
      at(out.port()) +
      " }\n"
      "routes:\n"
      "  - { name: forward, from: [strict, loopback, one_host], to: out }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  ASSERT_TRUE(sender.send_to(strict_port, osc_message("/from/strict")));
  ASSERT_TRUE(daemon.wait_log("strict: dropped a message \\(acl\\): source 127\\.0\\.0\\.1:" +
                              std::to_string(sender.port()) + "\\b"))
      << daemon.log();
  // The drop is logged while the datagram is handled, so had it been forwarded it would be
  // queued at `out` ahead of this one.
  ASSERT_TRUE(sender.send_to(loopback_port, osc_message("/from/loopback")));
  EXPECT_EQ(address_of(out.receive()), "/from/loopback") << daemon.log();

  // Both sources land in one_host's single socket queue in send order, so once the last
  // (allowed) one is out, the three from 127.0.0.2 were handled before it.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(other_sender.send_to(one_host_port, osc_message("/from/other/host")));
  }
  ASSERT_TRUE(sender.send_to(one_host_port, osc_message("/from/one/host")));
  EXPECT_EQ(address_of(out.receive()), "/from/one/host") << daemon.log();
  EXPECT_EQ(address_of(out.receive(0)), "(nothing)");

  ASSERT_TRUE(log_counters_now(daemon, "forward")) << daemon.log();
  std::string log = daemon.log();
  EXPECT_EQ(counters(log, "endpoint", "strict"), "received 1, sent 0, dropped 1 (acl 1)") << log;
  EXPECT_EQ(counters(log, "endpoint", "loopback"), "received 1, sent 0, dropped 0") << log;
  EXPECT_EQ(counters(log, "endpoint", "one_host"), "received 4, sent 0, dropped 3 (acl 3)") << log;
  EXPECT_EQ(counters(log, "endpoint", "out"), "received 0, sent 2, dropped 0") << log;
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(UdpSourcesTest, Ipv6LoopbackListenSendAndReply) {
  auto in_port = free_port6();
  auto relay_port = free_port6();
  RawUdp client(AF_INET6);
  RawUdp server(AF_INET6);
  ASSERT_TRUE(client.ok() && server.ok()) << "no IPv6 loopback";
  // in6 answers its peers (reply) and accepts only ::1; relay6 sends from its listen port.
  Daemon daemon(
      "endpoints:\n"
      "  in6: { protocol: udp, listen: \"[::1]:" +
      std::to_string(in_port) +
      "\", allow: [\"::1/128\"], reply: true }\n"
      "  relay6: { protocol: udp, listen: \"[::1]:" +
      std::to_string(relay_port) + "\", send: \"[::1]:" + std::to_string(server.port()) +
      "\" }\n"
      "routes:\n"
      "  - { name: request, from: in6, to: relay6 }\n"
      "  - { name: answer, from: relay6, to: in6 }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  ASSERT_TRUE(
      client.send_to(in_port, osc_message("/v6/request", [](auto& m) { m.add_string("hello"); })));
  auto request = server.receive();
  ASSERT_EQ(address_of(request), "/v6/request") << daemon.log();
  EXPECT_EQ(request->source_address, "::1");
  EXPECT_EQ(request->source_port, relay_port);
  auto parsed = osc::parse_packet(request->bytes);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->message().type_tags(), "s");
  EXPECT_EQ(parsed->message().argument(0)->as_string(), "hello");

  ASSERT_TRUE(server.send_to(relay_port, osc_message("/v6/answer")));
  auto answer = client.receive();
  ASSERT_EQ(address_of(answer), "/v6/answer") << daemon.log();
  EXPECT_EQ(answer->source_address, "::1");
  EXPECT_EQ(answer->source_port, in_port) << "a reply comes from the listen port";

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_EQ(counters(daemon.log(), "endpoint", "in6"), "received 1, sent 1, dropped 0")
      << daemon.log();
}

// A socket bound to ::1 cannot send to 127.0.0.1 (the kernel says "Network is unreachable"
// on every send), so such an endpoint must not start as if all were well.
TEST(UdpSourcesTest, Ipv6ListenWithAnIpv4DestinationIsRefusedAtStart) {
  auto in_port = free_port6();
  auto out_port = free_port();
  Daemon daemon(
      "endpoints:\n"
      "  in6: { protocol: udp, listen: \"[::1]:" +
      std::to_string(in_port) + "\", send: " + at(out_port) +
      " }\n"
      "routes:\n"
      "  - { name: loop, from: in6, to: in6 }\n");
  // The loader refuses it (config/endpoints.cpp), at the send address, before any socket is
  // opened; the endpoint's own check remains for host names.
  EXPECT_TRUE(daemon.wait_log(":2:[0-9]+: send: 127\\.0\\.0\\.1:" + std::to_string(out_port) +
                              " is IPv4 but listen \\[::1\\]:[0-9]+ is IPv6"))
      << daemon.log();
  EXPECT_EQ(daemon.stop(), 1) << daemon.log();
  EXPECT_EQ(daemon.log().find("ready: "), std::string::npos) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

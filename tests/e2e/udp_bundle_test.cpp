// Bundles through the real daemon: messages of one incoming bundle leave, per destination
// endpoint, in one bundle with the original timetag; nested bundles keep their own timetags;
// a bare message leaves bare. liblo builds the incoming bundle; raw sockets check the bytes.
#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

// A bundle as text: "@<ntp hex> /a/1 i:1 | /a/2 i:3", enough to compare whole packets.
std::string describe_bundle(const std::optional<Datagram>& datagram) {
  if (!datagram) return "(nothing)";
  auto packet = osc::parse_packet(datagram->bytes);
  if (!packet) return "malformed: " + std::string(packet.error().reason);
  if (!packet->is_bundle()) return "bare " + std::string(packet->message().address());
  char time[32];
  std::snprintf(time, sizeof time, "@%016llx",
                static_cast<unsigned long long>(packet->bundle().time().ntp()));
  std::string text = time;
  const char* separator = " ";
  for (const osc::Packet& element : packet->bundle().elements()) {
    text += separator;
    separator = " | ";
    if (element.is_bundle()) {
      text += "(nested bundle)";
      continue;
    }
    text += std::string(element.message().address());
    for (const osc::Argument& argument : element.message().arguments()) {
      text += " " + std::string(1, argument.tag()) + ":" +
              (argument.tag() == 'i' ? std::to_string(argument.as_int32()) : "?");
    }
  }
  return text;
}

bool send_bare(std::uint16_t port, std::string_view address) {
  RawUdp sender;
  return sender.send_to(port, osc_message(address));
}

std::string at_time(osc::TimeTag time) {
  char text[32];
  std::snprintf(text, sizeof text, "@%016llx", static_cast<unsigned long long>(time.ntp()));
  return text;
}

struct BundleNet {
  std::uint16_t in_port = free_port();
  RawUdp a;
  RawUdp b;

  std::string config() const {
    return "endpoints:\n"
           "  in: { protocol: udp, listen: " +
           at(in_port) +
           " }\n"
           "  a: { protocol: udp, send: " +
           at(a.port()) +
           " }\n"
           "  b: { protocol: udp, send: " +
           at(b.port()) +
           " }\n"
           "routes:\n"
           "  - { name: to_a, from: in, match: /a/*, to: a }\n"
           "  - { name: to_b, from: in, match: /b, to: b }\n";
  }
};

TEST(UdpBundleTest, EachDestinationGetsOneBundleWithTheOriginalTimetag) {
  BundleNet net;
  ASSERT_TRUE(net.a.ok() && net.b.ok());
  Daemon daemon(net.config());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  lo_timetag future;
  lo_timetag_now(&future);
  future.sec += 10;
  future.frac = 0x12345678;  // a fraction nobody would produce by rounding
  lo_bundle bundle = lo_bundle_new(future);
  // Interleaved, so a router that sent messages as they came would split a's pair.
  const std::pair<const char*, int> messages[] = {{"/a/1", 1}, {"/b", 2}, {"/a/2", 3}};
  for (auto [address, value] : messages) {
    lo_message message = lo_message_new();
    lo_message_add_int32(message, value);
    ASSERT_EQ(lo_bundle_add_message(bundle, address, message), 0);
  }
  lo_address to_daemon = lo_address_new("127.0.0.1", std::to_string(net.in_port).c_str());
  ASSERT_NE(to_daemon, nullptr);
  EXPECT_GT(lo_send_bundle(to_daemon, bundle), 0);
  lo_bundle_free_recursive(bundle);
  lo_address_free(to_daemon);

  const std::string time = at_time(osc::TimeTag(future.sec, future.frac));
  EXPECT_EQ(describe_bundle(net.a.receive()), time + " /a/1 i:1 | /a/2 i:3") << daemon.log();
  EXPECT_EQ(describe_bundle(net.b.receive()), time + " /b i:2") << daemon.log();
  // Anything else the bundle sent to a would be queued ahead of this later bare message.
  ASSERT_TRUE(send_bare(net.in_port, "/a/end"));
  EXPECT_EQ(describe_bundle(net.a.receive()), "bare /a/end") << daemon.log();

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  // One bundle of two messages and the bare /a/end: three messages (in two datagrams).
  EXPECT_EQ(counters(daemon.log(), "endpoint", "a"), "received 0, sent 3, dropped 0")
      << daemon.log();
}

TEST(UdpBundleTest, NestedTimetagsAreKeptAndBareMessagesStayBare) {
  BundleNet net;
  RawUdp sender;
  ASSERT_TRUE(net.a.ok() && net.b.ok() && sender.ok());
  Daemon daemon(net.config());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  // outer @T1 { /a/x 1, inner @T2 { /a/y 2 }, /a/z 3 }: a bundle carries one timetag, so
  // `a` must get three bundles in order, each with the timetag its message was sent under.
  const osc::TimeTag outer_time(0xe0000000u, 0x10);
  const osc::TimeTag inner_time(0xe0000001u, 0x20);
  std::vector<char> buffer(1024);
  osc::BundleBuilder outer(std::span<char>(buffer.data(), buffer.size()), outer_time);
  outer.add_element(osc_message("/a/x", [](auto& m) { m.add_int32(1); }));
  {
    osc::BundleBuilder inner(outer.element_space(), inner_time);
    inner.add_element(osc_message("/a/y", [](auto& m) { m.add_int32(2); }));
    outer.commit_element(inner.finish());
  }
  outer.add_element(osc_message("/a/z", [](auto& m) { m.add_int32(3); }));
  auto size = outer.finish();
  ASSERT_TRUE(size) << size.error().reason;
  ASSERT_TRUE(sender.send_to(net.in_port, std::string_view(buffer.data(), *size)));

  EXPECT_EQ(describe_bundle(net.a.receive()), at_time(outer_time) + " /a/x i:1") << daemon.log();
  EXPECT_EQ(describe_bundle(net.a.receive()), at_time(inner_time) + " /a/y i:2") << daemon.log();
  EXPECT_EQ(describe_bundle(net.a.receive()), at_time(outer_time) + " /a/z i:3") << daemon.log();

  // A bare message leaves bare, and comes next: a fourth bundle from the nested packet
  // would be queued ahead of it.
  ASSERT_TRUE(send_bare(net.in_port, "/a/end"));
  EXPECT_EQ(describe_bundle(net.a.receive()), "bare /a/end") << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

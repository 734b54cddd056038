// Bad input never stops the daemon nor loses other traffic: the malformed packets of the
// codec's seed corpus (tests/fuzz/corpus/packet/bad-*), 200 datagrams in all, go to a UDP
// endpoint between valid messages, which all still arrive; each bad one is counted.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

std::vector<std::string> bad_packets() {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(OSCBRIDGE_CORPUS_DIR) + "/packet")) {
    if (entry.path().filename().string().starts_with("bad-")) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> packets;
  for (const auto& path : paths) {
    std::ifstream file(path, std::ios::binary);
    packets.emplace_back(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  return packets;
}

TEST(UdpMalformedTest, TwoHundredMalformedDatagramsAreCountedAndValidTrafficStillFlows) {
  constexpr int kDatagrams = 200;
  constexpr int kBatch = 25;  // small enough never to fill a socket buffer on a slow machine
  auto packets = bad_packets();
  ASSERT_FALSE(packets.empty()) << OSCBRIDGE_CORPUS_DIR;

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
      "  - { name: alive, from: in, match: /still/alive, to: out }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  // The daemon reads one socket in order, so when a batch's valid message is out every bad
  // datagram before it was handled; waiting for it also keeps the socket buffer from filling.
  int sent = 0;
  int not_osc = 0;
  int valid = 0;
  while (sent < kDatagrams) {
    for (int i = 0; i < kBatch && sent < kDatagrams; ++i, ++sent) {
      const std::string& packet = packets[static_cast<std::size_t>(sent) % packets.size()];
      if (!osc::parse_packet(packet)) ++not_osc;
      ASSERT_TRUE(sender.send_to(in_port, packet)) << "datagram " << sent;
    }
    ASSERT_TRUE(
        sender.send_to(in_port, osc_message("/still/alive", [&](auto& m) { m.add_int32(valid); })));
    auto forwarded = out.receive(5000);
    ASSERT_EQ(address_of(forwarded), "/still/alive") << "after " << sent << "\n" << daemon.log();
    auto parsed = osc::parse_packet(forwarded->bytes);
    EXPECT_EQ(parsed->message().argument(0)->as_int32(), valid);
    ++valid;
  }
  // The corpus promises malformed packets only (tests/osc checks that too).
  EXPECT_EQ(not_osc, kDatagrams);

  EXPECT_EQ(daemon.stop(), 0) << "the daemon did not stop cleanly\n" << daemon.log();
  std::string log = daemon.log();
  // Every datagram arrived: received counts the malformed ones too.
  EXPECT_EQ(counters(log, "endpoint", "in"), "received " + std::to_string(valid + not_osc) +
                                                 ", sent 0, dropped " + std::to_string(not_osc) +
                                                 " (malformed " + std::to_string(not_osc) + ")")
      << log;
  EXPECT_EQ(counters(log, "endpoint", "out"),
            "received 0, sent " + std::to_string(valid) + ", dropped 0")
      << log;
  EXPECT_NE(log.find("in: dropped a message (malformed)"), std::string::npos) << log;
}

TEST(UdpMalformedTest, EndpointLimitsOnSizeAndBundleDepthDropAndCount) {
  auto in_port = free_port();
  RawUdp out;
  RawUdp sender;
  ASSERT_TRUE(out.ok() && sender.ok());
  Daemon daemon(
      "endpoints:\n"
      "  small: { protocol: udp, listen: " +
      at(in_port) +
      ", max_frame: 64, max_bundle_depth: 1 }\n"
      "  out: { protocol: udp, send: " +
      at(out.port()) +
      " }\n"
      "routes:\n"
      "  - { name: all, from: small, to: out }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  auto blob_message = [](std::size_t blob_size) {
    return osc_message("/sixty-four", [&](auto& m) { m.add_blob(std::string(blob_size, 'x')); });
  };
  auto bundle = [](int depth) {
    std::vector<char> buffer(256);
    std::string packet = osc_message("/deep");
    for (int level = 0; level < depth; ++level) {
      osc::BundleBuilder builder(std::span<char>(buffer.data(), buffer.size()),
                                 osc::TimeTag::immediately());
      builder.add_element(packet);
      auto size = builder.finish();
      packet.assign(buffer.data(), size ? *size : 0);
    }
    return packet;
  };
  const std::string at_limit = blob_message(44);
  const std::string over_limit = blob_message(48);
  ASSERT_EQ(at_limit.size(), 64u);
  ASSERT_EQ(over_limit.size(), 68u);

  // One socket, so the daemon handles them in this order and /end arrives last.
  ASSERT_TRUE(sender.send_to(in_port, at_limit));
  ASSERT_TRUE(sender.send_to(in_port, over_limit));
  ASSERT_TRUE(sender.send_to(in_port, bundle(2)));
  ASSERT_TRUE(sender.send_to(in_port, bundle(1)));
  ASSERT_TRUE(sender.send_to(in_port, osc_message("/end")));
  EXPECT_EQ(address_of(out.receive()), "/sixty-four") << daemon.log();
  EXPECT_EQ(address_of(out.receive()), "#bundle") << daemon.log();
  EXPECT_EQ(address_of(out.receive()), "/end") << daemon.log();

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_EQ(counters(daemon.log(), "endpoint", "small"),
            "received 5, sent 0, dropped 2 (malformed 1, too_large 1)")
      << daemon.log();
}

// OSC 1.0 allows a message without a type-tag string, and some mixers send one: it is no
// malformed packet but a message with no arguments, forwarded and rewritten like any other.
TEST(UdpMalformedTest, MessageWithoutTypeTagStringIsForwarded) {
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
      "  - { name: same, from: in, match: /old/*, to: out }\n"
      "  - { name: renamed, from: in, match: /old/*, to: out, address: \"/new/{1}\" }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  const std::string bare("/old/info\0\0\0", 12);
  ASSERT_TRUE(sender.send_to(in_port, bare));
  auto same = out.receive();
  ASSERT_TRUE(same) << daemon.log();
  EXPECT_EQ(same->bytes, bare);
  auto renamed = out.receive();
  ASSERT_TRUE(renamed) << daemon.log();
  EXPECT_EQ(renamed->bytes, std::string("/new/info\0\0\0", 12));
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_EQ(counters(daemon.log(), "endpoint", "in"), "received 1, sent 0, dropped 0")
      << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

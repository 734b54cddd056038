// The parts the load tools build on: the route plan (non-overlapping routes
// whose expected outputs agree with liblo's matcher), the load codec, the SLIP
// framing, the forward checker and the loopback-only endpoint rule.
#include <lo/lo.h>

#include <array>
#include <cstring>

#include <gtest/gtest.h>

#include "bench/load/load_codec.h"
#include "bench/load/load_receiver.h"
#include "bench/load/loopback.h"
#include "bench/load/route_plan.h"
#include "bench/load/slip_frames.h"

namespace oscbridge::load {
namespace {

bool route_matches(const PlannedRoute& route, const std::string& address) {
  return route.is_pattern ? lo_pattern_match(address.c_str(), route.match.c_str()) != 0
                          : route.match == address;
}

TEST(RoutePlan, HalfLiteralHalfPatterns) {
  RoutePlan plan({.route_count = 100, .strips_per_bank = 8});
  ASSERT_EQ(plan.routes().size(), 100u);
  int patterns = 0;
  for (const PlannedRoute& route : plan.routes()) patterns += route.is_pattern ? 1 : 0;
  EXPECT_EQ(patterns, 50);
  EXPECT_EQ(plan.targets().size(), 800u);
}

TEST(RoutePlan, EveryTargetMatchesExactlyOneRouteWhoseOutputIsExpected) {
  RoutePlan plan({.route_count = 21, .strips_per_bank = 3});
  for (const PlannedTarget& target : plan.targets()) {
    const PlannedRoute* matched = nullptr;
    for (const PlannedRoute& route : plan.routes()) {
      if (!route_matches(route, target.input_address)) continue;
      EXPECT_EQ(matched, nullptr) << target.input_address << " matches " << matched->match
                                  << " and " << route.match;
      matched = &route;
    }
    ASSERT_NE(matched, nullptr) << target.input_address;
    if (!matched->is_pattern) {
      EXPECT_EQ(target.output_address, matched->address);
    } else {
      // The pattern's only wildcard is segment 2: /bankB/STRIP/fader.
      std::string strip = target.input_address.substr(target.input_address.find('/', 1) + 1);
      strip = strip.substr(0, strip.find('/'));
      EXPECT_EQ(target.output_address, "/strip/" + strip + "/gain");
    }
  }
}

TEST(RoutePlan, ScaleTurnsEveryInputIntoItsExpectedOutput) {
  for (std::uint64_t sequence = 0; sequence < 1000; ++sequence) {
    EXPECT_EQ(RoutePlan::scale(RoutePlan::input_value(sequence)),
              RoutePlan::expected_output(sequence))
        << sequence;
  }
}

TEST(RoutePlan, YamlListsEveryRoute) {
  RoutePlan plan({.route_count = 6, .strips_per_bank = 1});
  std::string yaml = plan.to_yaml("127.0.0.1:9000", "127.0.0.1:9001");
  EXPECT_NE(yaml.find("listen: 127.0.0.1:9000"), std::string::npos);
  EXPECT_NE(yaml.find("send: 127.0.0.1:9001"), std::string::npos);
  for (const PlannedRoute& route : plan.routes()) {
    EXPECT_NE(yaml.find("match: " + route.match + "\n"), std::string::npos) << route.match;
  }
  EXPECT_NE(yaml.find("args: [ { arg: 1, scale: [0, 1, 0, 127], type: i }, $2, $3 ]"),
            std::string::npos);
}

TEST(RoutePlan, UdpYamlSendsFromASendOnlyEndpoint) {
  RoutePlan plan({.route_count = 2, .strips_per_bank = 1});
  std::string yaml = plan.to_yaml("127.0.0.1:9000", "127.0.0.1:9001");
  std::string out = yaml.substr(yaml.find("  out:\n"));
  out = out.substr(0, out.find("\n\n"));
  EXPECT_EQ(out, "  out:\n    protocol: udp\n    send: 127.0.0.1:9001");
}

TEST(RoutePlan, SlipYamlIsATcpServerInAndATcpClientOut) {
  RoutePlan plan({.route_count = 2, .strips_per_bank = 1});
  std::string yaml =
      plan.to_yaml("127.0.0.1:9000", "127.0.0.1:9001", RoutePlan::Endpoints::tcp_slip);
  EXPECT_NE(yaml.find("  in:\n    protocol: tcp\n    listen: 127.0.0.1:9000\n    framing: slip\n"),
            std::string::npos);
  EXPECT_NE(
      yaml.find("  out:\n    protocol: tcp\n    connect: 127.0.0.1:9001\n    framing: slip\n"),
      std::string::npos);
  EXPECT_EQ(yaml.find("send:"), std::string::npos);
}

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int value : values) out.push_back(static_cast<std::byte>(value));
  return out;
}

std::vector<std::vector<std::byte>> deframe(SlipDeframer& deframer,
                                            const std::vector<std::byte>& stream,
                                            std::size_t chunk) {
  std::vector<std::vector<std::byte>> frames;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    std::size_t size = std::min(chunk, stream.size() - at);
    deframer.feed(std::span(stream.data() + at, size), [&](std::span<const std::byte> frame) {
      frames.emplace_back(frame.begin(), frame.end());
    });
  }
  return frames;
}

TEST(Slip, EscapesEndAndEscAsOsc11Frames) {
  std::vector<std::byte> out;
  append_slip_frame(out, bytes_of({0x01, 0xC0, 0xDB, 0x02}));
  EXPECT_EQ(out, bytes_of({0xC0, 0x01, 0xDB, 0xDC, 0xDB, 0xDD, 0x02, 0xC0}));
}

TEST(Slip, EveryFrameSurvivesAnyChunking) {
  std::vector<std::vector<std::byte>> packets = {
      bytes_of({0xC0, 0xC0, 0xDB}), bytes_of({1, 2, 3, 4}), bytes_of({0xDB, 0xDC, 0xDD, 0xC0})};
  std::vector<std::byte> stream;
  for (const auto& packet : packets) append_slip_frame(stream, packet);
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    SlipDeframer deframer(64);
    EXPECT_EQ(deframe(deframer, stream, chunk), packets) << chunk;
    EXPECT_EQ(deframer.malformed(), 0u);
    EXPECT_FALSE(deframer.partial());
  }
}

TEST(Slip, DropsBadEscapesAndOversizedFramesAndResynchronises) {
  SlipDeframer deframer(4);
  auto frames = deframe(deframer, bytes_of({0xC0, 1, 0xDB, 7,    2, 0xC0,        // bad escape
                                            0xC0, 1, 2,    3,    4, 5,    0xC0,  // over 4 bytes
                                            0xC0, 1, 0xDB, 0xC0,                 // ESC then END
                                            0xC0, 9, 0xC0}),
                        3);
  EXPECT_EQ(frames, std::vector<std::vector<std::byte>>{bytes_of({9})});
  EXPECT_EQ(deframer.malformed(), 3u);
  deframer.feed(bytes_of({0xC0, 5}), [](std::span<const std::byte>) {});
  deframer.reset();  // a connection lost halfway through a frame
  EXPECT_EQ(deframer.malformed(), 4u);
}

TEST(ForwardChecker, RoutedAndUnchangedExpectations) {
  RoutePlan plan({.route_count = 2, .strips_per_bank = 1});
  auto packet = [](std::string_view address, float value, std::int64_t sequence) {
    LoadMessageTemplate message(address);
    std::vector<std::byte> out(message.size());
    message.write(out, value, sequence, 0);
    return out;
  };
  // Sequence 1 goes to the pattern route: /bank1/1/fader -> /strip/1/gain.
  ASSERT_EQ(plan.target_for(1).input_address, "/bank1/1/fader");
  float sent_value = RoutePlan::input_value(1);

  ForwardChecker routed(plan, 4, Expectation::routed);
  routed.account(packet("/strip/1/gain", static_cast<float>(RoutePlan::expected_output(1)), 1), 5);
  routed.account(packet("/bank1/1/fader", sent_value, 2), 5);  // sequence 2 is /track/1/fader
  EXPECT_EQ(routed.tally().received, 2u);
  EXPECT_EQ(routed.tally().misrouted, 1u);

  ForwardChecker unchanged(plan, 4, Expectation::unchanged);
  unchanged.account(packet("/bank1/1/fader", sent_value, 1), 5);
  unchanged.account(packet("/strip/1/gain", static_cast<float>(RoutePlan::expected_output(1)), 3),
                    5);
  unchanged.account(packet("/bank1/1/fader", sent_value, 1), 5);
  EXPECT_EQ(unchanged.tally().received, 2u);
  EXPECT_EQ(unchanged.tally().duplicates, 1u);
  EXPECT_EQ(unchanged.tally().misrouted, 1u);
  EXPECT_EQ(unchanged.tally().bad_values, 1u);
}

TEST(LoadCodec, WhatTheSenderEncodesLibloParsesAndTheReceiverDecodes) {
  LoadMessageTemplate message("/bank3/7/fader");
  std::array<std::byte, 256> buffer{};
  ASSERT_LE(message.size(), buffer.size());
  message.write(buffer, 0.5f, 1234567890123, -42);

  int liblo_status = 0;
  lo_message parsed = lo_message_deserialise(buffer.data(), message.size(), &liblo_status);
  ASSERT_NE(parsed, nullptr) << "liblo error " << liblo_status;
  EXPECT_STREQ(lo_message_get_types(parsed), "fhh");
  lo_arg** arguments = lo_message_get_argv(parsed);
  EXPECT_EQ(arguments[0]->f, 0.5f);
  EXPECT_EQ(arguments[1]->h, 1234567890123);
  EXPECT_EQ(arguments[2]->h, -42);
  lo_message_free(parsed);

  auto decoded = decode_forwarded(std::span(buffer.data(), message.size()));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->address, "/bank3/7/fader");
  EXPECT_EQ(decoded->value, 0.5);
  EXPECT_EQ(decoded->sequence, 1234567890123);
  EXPECT_EQ(decoded->timestamp_ns, -42);
}

TEST(LoadCodec, DecodesWhatLibloSendsWithAnIntValue) {
  lo_message message = lo_message_new();
  lo_message_add_int32(message, 127);
  lo_message_add_int64(message, 7);
  lo_message_add_int64(message, 99);
  std::size_t size = 0;
  void* bytes = lo_message_serialise(message, "/strip/1/gain", nullptr, &size);
  auto decoded = decode_forwarded(std::span(static_cast<const std::byte*>(bytes), size));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->address, "/strip/1/gain");
  EXPECT_EQ(decoded->value, 127);
  EXPECT_EQ(decoded->sequence, 7);
  EXPECT_EQ(decoded->timestamp_ns, 99);

  // Every truncation at a 4-byte boundary is refused, never read past.
  for (std::size_t cut = 0; cut < size; cut += 4) {
    EXPECT_FALSE(decode_forwarded(std::span(static_cast<const std::byte*>(bytes), cut))) << cut;
  }
  std::free(bytes);
  lo_message_free(message);
}

TEST(LoadCodec, RefusesOtherShapes) {
  const char bundle[] = "#bundle\0\0\0\0\0\0\0\0\1";
  EXPECT_FALSE(decode_forwarded(std::as_bytes(std::span(bundle, 16))));
  const char string_argument[] = "/a\0\0,shh\0\0\0\0x\0\0\0";  // 's' where a number belongs
  EXPECT_FALSE(decode_forwarded(std::as_bytes(std::span(string_argument, 16))));
}

TEST(Loopback, AcceptsOnlyLoopback) {
  EXPECT_EQ(parse_loopback_endpoint("127.0.0.1:9000").text(), "127.0.0.1:9000");
  EXPECT_EQ(parse_loopback_endpoint("127.4.5.6:1").text(), "127.4.5.6:1");
  EXPECT_EQ(parse_loopback_endpoint("[::1]:9000").text(), "[::1]:9000");
  EXPECT_THROW(parse_loopback_endpoint("10.0.0.1:9000"), std::invalid_argument);
  EXPECT_THROW(parse_loopback_endpoint("0.0.0.0:9000"), std::invalid_argument);
  EXPECT_THROW(parse_loopback_endpoint("[::]:9000"), std::invalid_argument);
  EXPECT_THROW(parse_loopback_endpoint("[::ffff:10.0.0.1]:9000"), std::invalid_argument);
  EXPECT_THROW(parse_loopback_endpoint("127.0.0.1:0"), std::invalid_argument);
  EXPECT_THROW(parse_loopback_endpoint("127.0.0.1"), std::invalid_argument);
  EXPECT_EQ(parse_loopback_endpoint("[::ffff:127.0.0.1]:5").port, 5);
}

}  // namespace
}  // namespace oscbridge::load

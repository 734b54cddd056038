// The parts both load tools build on: the route plan (non-overlapping routes
// whose expected outputs agree with liblo's matcher), the load codec, and the
// loopback-only endpoint rule.
#include <lo/lo.h>

#include <array>
#include <cstring>

#include <gtest/gtest.h>

#include "bench/load/load_codec.h"
#include "bench/load/loopback.h"
#include "bench/load/route_plan.h"

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

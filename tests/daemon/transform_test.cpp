// Argument and address templates, exercised through the Router with configs read by the real
// loader, so the YAML a user writes is what is tested. Every output is parsed back with
// osc::parse_packet and checked argument by argument.
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <vector>

#include "daemon/transform.h"
#include "tests/daemon/daemon_test_util.h"

namespace oscbridge::daemon {
namespace {

using testing::arguments;
using testing::Blob;
using testing::Harness;
using testing::message;
using testing::Nil;
using testing::parsed_message;

class TransformTest : public ::testing::Test {
 protected:
  // One route (a YAML list item under `routes:`); routes from a to b unless it says otherwise.
  void load(std::string_view route) { ASSERT_EQ(harness_.load_routes(route), ""); }

  // Routes packet from a and returns the one packet b received for it. The bytes stay alive
  // until the test ends, so argument views parsed from them may be kept.
  const std::string& through(std::string_view packet) {
    const std::size_t before = harness_.endpoint("b").packets.size();
    harness_.route("a", packet);
    const auto& packets = harness_.endpoint("b").packets;
    EXPECT_EQ(packets.size(), before + 1) << "expected exactly one packet at b";
    return outputs_.emplace_back(packets.size() == before + 1 ? packets.back() : std::string());
  }

  // Routes packet from a and expects the route not to apply: nothing sent, counted as such.
  void expect_not_applicable(std::string_view packet) {
    const auto& route = harness_.router().routes().front();
    const auto dropped = route.counters.dropped;
    auto& counters = harness_.endpoint("a").counters();
    const auto not_applicable = counters.drops(DropReason::not_applicable);
    const auto sent = harness_.total_sent();
    harness_.route("a", packet);
    EXPECT_EQ(harness_.total_sent(), sent) << "a route that does not apply sent something";
    EXPECT_EQ(route.counters.dropped, dropped + 1);
    EXPECT_EQ(counters.drops(DropReason::not_applicable), not_applicable + 1);
    EXPECT_EQ(counters.drops(DropReason::no_route), 0u) << "a matched route is not no_route";
  }

  Harness harness_;
  std::deque<std::string> outputs_;
};

// The single argument of the message b received for packet.
osc::Argument only_argument(const std::string& packet) {
  auto args = arguments(parsed_message(packet));
  EXPECT_EQ(args.size(), 1u);
  return args.empty() ? osc::Argument() : args.front();
}

TEST_F(TransformTest, UnchangedMessageIsForwardedByteForByte) {
  load("- { from: a, to: b }\n");
  const std::string in = message("/mixer/ch/1", 7, 0.25f, "text", Blob{"\x01\x02\x03"},
                                 std::int64_t{-5}, 1.5, true, Nil{});
  EXPECT_EQ(through(in), in);
  // OSC 1.0 allows a message with no type-tag string; it passes untouched too.
  const std::string bare_address("/ping\0\0\0", 8);
  EXPECT_EQ(through(bare_address), bare_address);
}

TEST_F(TransformTest, AddressRewriteKeepsArgumentBytesVerbatim) {
  load("- { from: a, match: '/1/fader*', to: b, address: '/track/{1}/volume' }\n");
  const std::string in = message("/1/fader3", 0.5f, "x", Blob{"\xff\x00\x7f"}, 2.0);
  const std::string& out = through(in);
  const osc::Message sent = parsed_message(out);
  EXPECT_EQ(sent.address(), "/track/3/volume");
  EXPECT_EQ(sent.after_address(), parsed_message(in).after_address());
  // Without a type-tag string (OSC 1.0) there is nothing after the address to keep.
  const osc::Message untagged = parsed_message(through(std::string("/1/fader4\0\0\0", 12)));
  EXPECT_EQ(untagged.address(), "/track/4/volume");
  EXPECT_FALSE(untagged.has_type_tag_string());
}

TEST_F(TransformTest, AddressTemplateUsesEveryCaptureInAnyOrder) {
  load("- { from: a, match: '/mix/*/ch[0-9]', to: b, address: '/{2}/of/{1}/{2}' }\n");
  EXPECT_EQ(parsed_message(through(message("/mix/main/ch3"))).address(), "/3/of/main/3");
}

TEST_F(TransformTest, DoubleSlashCaptureKeepsItsLeadingSlash) {
  load("- { from: a, match: '//volume', to: b, address: '/v{1}/volume' }\n");
  EXPECT_EQ(parsed_message(through(message("/a/b/volume", 1))).address(), "/v/a/b/volume");
  // `//` may skip no level at all: the capture is empty and the template still composes.
  EXPECT_EQ(parsed_message(through(message("/volume", 1))).address(), "/v/volume");
}

TEST_F(TransformTest, DoubleSlashInsideAPattern) {
  load("- { from: a, match: '/deck//fader*', to: b, address: '/out{1}/f{2}' }\n");
  EXPECT_EQ(parsed_message(through(message("/deck/left/eq/fader2"))).address(), "/out/left/eq/f2");
  EXPECT_EQ(parsed_message(through(message("/deck/fader9"))).address(), "/out/f9");
}

// An empty capture must not produce an address OSC forbids (issue 8, item 7): /1/fader
// would become /track//volume, which receivers reject or misroute.
TEST_F(TransformTest, RewriteToAnAddressWithAnEmptyLevelDoesNotApply) {
  load("- { from: a, match: '/1/fader*', to: b, address: '/track/{1}/volume' }\n");
  expect_not_applicable(message("/1/fader", 0.5f));
  EXPECT_EQ(parsed_message(through(message("/1/fader2", 0.5f))).address(), "/track/2/volume");
}

// The same when the arguments are rebuilt too, and for an empty last level.
TEST_F(TransformTest, RewriteWithArgumentsToAnAddressEndingInSlashDoesNotApply) {
  load("- { from: a, match: '/x/{,y}*', to: b, address: '/v/{1}{2}', args: [ $1 ] }\n");
  expect_not_applicable(message("/x/", 1));
  EXPECT_EQ(parsed_message(through(message("/x/y", 1))).address(), "/v/y");
}

TEST_F(TransformTest, DollarArgumentsReorderAndCopyBytesVerbatim) {
  load("- { from: a, to: b, args: [ $3, $1, { arg: 2 }, $1 ] }\n");
  const std::string in = message("/x", 7, "hello", 2.5);
  const auto incoming = arguments(parsed_message(in));
  const auto out = arguments(parsed_message(through(in)));
  ASSERT_EQ(out.size(), 4u);
  const std::size_t from[] = {2, 0, 1, 0};
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].tag(), incoming[from[i]].tag()) << i;
    EXPECT_EQ(out[i].raw(), incoming[from[i]].raw()) << i;
  }
}

TEST_F(TransformTest, AnArrayCountsAsOneArgumentAndIsCopiedWhole) {
  load("- { from: a, to: b, args: [ $3, $1, $2 ] }\n");
  // /arr ,i[f[ii]]s : argument 1 is the int, 2 the nested array, 3 the string.
  std::vector<char> buffer(256);
  osc::MessageBuilder builder(buffer, "/arr");
  builder.add_int32(7).begin_array().add_float(0.5f).begin_array().add_int32(1).add_int32(2);
  builder.end_array().end_array().add_string("tail");
  auto size = builder.finish();
  ASSERT_TRUE(size);
  const osc::Message out = parsed_message(through(std::string(buffer.data(), *size)));
  EXPECT_EQ(out.type_tags(), "si[f[ii]]");
  // Scaling an array is not possible: the route does not apply.
  load("- { from: a, to: b, args: [ { arg: 2, scale: [0, 1, 0, 127] } ] }\n");
  expect_not_applicable(std::string(buffer.data(), *size));
}

TEST_F(TransformTest, EmptyArgsSendNoArguments) {
  load("- { from: a, to: b, args: [] }\n");
  const osc::Message out = parsed_message(through(message("/x", 1, 2.0f, "three")));
  EXPECT_EQ(out.address(), "/x");
  EXPECT_TRUE(out.type_tags().empty());
  EXPECT_TRUE(arguments(out).empty());
}

TEST_F(TransformTest, CapturesAsText) {
  load(R"(- from: a
  match: /fader/*/[a-z]
  to: b
  args: [ "{1}", "text {1} more", "{2}{1}", "{{{1}}}", "$$1", "cost: $5" ]
)");
  const auto out = arguments(parsed_message(through(message("/fader/12/q"))));
  ASSERT_EQ(out.size(), 6u);
  const char* expected[] = {"12", "text 12 more", "q12", "{12}", "$1", "cost: $5"};
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].tag(), 's') << i;
    EXPECT_EQ(out[i].as_string(), expected[i]) << i;
  }
}

TEST_F(TransformTest, TypedCaptures) {
  load(R"(- from: a
  match: /ch/*
  to: b
  args: [ { capture: 1, type: i }, { capture: 1, type: f }, { capture: 1, type: d },
          { capture: 1, type: h }, { capture: 1, type: s }, { capture: 1 } ]
)");
  const auto out = arguments(parsed_message(through(message("/ch/42"))));
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0].tag(), 'i');
  EXPECT_EQ(out[0].as_int32(), 42);
  EXPECT_EQ(out[1].tag(), 'f');
  EXPECT_EQ(out[1].as_float(), 42.0f);
  EXPECT_EQ(out[2].tag(), 'd');
  EXPECT_EQ(out[2].as_double(), 42.0);
  EXPECT_EQ(out[3].tag(), 'h');
  EXPECT_EQ(out[3].as_int64(), 42);
  EXPECT_EQ(out[4].tag(), 's');
  EXPECT_EQ(out[4].as_string(), "42");
  EXPECT_EQ(out[5].tag(), 's');  // a capture without a type is text
  EXPECT_EQ(out[5].as_string(), "42");

  const auto fraction = arguments(parsed_message(through(message("/ch/-2.75"))));
  ASSERT_EQ(fraction.size(), 6u);
  EXPECT_EQ(fraction[0].as_int32(), -3);  // to nearest, not truncated
  EXPECT_EQ(fraction[1].as_float(), -2.75f);
  EXPECT_EQ(fraction[2].as_double(), -2.75);
  EXPECT_EQ(fraction[3].as_int64(), -3);
}

TEST_F(TransformTest, LargeIntegerCapturesConvertExactly) {
  load(R"(- from: a
  match: /n/*
  to: b
  args: [ { capture: 1, type: h }, { capture: 1, type: d } ]
)");
  const auto out = arguments(parsed_message(through(message("/n/9007199254740993"))));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].as_int64(), 9007199254740993);
  EXPECT_EQ(out[1].as_double(), 9007199254740992.0);
  const auto negative = arguments(parsed_message(through(message("/n/-5000000000"))));
  ASSERT_EQ(negative.size(), 2u);
  EXPECT_EQ(negative[0].as_int64(), -5000000000);
}

// Text that does not fit its type does not convert, like text that is no number: saturating
// would turn /ch/5000000000 into channel 2147483647 (issue 8, item 7).
TEST_F(TransformTest, CaptureTooLargeForItsTypeMakesTheRouteNotApply) {
  constexpr auto int32_max = std::numeric_limits<std::int32_t>::max();
  constexpr auto int32_min = std::numeric_limits<std::int32_t>::min();
  load("- { from: a, match: '/n/*', to: b, args: [ { capture: 1, type: i } ] }\n");
  expect_not_applicable(message("/n/2147483648"));
  expect_not_applicable(message("/n/-2147483649"));
  expect_not_applicable(message("/n/9007199254740993"));
  expect_not_applicable(message("/n/99999999999999999999"));  // beyond int64 too
  expect_not_applicable(message("/n/3e9"));
  expect_not_applicable(message("/n/2147483647.5"));  // rounds to 2147483648
  expect_not_applicable(message("/n/inf"));
  EXPECT_EQ(only_argument(through(message("/n/2147483647"))).as_int32(), int32_max);
  EXPECT_EQ(only_argument(through(message("/n/-2147483648"))).as_int32(), int32_min);
  EXPECT_EQ(only_argument(through(message("/n/2147483647.4"))).as_int32(), int32_max);
}

// The harness routes to the endpoints of its first load, so each route gets its own test.
TEST_F(TransformTest, CaptureTooLargeForInt64MakesTheRouteNotApply) {
  load("- { from: a, match: '/n/*', to: b, args: [ { capture: 1, type: h } ] }\n");
  expect_not_applicable(message("/n/9223372036854775808"));
  expect_not_applicable(message("/n/1e19"));
  EXPECT_EQ(only_argument(through(message("/n/9223372036854775807"))).as_int64(),
            std::numeric_limits<std::int64_t>::max());
}

TEST_F(TransformTest, CaptureTooLargeForFloat32MakesTheRouteNotApply) {
  load("- { from: a, match: '/n/*', to: b, args: [ { capture: 1, type: f } ] }\n");
  expect_not_applicable(message("/n/1e39"));
  expect_not_applicable(message("/n/nan"));
  EXPECT_EQ(only_argument(through(message("/n/1e38"))).as_float(), 1e38f);
}

TEST_F(TransformTest, CaptureThatIsNotANumberMakesTheRouteNotApply) {
  load("- { from: a, match: '/ch/*', to: b, args: [ { capture: 1, type: i } ] }\n");
  expect_not_applicable(message("/ch/abc"));
  expect_not_applicable(message("/ch/12abc"));  // a number must be the whole capture
  expect_not_applicable(message("/ch/"));       // * may match nothing
  EXPECT_EQ(only_argument(through(message("/ch/12"))).as_int32(), 12);
}

TEST_F(TransformTest, CaptureThatIsNotANumberMakesAFloatRouteNotApplyEither) {
  load("- { from: a, match: '/ch/*', to: b, args: [ { capture: 1, type: f } ] }\n");
  expect_not_applicable(message("/ch/x1"));
  EXPECT_EQ(only_argument(through(message("/ch/0.5"))).as_float(), 0.5f);
}

TEST_F(TransformTest, Literals) {
  load(R"(- from: a
  to: b
  args: [ 42, -3, 0x10, 0.5, hello, "42", true, false, null,
          { value: 5000000000, type: h }, { value: 0.25, type: d }, { value: "$1" },
          { value: "{1}", type: s }, { value: 7, type: f } ]
)");
  const auto out = arguments(parsed_message(through(message("/x", 99))));
  ASSERT_EQ(out.size(), 14u);
  EXPECT_EQ(out[0].tag(), 'i');
  EXPECT_EQ(out[0].as_int32(), 42);
  EXPECT_EQ(out[1].as_int32(), -3);
  EXPECT_EQ(out[2].tag(), 'i');
  EXPECT_EQ(out[2].as_int32(), 16);
  EXPECT_EQ(out[3].tag(), 'f');
  EXPECT_EQ(out[3].as_float(), 0.5f);
  EXPECT_EQ(out[4].tag(), 's');
  EXPECT_EQ(out[4].as_string(), "hello");
  EXPECT_EQ(out[5].tag(), 's');  // quoted text is always a string
  EXPECT_EQ(out[5].as_string(), "42");
  EXPECT_EQ(out[6].tag(), 'T');
  EXPECT_EQ(out[7].tag(), 'F');
  EXPECT_EQ(out[8].tag(), 'N');
  EXPECT_EQ(out[9].tag(), 'h');
  EXPECT_EQ(out[9].as_int64(), 5000000000);
  EXPECT_EQ(out[10].tag(), 'd');
  EXPECT_EQ(out[10].as_double(), 0.25);
  EXPECT_EQ(out[11].tag(), 's');
  EXPECT_EQ(out[11].as_string(), "$1");
  EXPECT_EQ(out[12].as_string(), "{1}");
  EXPECT_EQ(out[13].tag(), 'f');
  EXPECT_EQ(out[13].as_float(), 7.0f);
}

TEST_F(TransformTest, ScaleAscendingRoundsToNearestInteger) {
  load("- { from: a, to: b, args: [ { arg: 1, scale: [0, 1, 0, 127] } ] }\n");
  struct Case {
    float in;
    std::int32_t out;
  };
  for (Case c : {Case{0.0f, 0}, Case{1.0f, 127}, Case{0.25f, 32}, Case{0.1f, 13}, Case{0.2f, 25},
                 Case{0.5f, 64}}) {
    const osc::Argument out = only_argument(through(message("/x", c.in)));
    EXPECT_EQ(out.tag(), 'i') << "integer out bounds pick type i";
    EXPECT_EQ(out.as_int32(), c.out) << c.in;
  }
}

TEST_F(TransformTest, ScaleToFloatByDefaultWhenAnOutBoundIsReal) {
  load("- { from: a, to: b, args: [ { arg: 1, scale: [0, 127, 0.0, 1.0] } ] }\n");
  const osc::Argument out = only_argument(through(message("/x", 127)));
  EXPECT_EQ(out.tag(), 'f');
  EXPECT_EQ(out.as_float(), 1.0f);
  EXPECT_FLOAT_EQ(only_argument(through(message("/x", 32))).as_float(), 32.0f / 127.0f);
}

TEST_F(TransformTest, ScaleDescendingOutputInverts) {
  load("- { from: a, to: b, args: [ { arg: 1, scale: [0, 127, 1, 0], type: d } ] }\n");
  EXPECT_EQ(only_argument(through(message("/x", 0))).as_double(), 1.0);
  EXPECT_EQ(only_argument(through(message("/x", 127))).as_double(), 0.0);
  EXPECT_DOUBLE_EQ(only_argument(through(message("/x", 100))).as_double(), 27.0 / 127.0);
}

TEST_F(TransformTest, ScaleDescendingInput) {
  load("- { from: a, to: b, args: [ { arg: 1, scale: [10, 0, 0, 100], type: i } ] }\n");
  EXPECT_EQ(only_argument(through(message("/x", 10))).as_int32(), 0);
  EXPECT_EQ(only_argument(through(message("/x", 0))).as_int32(), 100);
  EXPECT_EQ(only_argument(through(message("/x", 2.5))).as_int32(), 75);
}

TEST_F(TransformTest, WithoutClampScalingExtrapolates) {
  load("- { from: a, to: b, args: [ { arg: 1, scale: [0, 1, 0, 100] } ] }\n");
  EXPECT_EQ(only_argument(through(message("/x", 1.5))).as_int32(), 150);
  EXPECT_EQ(only_argument(through(message("/x", -0.5))).as_int32(), -50);
}

TEST_F(TransformTest, ClampKeepsResultInAnAscendingOutputRange) {
  load("- { from: a, to: b, args: [ { arg: 1, scale: [0, 1, 0, 127], clamp: true } ] }\n");
  EXPECT_EQ(only_argument(through(message("/x", 1.5f))).as_int32(), 127);
  EXPECT_EQ(only_argument(through(message("/x", -0.5f))).as_int32(), 0);
  EXPECT_EQ(only_argument(through(message("/x", 0.5f))).as_int32(), 64);
}

TEST_F(TransformTest, ClampKeepsResultInADescendingOutputRange) {
  load("- { from: a, to: b, args: [ { arg: 1, scale: [0, 1, 127, 0], clamp: true } ] }\n");
  EXPECT_EQ(only_argument(through(message("/x", 1.5f))).as_int32(), 0);
  EXPECT_EQ(only_argument(through(message("/x", -0.5f))).as_int32(), 127);
  EXPECT_EQ(only_argument(through(message("/x", 0.25f))).as_int32(), 95);  // 95.25
}

// Halves round away from zero, as people round by hand and as std::round does, whatever the
// floating-point rounding mode of the process is.
TEST_F(TransformTest, IntegerConversionRoundsHalvesAwayFromZero) {
  load("- { from: a, to: b, args: [ { arg: 1, type: i }, { arg: 1, type: h } ] }\n");
  struct Case {
    double in;
    std::int64_t out;
  };
  for (Case c : {Case{2.4, 2}, Case{2.6, 3}, Case{-2.6, -3}, Case{2.5, 3}, Case{-2.5, -3},
                 Case{3.5, 4}, Case{0.5, 1}, Case{-0.4, 0}}) {
    const auto out = arguments(parsed_message(through(message("/x", c.in))));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].as_int32(), c.out) << c.in;
    EXPECT_EQ(out[1].as_int64(), c.out) << c.in;
  }
}

TEST_F(TransformTest, IntegerConversionSaturates) {
  load("- { from: a, to: b, args: [ { arg: 1, type: i }, { arg: 1, type: h } ] }\n");
  constexpr auto int32_max = std::numeric_limits<std::int32_t>::max();
  constexpr auto int32_min = std::numeric_limits<std::int32_t>::min();
  constexpr auto int64_max = std::numeric_limits<std::int64_t>::max();
  constexpr auto int64_min = std::numeric_limits<std::int64_t>::min();
  struct Case {
    double in;
    std::int32_t i;
    std::int64_t h;
  };
  for (Case c :
       {Case{1e12, int32_max, 1'000'000'000'000}, Case{-1e12, int32_min, -1'000'000'000'000},
        Case{1e30, int32_max, int64_max}, Case{-1e30, int32_min, int64_min},
        Case{std::numeric_limits<double>::infinity(), int32_max, int64_max},
        Case{2147483647.4, int32_max, 2147483647}}) {
    const auto out = arguments(parsed_message(through(message("/x", c.in))));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].as_int32(), c.i) << c.in;
    EXPECT_EQ(out[1].as_int64(), c.h) << c.in;
  }
  const auto big = arguments(parsed_message(through(message("/x", int64_max))));
  ASSERT_EQ(big.size(), 2u);
  EXPECT_EQ(big[0].as_int32(), int32_max);
  EXPECT_EQ(big[1].as_int64(), int64_max);
}

// An integer converted to an integer type without scaling must not go through a double,
// which would lose the low bits of a large int64.
TEST_F(TransformTest, Int64WithoutScaleConvertsExactly) {
  load("- { from: a, to: b, args: [ { arg: 1, type: h }, { arg: 1, type: s } ] }\n");
  const std::int64_t odd = (std::int64_t{1} << 53) + 1;
  const auto out = arguments(parsed_message(through(message("/x", odd))));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].as_int64(), odd);
  EXPECT_EQ(out[1].as_string(), "9007199254740993");
}

TEST_F(TransformTest, TrueAndFalseScaleAsOneAndZero) {
  load(R"(- from: a
  to: b
  args: [ { arg: 1, scale: [0, 1, 0, 127] }, { arg: 1, type: f }, { arg: 1, type: s } ]
)");
  const auto on = arguments(parsed_message(through(message("/x", true))));
  ASSERT_EQ(on.size(), 3u);
  EXPECT_EQ(on[0].as_int32(), 127);
  EXPECT_EQ(on[1].as_float(), 1.0f);
  EXPECT_EQ(on[2].as_string(), "1");
  const auto off = arguments(parsed_message(through(message("/x", false))));
  ASSERT_EQ(off.size(), 3u);
  EXPECT_EQ(off[0].as_int32(), 0);
  EXPECT_EQ(off[1].as_float(), 0.0f);
  EXPECT_EQ(off[2].as_string(), "0");
}

TEST_F(TransformTest, EveryNumericTypeConverts) {
  load("- { from: a, to: b, args: [ { arg: 1, type: d } ] }\n");
  EXPECT_EQ(only_argument(through(message("/x", 3))).as_double(), 3.0);
  EXPECT_EQ(only_argument(through(message("/x", 0.5f))).as_double(), 0.5);
  EXPECT_EQ(only_argument(through(message("/x", 0.125))).as_double(), 0.125);
  EXPECT_EQ(only_argument(through(message("/x", std::int64_t{-9}))).as_double(), -9.0);
}

// Text is what a person would type: integers without exponent or point, and a float32 input
// without the noise digits of its widening to double (0.1f is not "0.10000000149011612").
TEST_F(TransformTest, TypeStringFormatsNumbersAsPeopleWriteThem) {
  load("- { from: a, to: b, args: [ { arg: 1, type: s } ] }\n");
  auto text = [&](auto value) {
    return std::string(only_argument(through(message("/x", value))).as_string());
  };
  EXPECT_EQ(text(42), "42");
  EXPECT_EQ(text(-7), "-7");
  EXPECT_EQ(text(1000000), "1000000");
  EXPECT_EQ(text(std::int64_t{5000000000}), "5000000000");
  EXPECT_EQ(text(0.5f), "0.5");
  EXPECT_EQ(text(0.1f), "0.1");
  EXPECT_EQ(text(0.3f), "0.3");
  EXPECT_EQ(text(0.1), "0.1");
  EXPECT_EQ(text(-1.5), "-1.5");
  EXPECT_EQ(text(0.0001), "0.0001");
  EXPECT_EQ(text(64.0), "64");
  EXPECT_EQ(text(1e300), "1e+300");  // too long to write out; must still read back
  EXPECT_EQ(std::stod(text(1.0 / 3.0)), 1.0 / 3.0);
}

TEST_F(TransformTest, ScaledToString) {
  load("- { from: a, to: b, args: [ { arg: 1, scale: [0, 1, 0, 100], type: s } ] }\n");
  EXPECT_EQ(only_argument(through(message("/x", 0.25f))).as_string(), "25");
  EXPECT_EQ(only_argument(through(message("/x", -1))).as_string(), "-100");
  EXPECT_EQ(only_argument(through(message("/x", 0.125))).as_string(), "12.5");
}

TEST_F(TransformTest, MissingArgumentMakesTheRouteNotApply) {
  load("- { from: a, to: b, args: [ $3 ] }\n");
  expect_not_applicable(message("/x", 1, 2));
  expect_not_applicable(message("/x"));
  EXPECT_EQ(only_argument(through(message("/x", 1, 2, 3))).as_int32(), 3);
}

TEST_F(TransformTest, MissingScaledArgumentMakesTheRouteNotApply) {
  load("- { from: a, to: b, args: [ 1, { arg: 2, scale: [0, 1, 0, 10] } ] }\n");
  expect_not_applicable(message("/x", 0.5f));
}

TEST_F(TransformTest, NonNumericScaledArgumentMakesTheRouteNotApply) {
  load("- { from: a, to: b, args: [ { arg: 1, scale: [0, 1, 0, 10] } ] }\n");
  expect_not_applicable(message("/x", "half"));
  expect_not_applicable(message("/x", "0.5x"));  // a number must be the whole text
  expect_not_applicable(message("/x", ""));
  expect_not_applicable(message("/x", Blob{"1"}));
  expect_not_applicable(message("/x", Nil{}));
}

// A string argument converts to a number by the rules of captures (issue 8, item 2).
TEST_F(TransformTest, StringArgumentsConvertLikeCaptures) {
  load(R"(- from: a
  to: b
  args: [ { arg: 1, type: i }, { arg: 1, type: f }, { arg: 1, type: d }, { arg: 1, type: h },
          { arg: 1, scale: [0, 100, 0, 1.0] }, { arg: 1, type: s } ]
)");
  const auto whole = arguments(parsed_message(through(message("/x", "42"))));
  ASSERT_EQ(whole.size(), 6u);
  EXPECT_EQ(whole[0].tag(), 'i');
  EXPECT_EQ(whole[0].as_int32(), 42);
  EXPECT_EQ(whole[1].as_float(), 42.0f);
  EXPECT_EQ(whole[2].as_double(), 42.0);
  EXPECT_EQ(whole[3].as_int64(), 42);
  EXPECT_FLOAT_EQ(whole[4].as_float(), 0.42f);
  EXPECT_EQ(whole[5].tag(), 's');
  EXPECT_EQ(whole[5].as_string(), "42");
  const auto fraction = arguments(parsed_message(through(message("/x", "-2.75"))));
  ASSERT_EQ(fraction.size(), 6u);
  EXPECT_EQ(fraction[0].as_int32(), -3);  // to nearest, as a capture
  EXPECT_EQ(fraction[1].as_float(), -2.75f);
  EXPECT_EQ(fraction[3].as_int64(), -3);
}

TEST_F(TransformTest, StringArgumentThatIsNotANumberOrDoesNotFitMakesTheRouteNotApply) {
  load("- { from: a, to: b, args: [ { arg: 1, type: i } ] }\n");
  for (const char* text : {"loud", "12abc", "", " 1", "0x10", "inf", "nan", "5000000000"}) {
    SCOPED_TRACE(text);
    expect_not_applicable(message("/x", text));
  }
  EXPECT_EQ(only_argument(through(message("/x", "12"))).as_int32(), 12);
}

// `type: s` accepts any argument (issue 8, item 2): a string stays itself, everything else
// is written as text.
TEST_F(TransformTest, AnythingConvertsToString) {
  load("- { from: a, to: b, args: [ { arg: 1, type: s }, { arg: 2, type: s } ] }\n");
  auto texts = [&](const std::string& packet) {
    std::vector<std::string> out;
    for (const auto& argument : arguments(parsed_message(through(packet)))) {
      EXPECT_EQ(argument.tag(), 's');
      out.emplace_back(argument.as_string());
    }
    return out;
  };
  using Texts = std::vector<std::string>;
  EXPECT_EQ(texts(message("/x", "already text", "")), (Texts{"already text", ""}));
  EXPECT_EQ(texts(message("/x", Nil{}, Blob{std::string_view("\x01\xff\x00", 3)})),
            (Texts{"nil", "01ff00"}));
  EXPECT_EQ(texts(message("/x", true, 0.5f)), (Texts{"1", "0.5"}));
  std::vector<char> buffer(256);
  osc::MessageBuilder builder(buffer, "/x");
  builder.add_symbol("sym").add_char('c');
  EXPECT_EQ(texts(std::string(buffer.data(), *builder.finish())), (Texts{"sym", "c"}));
  osc::MessageBuilder more(buffer, "/x");
  more.add_rgba(0x11AA22FF).add_midi({0, 0x90, 60, 127});
  EXPECT_EQ(texts(std::string(buffer.data(), *more.finish())), (Texts{"#11aa22ff", "00 90 3c 7f"}));
  osc::MessageBuilder times(buffer, "/x");
  times.add_timetag(osc::TimeTag::immediately()).add_timetag(osc::TimeTag(0x0102030405060708));
  EXPECT_EQ(texts(std::string(buffer.data(), *times.finish())),
            (Texts{"immediately", "0x0102030405060708"}));
  osc::MessageBuilder array(buffer, "/x");
  array.add_infinitum().begin_array().add_int32(1).add_string("two").begin_array();
  array.add_float(2.5f).add_nil().end_array().begin_array().end_array().end_array();
  EXPECT_EQ(texts(std::string(buffer.data(), *array.finish())),
            (Texts{"inf", "[1 two [2.5 nil] []]"}));
}

TEST_F(TransformTest, ARouteThatDoesNotApplyLeavesTheOthersAlone) {
  load(R"(- { name: strict, from: a, to: b, args: [ $2 ] }
- { name: lenient, from: a, to: c }
)");
  harness_.route("a", message("/x", 1));
  EXPECT_TRUE(harness_.endpoint("b").packets.empty());
  ASSERT_EQ(harness_.endpoint("c").packets.size(), 1u);
  EXPECT_EQ(harness_.route_named("strict").counters.dropped, 1u);
  EXPECT_EQ(harness_.route_named("lenient").counters.sent, 1u);
  EXPECT_EQ(harness_.endpoint("a").counters().drops(DropReason::not_applicable), 1u);
}

TEST(ScaleValueTest, MapsLinearlyAndClampsInEitherDirection) {
  const config::Scale up{0, 10, 100, 200};
  EXPECT_DOUBLE_EQ(scale_value(5, up, false), 150);
  EXPECT_DOUBLE_EQ(scale_value(20, up, false), 300);
  EXPECT_DOUBLE_EQ(scale_value(20, up, true), 200);
  EXPECT_DOUBLE_EQ(scale_value(-1, up, true), 100);
  const config::Scale down{0, 10, 200, 100};
  EXPECT_DOUBLE_EQ(scale_value(5, down, false), 150);
  EXPECT_DOUBLE_EQ(scale_value(20, down, true), 100);
  EXPECT_DOUBLE_EQ(scale_value(-1, down, true), 200);
  const config::Scale backwards{10, 0, 0, 1};
  EXPECT_DOUBLE_EQ(scale_value(10, backwards, false), 0);
  EXPECT_DOUBLE_EQ(scale_value(2.5, backwards, false), 0.75);
}

}  // namespace
}  // namespace oscbridge::daemon

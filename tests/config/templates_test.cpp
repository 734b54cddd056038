// The argument and address template language: what each written form loads as.
#include <gtest/gtest.h>

#include <cmath>

#include "config_test_util.h"

namespace oscbridge::config {
namespace {

TemplatePart text(std::string value) {
  return {TemplatePart::Kind::text, std::move(value), 0};
}
TemplatePart capture(std::size_t index) {
  return {TemplatePart::Kind::capture, "", index};
}

LiteralArg integer(ArgType type, std::int64_t value) {
  LiteralArg literal;
  literal.type = type;
  literal.integer = value;
  return literal;
}
LiteralArg real(ArgType type, double value) {
  LiteralArg literal;
  literal.type = type;
  literal.real = value;
  return literal;
}
LiteralArg string(std::string value) {
  LiteralArg literal;
  literal.type = ArgType::string;
  literal.text = std::move(value);
  return literal;
}
LiteralArg bare(ArgType type) {
  LiteralArg literal;
  literal.type = type;
  return literal;
}

// The single route of a file whose routes are given, after testing::kTwoEndpoints.
Route route_of(std::string_view routes) {
  const Config config = testing::loaded(std::string(testing::kTwoEndpoints) + std::string(routes));
  EXPECT_EQ(config.routes.size(), 1u);
  return config.routes.empty() ? Route{} : config.routes.front();
}

std::vector<ArgTemplate> args_of(std::string_view match, std::string_view args) {
  std::string routes = "  - to: daw\n";
  if (!match.empty()) routes += "    match: " + std::string(match) + "\n";
  routes += "    args: " + std::string(args) + "\n";
  return route_of(routes).args.value_or(std::vector<ArgTemplate>{});
}

TEST(ArgTemplates, IncomingArguments) {
  EXPECT_EQ(args_of("", "[ $1, $12, { arg: 3 } ]"),
            (std::vector<ArgTemplate>{IncomingArg{1}, IncomingArg{12}, IncomingArg{3}}));
}

TEST(ArgTemplates, CapturesAsStringOrTyped) {
  EXPECT_EQ(args_of("/mix/*/{a,b}", R"([ "{1}", "ch {1}{2}", { capture: 2, type: i },
                                        { capture: 1, type: f }, { capture: 1 } ])"),
            (std::vector<ArgTemplate>{
                TextArg{{capture(1)}},
                TextArg{{text("ch "), capture(1), capture(2)}},
                CaptureArg{2, ArgType::int32},
                CaptureArg{1, ArgType::float32},
                CaptureArg{1, ArgType::string},
            }));
}

TEST(ArgTemplates, PlainLiteralsTakeTheirTypeFromYaml) {
  const std::vector<ArgTemplate> args = args_of(
      "", R"([ 7, -3, 0x10, 0o17, 1.5, .5, 1e3, hello, "42", '3.0', true, false, null, ~ ])");
  EXPECT_EQ(args, (std::vector<ArgTemplate>{
                      integer(ArgType::int32, 7),
                      integer(ArgType::int32, -3),
                      integer(ArgType::int32, 16),
                      integer(ArgType::int32, 15),
                      real(ArgType::float32, 1.5),
                      real(ArgType::float32, 0.5),
                      real(ArgType::float32, 1000.0),
                      string("hello"),
                      string("42"),   // quoted: always a string
                      string("3.0"),  // single-quoted too
                      bare(ArgType::true_value),
                      bare(ArgType::false_value),
                      bare(ArgType::nil),
                      bare(ArgType::nil),
                  }));
}

TEST(ArgTemplates, Int32Limits) {
  EXPECT_EQ(args_of("", "[ 2147483647, -2147483648 ]"),
            (std::vector<ArgTemplate>{integer(ArgType::int32, 2147483647),
                                      integer(ArgType::int32, -2147483648LL)}));
}

TEST(ArgTemplates, TypedValues) {
  const std::vector<ArgTemplate> args = args_of("", R"([
      { value: 5000000000, type: h }, { value: 1, type: f }, { value: 0.1, type: d },
      { value: 12, type: s }, { value: "7", type: i }, { value: x, type: s },
      { value: 2.5 }, { value: true } ])");
  EXPECT_EQ(args, (std::vector<ArgTemplate>{
                      integer(ArgType::int64, 5000000000LL),
                      real(ArgType::float32, 1.0),
                      real(ArgType::float64, 0.1),
                      string("12"),
                      integer(ArgType::int32, 7),
                      string("x"),
                      real(ArgType::float32, 2.5),
                      bare(ArgType::true_value),
                  }));
}

TEST(ArgTemplates, TextThatLooksLikeATemplate) {
  // `$$` at the start and doubled braces are escapes; `value:` takes text verbatim.
  EXPECT_EQ(args_of("/a/*", R"([ "$$1", "$$", "cost: $5", "{{1}}", "a}}b{{c", "$${1}",
                               { value: "$1" }, { value: "{1}", type: s } ])"),
            (std::vector<ArgTemplate>{
                string("$1"),
                string("$"),
                string("cost: $5"),
                string("{1}"),
                string("a}b{c"),
                TextArg{{text("$"), capture(1)}},
                string("$1"),
                string("{1}"),
            }));
}

TEST(ArgTemplates, ConvertedArguments) {
  const std::vector<ArgTemplate> args = args_of("", R"([
      { arg: 1, scale: [0, 1, 0, 127] },
      { arg: 1, scale: [0, 127, 0.0, 1.0] },
      { arg: 2, scale: [0, 127, 1, -1.5], clamp: true },
      { arg: 1, scale: [0, 1, 0, 127], type: d, clamp: false },
      { arg: 3, type: i },
      { arg: 4, clamp: false },
      { arg: 1, scale: [-1e3, 1e3, 0, 100], type: s } ])");
  EXPECT_EQ(args, (std::vector<ArgTemplate>{
                      ConvertedArg{1, Scale{0, 1, 0, 127}, ArgType::int32, false},
                      ConvertedArg{1, Scale{0, 127, 0, 1}, ArgType::float32, false},
                      ConvertedArg{2, Scale{0, 127, 1, -1.5}, ArgType::float32, true},
                      ConvertedArg{1, Scale{0, 1, 0, 127}, ArgType::float64, false},
                      ConvertedArg{3, std::nullopt, ArgType::int32, false},
                      IncomingArg{4},
                      ConvertedArg{1, Scale{-1000, 1000, 0, 100}, ArgType::string, false},
                  }));
}

TEST(ArgTemplates, EmptyListMeansNoArgumentsAndOmittedMeansUnchanged) {
  const Route none = route_of("  - to: daw\n    args: []\n");
  ASSERT_TRUE(none.args);
  EXPECT_TRUE(none.args->empty());
  EXPECT_FALSE(route_of("  - to: daw\n").args);
}

TEST(ArgTemplates, BlockListForm) {
  EXPECT_EQ(args_of("/a/*", "\n      - $1\n      - \"{1}\"\n      - arg: 2\n        type: f\n"),
            (std::vector<ArgTemplate>{IncomingArg{1}, TextArg{{capture(1)}},
                                      ConvertedArg{2, std::nullopt, ArgType::float32, false}}));
}

TEST(AddressTemplates, PartsAndEscapes) {
  const Route route =
      route_of("  - match: /fader/*/{a,b}\n    to: daw\n    address: /track/{1}/{2}{1}/vol\n");
  ASSERT_TRUE(route.address);
  EXPECT_EQ(route.address->source, "/track/{1}/{2}{1}/vol");
  EXPECT_EQ(route.address->parts,
            (std::vector<TemplatePart>{text("/track/"), capture(1), text("/"), capture(2),
                                       capture(1), text("/vol")}));
  const Route literal = route_of("  - to: daw\n    address: /plain/address\n");
  ASSERT_TRUE(literal.address);
  EXPECT_EQ(literal.address->parts, std::vector<TemplatePart>{text("/plain/address")});
  EXPECT_FALSE(route_of("  - to: daw\n").address);
}

TEST(AddressTemplates, DoubleSlashCaptureCounts) {
  // `//` is a wildcard too: it captures the levels it skipped, slashes included ("/a/b").
  const Route route = route_of("  - match: //volume\n    to: daw\n    address: /v{1}/volume\n");
  ASSERT_TRUE(route.address);
  EXPECT_EQ(route.address->parts,
            (std::vector<TemplatePart>{text("/v"), capture(1), text("/volume")}));
}

// The warnings of a file that loads: kTwoEndpoints, then routes from line 10 on.
std::vector<std::string> warnings_of(std::string_view routes) {
  const LoadResult result =
      load_string(std::string(testing::kTwoEndpoints) + std::string(routes), "t.yaml");
  EXPECT_TRUE(result.config) << testing::joined(result.errors);
  return result.warnings;
}

std::vector<std::string> address_warnings(std::string_view match, std::string_view address) {
  return warnings_of("  - to: daw\n    match: " + std::string(match) +
                     "\n    address: " + std::string(address) + "\n");
}

using Lines = std::vector<std::string>;

// Issue 8, item 7: /1/fader* matches /1/fader, and /track/{1}/volume would be /track//volume.
TEST(AddressTemplates, WarnWhenAnEmptyCaptureWouldLeaveAnEmptyLevel) {
  EXPECT_EQ(address_warnings("/1/fader*", "/track/{1}/volume"),
            Lines{"t.yaml:12:14: warning: address: {1} can be empty (match '/1/fader*'), and "
                  "then '/track/{1}/volume' becomes '/track//volume', an address with an empty "
                  "level, which OSC does not allow; such messages are not routed (counted as "
                  "not_applicable)"});
  // At the end, after '/': /track/ ends with an empty level.
  EXPECT_EQ(address_warnings("/1/fader*", "/track/{1}").size(), 1u);
  // `//` may skip nothing; its capture brings its own '/', so only "/v/{1}" is wrong.
  EXPECT_EQ(address_warnings("//volume", "/v/{1}/volume").size(), 1u);
  EXPECT_EQ(address_warnings("/{a,b}/{,s}", "/x/{2}").size(), 1u);
  // Adjacent captures leave an empty level only if all of them can be empty.
  const Lines both = address_warnings("/*/*", "/{1}{2}/x");
  ASSERT_EQ(both.size(), 1u);
  EXPECT_NE(both.front().find("{1}{2} can all be empty"), std::string::npos) << both.front();
  EXPECT_EQ(address_warnings("/*/*", "/{1}/{2}").size(), 2u);
}

TEST(AddressTemplates, NoWarningWhenEveryCaptureKeepsItsLevelNonEmpty) {
  EXPECT_EQ(address_warnings("/1/fader?", "/track/{1}/volume"), Lines{});  // ? is one character
  EXPECT_EQ(address_warnings("/1/fader[0-9]", "/track/{1}/volume"), Lines{});
  EXPECT_EQ(address_warnings("/1/fader{1,2}", "/track/{1}/volume"), Lines{});
  EXPECT_EQ(address_warnings("/1/fader*", "/track/n{1}/volume"), Lines{});  // text in the level
  EXPECT_EQ(address_warnings("/1/fader*", "/track/{1}n"), Lines{});
  EXPECT_EQ(address_warnings("//volume", "/v{1}/volume"), Lines{});
  EXPECT_EQ(address_warnings("/*/?", "/{1}{2}/x"), Lines{});  // {2} is never empty
  EXPECT_EQ(address_warnings("/*/*", "/x"), Lines{});         // captures not used
}

std::vector<std::string> scale_warnings(std::string_view arg) {
  return warnings_of("  - to: daw\n    args: [ " + std::string(arg) + " ]\n");
}

// Issue 8, item 15: integer bounds make an `i`, and [0, 127, 1, 0] sends only 0 or 1.
TEST(ArgTemplates, WarnWhenAnIntegerScaleCollapsesItsInputRange) {
  EXPECT_EQ(scale_warnings("{ arg: 1, scale: [0, 127, 1, 0] }"),
            Lines{"t.yaml:11:30: warning: args[1].scale: 128 input values onto 2 integers; write "
                  "1.0 for a float, or in_lo as 0.0 if this is meant"});
  EXPECT_EQ(scale_warnings("{ arg: 1, scale: [0, 127, 0, 1], type: i }"),
            Lines{"t.yaml:11:30: warning: args[1].scale: 128 input values onto 2 integers; use "
                  "type: f for a float, or in_lo as 0.0 if this is meant"});
  EXPECT_EQ(scale_warnings("{ arg: 1, scale: [0, 127, -1, 1] }").size(), 1u);  // 3 integers
  EXPECT_EQ(scale_warnings("{ arg: 1, scale: [0, 127, 0.0, 1.0], type: h }").size(), 1u);
  EXPECT_EQ(scale_warnings("{ arg: 1, scale: [-8192, 8191, 0, 127] }").size(), 1u);
  EXPECT_EQ(scale_warnings("{ arg: 1, scale: [10, 0, 5, 5] }").size(), 1u);  // one integer
}

TEST(ArgTemplates, NoWarningForFloatExpandingOrContinuousScales) {
  EXPECT_EQ(scale_warnings("{ arg: 1, scale: [0, 127, 0, 1.0] }"), Lines{});  // a float
  EXPECT_EQ(scale_warnings("{ arg: 1, scale: [0, 127, 0, 1], type: d }"), Lines{});
  EXPECT_EQ(scale_warnings("{ arg: 1, scale: [0, 127, 0, 1], type: s }"), Lines{});
  EXPECT_EQ(scale_warnings("{ arg: 1, scale: [0, 1, 0, 127] }"), Lines{});  // expanding
  EXPECT_EQ(scale_warnings("{ arg: 1, scale: [0, 127, 127, 0] }"), Lines{});
  EXPECT_EQ(scale_warnings("{ arg: 1, scale: [1, 128, 0, 127] }"), Lines{});
  // An input written with a point is continuous: rounding it to a few integers is meant.
  EXPECT_EQ(scale_warnings("{ arg: 1, scale: [0.0, 127.0, 0, 1] }"), Lines{});
}

TEST(Routes, FromAndToAcceptOneNameOrAList) {
  const Config config = testing::loaded(std::string(testing::kTwoEndpoints) +
                                        "  - { from: desk, to: daw }\n"
                                        "  - { from: [desk, daw], to: [daw, desk], name: both }\n");
  ASSERT_EQ(config.routes.size(), 2u);
  EXPECT_EQ(config.routes[0].from, std::vector<std::string>{"desk"});
  EXPECT_EQ(config.routes[0].to, std::vector<std::string>{"daw"});
  EXPECT_EQ(config.routes[0].name, "route 1");
  EXPECT_EQ(config.routes[1].from, (std::vector<std::string>{"desk", "daw"}));
  EXPECT_EQ(config.routes[1].to, (std::vector<std::string>{"daw", "desk"}));
  EXPECT_EQ(config.routes[1].name, "both");
}

}  // namespace
}  // namespace oscbridge::config

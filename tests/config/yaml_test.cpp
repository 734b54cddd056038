// YAML as users write it: tabs, bytes a terminal would act on, unquoted brackets, merge keys
// (`<<: *defaults`) and top-level `x-` keys that park anchors.
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace oscbridge::config {
namespace {

using testing::error_of;
using testing::errors_of;
using testing::loaded;
using testing::route_error;

constexpr std::string_view kTab =
    "YAML syntax error: a tab in indentation; YAML indents with spaces";

TEST(Tabs, InIndentationAreNamedWhereverYamlCppTripsOnThem) {
  // yaml-cpp calls these "illegal map value", "end of map not found", "illegal tab when looking
  // for indentation"; each is reported at the tab.
  EXPECT_EQ(error_of("endpoints:\n  a:\n\tprotocol: udp\n"), "t.yaml:3:1: " + std::string(kTab));
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n  \tsend: 127.0.0.1:1\n"),
            "t.yaml:4:3: " + std::string(kTab));
  EXPECT_EQ(error_of("log:\n\tlevel: info\n"), "t.yaml:2:1: " + std::string(kTab));
  EXPECT_EQ(error_of("routes:\n  - to: a\n\t- to: b\n"), "t.yaml:3:1: " + std::string(kTab));
}

TEST(Tabs, ElsewhereAreFine) {
  // A tab after the indentation separates like a space; a syntax error on a line without a
  // tab keeps yaml-cpp's message.
  loaded("endpoints:\n  a: {\tprotocol: udp, send: 127.0.0.1:1 }\t# a tab\n");
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: udp\n"),
            "t.yaml:3:1: YAML syntax error: end of map flow not found");
}

// No message may carry a byte a terminal acts on: ESC starts colour changes, screen clears,
// title changes; C1 controls do the same on terminals that read them.
void expect_printable(const std::vector<std::string>& messages) {
  for (const std::string& message : messages) {
    for (const char c : message) {
      const auto byte = static_cast<unsigned char>(c);
      EXPECT_TRUE(byte >= 0x20 && byte != 0x7f) << "raw byte " << int(byte) << " in " << message;
    }
    EXPECT_EQ(message.find("\xc2\x9b"), std::string::npos) << message;
  }
}

TEST(Escaping, ControlBytesFromTheFileAreEscapedInMessages) {
  const std::string endpoints = "endpoints:\n  a: { protocol: udp, send: 127.0.0.1:1 }\n";
  // In a key, in a value, in an address, as a C1 control and as a byte that is not UTF-8.
  const std::vector<std::string> errors =
      errors_of(endpoints + "\"\\e[2J\": 1\nlog: { level: \"\\e]0;owned\\a\" }\n" +
                "x-ok: 1\n\"\\u009b\": 1\n");
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "t.yaml:3:1: unknown key '\\x1b[2J' in the top level",
                        "t.yaml:4:15: level: unknown log level '\\x1b]0;owned\\x07', expected "
                        "'trace', 'debug', 'info', 'warn', 'error' or 'off'",
                        "t.yaml:6:1: unknown key '\\u009b' in the top level"}));
  expect_printable(errors);
  const std::string address =
      error_of("endpoints:\n  a: { protocol: udp, send: \"1.2.3.4:\\e\\x9b\" }\n");
  EXPECT_EQ(address, "t.yaml:2:29: send: port '\\x1b\\u009b' is not a number");
  expect_printable({address});
}

TEST(Escaping, KeepsPrintableUtf8AndEscapesBytesThatAreNotUtf8) {
  EXPECT_EQ(error_of("log: { level: \"caf\xc3\xa9 \xe2\x86\x92\" }\nendpoints:\n"
                     "  a: { protocol: udp, send: 127.0.0.1:1 }\n"),
            "t.yaml:1:15: level: unknown log level 'caf\xc3\xa9 \xe2\x86\x92', expected 'trace', "
            "'debug', 'info', 'warn', 'error' or 'off'");
  const std::vector<std::string> errors =
      errors_of("endpoints:\n  a: { protocol: udp, send: 127.0.0.1:1 }\nbad\xff\x1b: 1\n");
  expect_printable(errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "t.yaml:3:1: unknown key 'bad\\xff\\x1b' in the top level");
}

TEST(Escaping, RouteNamesThatTheDaemonLogsMustBePrintable) {
  // Endpoint names are letters, digits, _ - and .; a route's name is free text otherwise.
  EXPECT_EQ(route_error("  - { name: \"fader\\e[8m\", to: daw }\n"),
            "t.yaml:10:13: name: 'fader\\x1b[8m' contains control characters; a route name is "
            "printable text");
  loaded(std::string(testing::kTwoEndpoints) +
         "  - { name: \"fader \xe2\x86\x92 daw\", to: daw }\n");
}

TEST(UnquotedBrackets, AStringKeyGivenAFlowListOrMappingIsToldToQuoteIt) {
  EXPECT_EQ(route_error("  - { to: daw, match: [abc] }\n"),
            "t.yaml:10:23: match: unquoted [abc] is a YAML list; write \"[abc]\" in quotes for "
            "the text");
  EXPECT_EQ(route_error("  - to: daw\n    match: {a,b}\n"),
            "t.yaml:11:12: match: unquoted {a,b} is a YAML mapping; write \"{a,b}\" in quotes for "
            "the text");
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: udp, listen: [::1] }\n"),
            "t.yaml:2:31: listen: unquoted [::1] is a YAML list; write \"[::1]\" in quotes for "
            "the text");
  // Text after the list or mapping makes it a syntax error, which names the cause too.
  EXPECT_EQ(route_error("  - match: [abc]/x\n    to: daw\n"),
            "t.yaml:10:17: YAML syntax error: end of map not found (text that starts with '[' "
            "must be quoted: \"[abc]/x\")");
  EXPECT_EQ(route_error("  - { to: daw, match: {a,b}/x }\n"),
            "t.yaml:10:28: YAML syntax error: end of map flow not found (text that starts with "
            "'{' must be quoted: \"{a,b}/x\")");
  // A list written as a block, or with spaces, or a mapping with values, is one on purpose.
  EXPECT_EQ(route_error("  - { to: daw, match: [/a, /b] }\n"),
            "t.yaml:10:23: match: expected text, got a list");
  EXPECT_EQ(route_error("  - { to: daw, match: {a: 1} }\n"),
            "t.yaml:10:23: match: expected text, got a mapping");
  EXPECT_EQ(route_error("  - to: daw\n    match:\n      - /a\n"),
            "t.yaml:12:7: match: expected text, got a list");
}

// The same file with the merges written out: what a merge must load as.
constexpr std::string_view kExpanded = R"(endpoints:
  a: { protocol: udp, listen: 127.0.0.1:8000, max_frame: 1024, reply: true }
  b: { protocol: udp, listen: 127.0.0.1:8001, max_frame: 4096, reply: true }
  c: { protocol: tcp, connect: 127.0.0.1:9000, max_frame: 512, framing: slip }
routes:
  - { from: a, to: [b, c], match: /x }
)";

TEST(MergeKeys, MergeAMappingOrAListWithExplicitKeysAndEarlierMappingsWinning) {
  const Config expected = loaded(kExpanded);
  EXPECT_EQ(loaded(R"(x-udp: &udp { protocol: udp, max_frame: 2048, reply: true }
x-big: &big { max_frame: 4096 }
x-tcp: &tcp { protocol: tcp, framing: length, max_frame: 512 }
x-route: &route { from: a, match: /x }
endpoints:
  a: { <<: *udp, listen: 127.0.0.1:8000, max_frame: 1024 }
  b:
    listen: 127.0.0.1:8001
    <<: [*big, *udp]
  c: { framing: slip, <<: [*tcp, *big], connect: 127.0.0.1:9000 }
routes:
  - { <<: *route, to: [b, c] }
)"),
            expected);
  // Merges nest: a merged mapping may merge another.
  EXPECT_EQ(loaded(R"(x-base: &base { protocol: udp, reply: true }
x-udp: &udp { <<: *base, max_frame: 2048 }
endpoints:
  a: { <<: *udp, listen: 127.0.0.1:8000, max_frame: 1024 }
  b: { <<: *udp, listen: 127.0.0.1:8001, max_frame: 4096 }
  c: { protocol: tcp, connect: 127.0.0.1:9000, max_frame: 512 }
routes:
  - { from: a, to: [b, c], match: /x }
)"),
            expected);
}

TEST(MergeKeys, ProblemsInMergedValuesAreReportedWhereTheyAreWritten) {
  // A value merged twice is wrong once, at the anchor; an overridden one is never read.
  EXPECT_EQ(errors_of(R"(x-udp: &udp
  protocol: udp
  max_frame: 1
  send: not an address
  lisen: 127.0.0.1:1
endpoints:
  a: { <<: *udp, send: 127.0.0.1:9000 }
  b: { <<: *udp, send: 127.0.0.1:9001 }
)"),
            (std::vector<std::string>{
                "t.yaml:3:14: max_frame: 1 is out of range 16..64KiB",
                "t.yaml:5:3: unknown key 'lisen' in endpoint 'a' (did you mean 'listen'?)",
                "t.yaml:5:3: unknown key 'lisen' in endpoint 'b' (did you mean 'listen'?)"}));
}

TEST(MergeKeys, RejectWhatIsNotAMerge) {
  const std::string endpoints = "endpoints:\n  a: { protocol: udp, send: 127.0.0.1:1";
  EXPECT_EQ(error_of(endpoints + ", <<: 5 }\n"),
            "t.yaml:2:42: '<<' merges a mapping or a list of mappings, such as <<: *defaults; "
            "got the number 5");
  EXPECT_EQ(error_of(endpoints + ", <<: [{ max_frame: 2048 }, x] }\n"),
            "t.yaml:2:68: '<<' merges mappings, got the text 'x' in its list");
  EXPECT_EQ(error_of(endpoints + ", <<: { max_frame: 2048 }, <<: {} }\n"),
            "t.yaml:2:67: '<<' is defined twice (first at line 2); merge several mappings with "
            "<<: [*a, *b]");
  // An anchor merged into itself: a cycle in the document, which must end.
  EXPECT_EQ(error_of("endpoints: &e\n  a: { protocol: udp, send: 127.0.0.1:1 }\n  <<: *e\n"),
            "t.yaml:3:3: '<<' merges are nested more than 16 deep (does a mapping merge itself?)");
  // Quoted, << is an ordinary key.
  EXPECT_EQ(error_of(endpoints + ", \"<<\": { reply: true } }\n"),
            "t.yaml:2:42: unknown key '<<' in endpoint 'a'");
}

TEST(TopLevelXKeys, AreIgnoredThereAndOnlyThere) {
  EXPECT_EQ(loaded("x-anything: [1, { any: thing }]\nx-: 1\n" + std::string(kExpanded)),
            loaded(kExpanded));
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: udp, send: 127.0.0.1:1, x-note: 1 }\n"),
            "t.yaml:2:42: unknown key 'x-note' in endpoint 'a'");
}

}  // namespace
}  // namespace oscbridge::config

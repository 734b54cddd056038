// Unit tests of osc/pattern: every construct, the captures it records, and every invalid form.
#include "osc/pattern.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace oscbridge::osc {
namespace {

Pattern compile_ok(std::string_view text) {
  PatternResult result = compile_pattern(text);
  if (!result.pattern) {
    ADD_FAILURE() << "'" << text << "' did not compile: " << result.error;
    return *compile_pattern("/unreachable").pattern;
  }
  EXPECT_TRUE(result.error.empty());
  return *result.pattern;
}

// The captures as strings, or nullopt when the address does not match.
std::optional<std::vector<std::string>> captures_of(std::string_view pattern,
                                                    std::string_view address) {
  const Pattern compiled = compile_ok(pattern);
  Captures captures;
  const bool matched = compiled.matches(address, captures);
  EXPECT_EQ(matched, compiled.matches(address)) << pattern << " on " << address;
  if (!matched) {
    EXPECT_EQ(captures.count, 0U);
    return std::nullopt;
  }
  EXPECT_EQ(captures.count, compiled.capture_count());
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < captures.count; ++i) texts.emplace_back(captures.items[i]);
  return texts;
}

using Texts = std::vector<std::string>;

bool matches(std::string_view pattern, std::string_view address) {
  return compile_ok(pattern).matches(address);
}

TEST(PatternLiteral, IsStringEquality) {
  const Pattern pattern = compile_ok("/mixer/ch/01/fader");
  EXPECT_TRUE(pattern.is_literal());
  EXPECT_EQ(pattern.capture_count(), 0U);
  EXPECT_EQ(pattern.literal_prefix(), "/mixer/ch/01/fader");
  EXPECT_EQ(pattern.text(), "/mixer/ch/01/fader");
  EXPECT_TRUE(pattern.matches("/mixer/ch/01/fader"));
  EXPECT_FALSE(pattern.matches("/mixer/ch/01/fader/"));
  EXPECT_FALSE(pattern.matches("/mixer/ch/01/fade"));
  EXPECT_FALSE(pattern.matches("/mixer/ch/01/faderx"));
  EXPECT_FALSE(pattern.matches(""));
  EXPECT_EQ(captures_of("/a/b", "/a/b"), Texts{});
}

TEST(PatternLiteral, AllowsPunctuationOscPermitsAndUtf8) {
  EXPECT_TRUE(matches("/a-b_c.d!e~f:g;h=i", "/a-b_c.d!e~f:g;h=i"));
  EXPECT_TRUE(matches("/temp\xc3\xa9rature", "/temp\xc3\xa9rature"));
}

TEST(PatternQuestion, MatchesOneCharacterButNeverSlash) {
  EXPECT_EQ(captures_of("/a?c", "/abc"), Texts{"b"});
  EXPECT_FALSE(matches("/a?c", "/ac"));
  EXPECT_FALSE(matches("/a?c", "/abbc"));
  EXPECT_FALSE(matches("/a?c", "/a/c"));
  EXPECT_EQ(captures_of("/??", "/xy"), (Texts{"x", "y"}));
  EXPECT_FALSE(matches("/?", "/"));
}

TEST(PatternStar, MatchesAnyRunWithinOneLevel) {
  EXPECT_EQ(captures_of("/fader*", "/fader"), Texts{""});
  EXPECT_EQ(captures_of("/fader*", "/fader12"), Texts{"12"});
  EXPECT_FALSE(matches("/fader*", "/fader/1"));
  EXPECT_EQ(captures_of("/*/volume", "/track/volume"), Texts{"track"});
  EXPECT_FALSE(matches("/*/volume", "/a/b/volume"));
  EXPECT_EQ(captures_of("/*", "/"), Texts{""});
  EXPECT_EQ(captures_of("/a/*", "/a/"), Texts{""});
  EXPECT_FALSE(matches("/a/*", "/a"));
  EXPECT_EQ(captures_of("/*x", "/abx"), Texts{"ab"});
  EXPECT_FALSE(matches("/*x", "/abxy"));
}

TEST(PatternStar, EarlierStarsTakeTheShortestRun) {
  EXPECT_EQ(captures_of("/*_*", "/a_b_c"), (Texts{"a", "b_c"}));
  EXPECT_EQ(captures_of("/*_*_*", "/a_b_c_d"), (Texts{"a", "b", "c_d"}));
  EXPECT_EQ(captures_of("/x*y*z", "/xayybzz"), (Texts{"a", "ybz"}));
  EXPECT_EQ(captures_of("/*ab", "/aab"), Texts{"a"});
  EXPECT_EQ(captures_of("/*a*", "/bab"), (Texts{"b", "b"}));
  EXPECT_FALSE(matches("/*a*a*", "/ba"));
  EXPECT_EQ(captures_of("/*?*", "/xyz"), (Texts{"", "x", "yz"}));
}

TEST(PatternSet, ListsRangesAndNegation) {
  EXPECT_EQ(captures_of("/ch[123]", "/ch2"), Texts{"2"});
  EXPECT_FALSE(matches("/ch[123]", "/ch4"));
  EXPECT_EQ(captures_of("/[a-z]", "/q"), Texts{"q"});
  EXPECT_TRUE(matches("/[a-z]", "/a"));
  EXPECT_TRUE(matches("/[a-z]", "/z"));
  EXPECT_FALSE(matches("/[a-z]", "/A"));
  EXPECT_TRUE(matches("/[a-cx-z0]", "/y"));
  EXPECT_TRUE(matches("/[a-cx-z0]", "/0"));
  EXPECT_FALSE(matches("/[a-cx-z0]", "/d"));
  EXPECT_EQ(captures_of("/[!abc]", "/d"), Texts{"d"});
  EXPECT_FALSE(matches("/[!abc]", "/b"));
  EXPECT_TRUE(matches("/[!a-z]", "/5"));
  EXPECT_FALSE(matches("/[!a-z]", "/m"));
  EXPECT_TRUE(matches("/[a!]", "/!"));  // '!' is a negation only when first
  EXPECT_TRUE(matches("/[z-z]", "/z"));
}

TEST(PatternSet, DashFirstOrLastIsLiteral) {
  EXPECT_TRUE(matches("/[-a]", "/-"));
  EXPECT_TRUE(matches("/[-a]", "/a"));
  EXPECT_FALSE(matches("/[-a]", "/b"));
  EXPECT_TRUE(matches("/[a-]", "/-"));
  EXPECT_FALSE(matches("/[a-]", "/b"));
  EXPECT_TRUE(matches("/[-]", "/-"));
  EXPECT_FALSE(matches("/[!-]", "/-"));
  EXPECT_TRUE(matches("/[!-]", "/x"));
  EXPECT_TRUE(matches("/[!-a]", "/b"));
  EXPECT_FALSE(matches("/[!-a]", "/a"));
}

TEST(PatternSet, NeverMatchesSlashEvenNegatedOrByRange) {
  EXPECT_FALSE(matches("/a[!b]c", "/a/c"));
  EXPECT_FALSE(matches("/a[!x]", "/a/"));
  EXPECT_FALSE(matches("/a[+-0]c", "/a/c"));  // the range '+'..'0' spans '/'
  EXPECT_TRUE(matches("/a[+-0]c", "/a.c"));
}

TEST(PatternAlternatives, MatchOneOfTheListedStrings) {
  EXPECT_EQ(captures_of("/{foo,bar}", "/foo"), Texts{"foo"});
  EXPECT_EQ(captures_of("/{foo,bar}", "/bar"), Texts{"bar"});
  EXPECT_FALSE(matches("/{foo,bar}", "/baz"));
  EXPECT_FALSE(matches("/{foo,bar}", "/foobar"));
  EXPECT_FALSE(matches("/{foo,bar}", "/fo"));
  EXPECT_EQ(captures_of("/x{a,bc}y", "/xbcy"), Texts{"bc"});
  EXPECT_EQ(captures_of("/{single}", "/single"), Texts{"single"});
  EXPECT_EQ(captures_of("/{a,b}/{c,d}", "/b/c"), (Texts{"b", "c"}));
  EXPECT_EQ(captures_of("/{a,b}{c,d}", "/bd"), (Texts{"b", "d"}));
}

TEST(PatternAlternatives, EmptyAlternativeMakesTextOptional) {
  EXPECT_EQ(captures_of("/fader{,s}", "/fader"), Texts{""});
  EXPECT_EQ(captures_of("/fader{,s}", "/faders"), Texts{"s"});
  EXPECT_EQ(captures_of("/x{a,}", "/x"), Texts{""});
  EXPECT_EQ(captures_of("/{,a}", "/"), Texts{""});
  EXPECT_EQ(captures_of("/{,a}x", "/x"), Texts{""});
}

TEST(PatternAlternatives, OverlappingAlternativesOfDifferentLengths) {
  EXPECT_EQ(captures_of("/{ab,a}b", "/ab"), Texts{"a"});
  EXPECT_EQ(captures_of("/{a,ab}c", "/abc"), Texts{"ab"});
  EXPECT_EQ(captures_of("/{a,ab}{b,bc}", "/abc"), (Texts{"a", "bc"}));
  EXPECT_EQ(captures_of("/{a,ab}{bc,c}", "/abc"), (Texts{"a", "bc"}));
  EXPECT_EQ(captures_of("/a{b,c}*", "/ab"), (Texts{"b", ""}));
  EXPECT_EQ(captures_of("/*{ab,b}*", "/xabz"), (Texts{"x", "ab", "z"}));
  EXPECT_EQ(captures_of("/*{abcd,c}*", "/abcd"), (Texts{"ab", "c", "d"}));
  EXPECT_EQ(captures_of("/*{ab,a}", "/aab"), (Texts{"a", "ab"}));
  EXPECT_EQ(captures_of("/{a,aa}*{b,ab}", "/aab"), (Texts{"a", "", "ab"}));
  EXPECT_FALSE(matches("/{ab,a}{bb,b}c", "/abbbbc"));
  EXPECT_TRUE(matches("/{ab,a}{bb,b}c", "/abbc"));
}

TEST(PatternAnyLevels, DoubleSlashSkipsZeroOrMoreLevels) {
  EXPECT_EQ(captures_of("//foo", "/foo"), Texts{""});
  EXPECT_EQ(captures_of("//foo", "/a/foo"), Texts{"/a"});
  EXPECT_EQ(captures_of("//foo", "/a/b/foo"), Texts{"/a/b"});
  EXPECT_FALSE(matches("//foo", "/afoo"));
  EXPECT_FALSE(matches("//foo", "/a/xfoo"));
  EXPECT_FALSE(matches("//foo", "/foo/a"));
  EXPECT_FALSE(matches("//foo", "foo"));
  EXPECT_EQ(captures_of("/a//b", "/a/b"), Texts{""});
  EXPECT_EQ(captures_of("/a//b", "/a/x/y/b"), Texts{"/x/y"});
  EXPECT_FALSE(matches("/a//b", "/ab"));
  EXPECT_FALSE(matches("/x//a", "/xx/a"));
  EXPECT_FALSE(matches("/a//b", "/a/b/c"));
  EXPECT_EQ(captures_of("//b", "/b/b/b"), Texts{"/b/b"});
}

TEST(PatternAnyLevels, CombinesWithOtherWildcards) {
  EXPECT_EQ(captures_of("//*", "/x"), (Texts{"", "x"}));
  EXPECT_EQ(captures_of("//*", "/x/y/z"), (Texts{"/x/y", "z"}));
  EXPECT_FALSE(matches("//*", "x"));
  EXPECT_EQ(captures_of("//a//b", "/a/q/b"), (Texts{"", "/q"}));
  EXPECT_EQ(captures_of("//a//b", "/p/a/b"), (Texts{"/p", ""}));
  EXPECT_EQ(captures_of("//a/*//c", "/z/a/b/y/c"), (Texts{"/z", "b", "/y"}));
  EXPECT_EQ(captures_of("/x//{a,b}/[0-9]", "/x/1/2/b/7"), (Texts{"/1/2", "b", "7"}));
  EXPECT_FALSE(matches("/x//{a,b}/[0-9]", "/x/1/2/c/7"));
  // A later level failing makes the `//` skip more: /q/a/b fails, /q/a/a/b fits.
  EXPECT_EQ(captures_of("//a/b", "/q/a/a/b"), (Texts{"/q/a"}));
}

TEST(PatternAnyLevels, EmptyAddressLevelsAreLevels) {
  EXPECT_TRUE(matches("/*/b", "//b"));
  EXPECT_EQ(captures_of("//b", "//b"), Texts{"/"});  // one empty level skipped
  EXPECT_EQ(captures_of("//b", "/b"), Texts{""});    // no level skipped
  EXPECT_FALSE(matches("/a", "/a/"));
}

TEST(PatternCaptures, RecordedInPatternOrderAcrossLevels) {
  const Pattern pattern = compile_ok("/{mix,bus}/?/[0-9]*//gain");
  EXPECT_EQ(pattern.capture_count(), 5U);
  EXPECT_FALSE(pattern.is_literal());
  Captures captures;
  ASSERT_TRUE(pattern.matches("/bus/a/7x/y/z/gain", captures));
  ASSERT_EQ(captures.count, 5U);
  EXPECT_EQ(captures.items[0], "bus");
  EXPECT_EQ(captures.items[1], "a");
  EXPECT_EQ(captures.items[2], "7");
  EXPECT_EQ(captures.items[3], "x");
  EXPECT_EQ(captures.items[4], "/y/z");
}

TEST(PatternCaptures, AreViewsIntoTheAddressAndResetOnFailure) {
  const Pattern pattern = compile_ok("/track/*/volume");
  const std::string address = "/track/12/volume";
  Captures captures;
  ASSERT_TRUE(pattern.matches(address, captures));
  EXPECT_EQ(captures.items[0].data(), address.data() + 7);
  EXPECT_FALSE(pattern.matches("/track/12/pan", captures));
  EXPECT_EQ(captures.count, 0U);
}

TEST(PatternCaptures, SixteenWildcardsFitExactly) {
  const Pattern pattern = compile_ok("/????????????????");
  EXPECT_EQ(pattern.capture_count(), kMaxCaptures);
  EXPECT_TRUE(pattern.matches("/abcdefghijklmnop"));
  const auto texts = captures_of("/????????????????", "/abcdefghijklmnop");
  ASSERT_TRUE(texts);
  EXPECT_EQ(texts->back(), "p");
}

// config/ warns about an address template where an empty capture would leave an empty level.
TEST(PatternCaptures, KnowWhichCanBeEmpty) {
  const Pattern pattern = compile_ok("/a*/?/[0-9]/{x,y}/{,s}//z/b*c*");
  ASSERT_EQ(pattern.capture_count(), 8U);
  const bool expected[] = {true, false, false, false, true, true, true, true};
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(pattern.capture_can_be_empty(i), expected[i]) << i;
  EXPECT_FALSE(pattern.capture_can_be_empty(8));  // out of range
  EXPECT_TRUE(compile_ok("/*").capture_can_be_empty(0));
  EXPECT_FALSE(compile_ok("/literal").capture_can_be_empty(0));
  // What the flags promise, on real matches: every empty-capable wildcard matched "" here.
  EXPECT_EQ(captures_of("/a*/?/[0-9]/{x,y}/{,s}//z/b*c*", "/a/q/1/x//z/bc"),
            (Texts{"", "q", "1", "x", "", "", "", ""}));
}

TEST(PatternPrefix, IsTheLongestWildcardFreeStart) {
  EXPECT_EQ(compile_ok("/a/b*").literal_prefix(), "/a/b");
  EXPECT_EQ(compile_ok("/a/b/*").literal_prefix(), "/a/b/");
  EXPECT_EQ(compile_ok("/a//b").literal_prefix(), "/a/");
  EXPECT_EQ(compile_ok("//x").literal_prefix(), "/");
  EXPECT_EQ(compile_ok("/{a,b}").literal_prefix(), "/");
  EXPECT_EQ(compile_ok("/x?").literal_prefix(), "/x");
  EXPECT_EQ(compile_ok("/x[ab]").literal_prefix(), "/x");
}

// The matcher picks a form by the pattern's shape (fixed length; linear without `//`; with
// `//`); these pin the edges of each form.
TEST(PatternForms, FixedLengthComparesEveryByteAtEveryLength) {
  // Lengths around the 8-byte words the literal bytes are compared in.
  for (std::size_t length = 1; length <= 20; ++length) {
    const std::size_t wild = 1 + length / 2;
    std::string text = "/" + std::string(length, 'x');
    text[wild] = '?';
    const Pattern pattern = compile_ok(text);
    std::string address = text;
    address[wild] = 'q';
    EXPECT_TRUE(pattern.matches(address)) << text;
    for (std::size_t i = 0; i < address.size(); ++i) {
      if (i == wild) continue;
      std::string wrong = address;
      wrong[i] = 'y';
      EXPECT_FALSE(pattern.matches(wrong)) << text << " on " << wrong;
    }
    EXPECT_FALSE(pattern.matches(address + "x")) << text;
    EXPECT_FALSE(pattern.matches(address.substr(0, address.size() - 1))) << text;
  }
  EXPECT_FALSE(matches("/a?", "/a/"));
  EXPECT_FALSE(matches("/ch/[0-9][0-9]/[a-z]ute", "/ch/07/Mute"));
  EXPECT_EQ(captures_of("/ch/[0-9][0-9]/[a-z]ute", "/ch/07/mute"), (Texts{"0", "7", "m"}));
}

TEST(PatternForms, LinearStepsRespectLevelBoundaries) {
  EXPECT_EQ(captures_of("/{a,ab}/x", "/ab/x"), Texts{"ab"});
  EXPECT_FALSE(matches("/{a,ab}/x", "/abc/x"));
  EXPECT_FALSE(matches("/{a,b}", "/"));
  EXPECT_EQ(captures_of("/{a,b}/*", "/b/"), (Texts{"b", ""}));
  EXPECT_FALSE(matches("/a*/xyz", "/a/xy"));
  EXPECT_FALSE(matches("/a*/xyz", "/xyz"));
  EXPECT_FALSE(matches("/*/xyz", "/xyz"));
  EXPECT_EQ(captures_of("/*/xyz", "//xyz"), Texts{""});
  EXPECT_EQ(captures_of("/a/*/b*c/d", "/a/q/bzzc/d"), (Texts{"q", "zz"}));
  EXPECT_FALSE(matches("/a/*/b*c/d", "/a/q/bzz/c/d"));
  EXPECT_FALSE(matches("/*", "x"));
}

TEST(PatternForms, DoubleSlashWithLiteralHeadAndTail) {
  EXPECT_FALSE(matches("/mix//fader", "/mixfader"));
  EXPECT_FALSE(matches("/mix//fader", "/mix/fader/x"));
  EXPECT_FALSE(matches("/mix//fader", "/mi/fader"));
  EXPECT_FALSE(matches("/mix//fader", "/mix"));
  EXPECT_FALSE(matches("/ab//ab", "/ab"));
  EXPECT_EQ(captures_of("/ab//ab", "/ab/ab"), Texts{""});
  EXPECT_EQ(captures_of("/ab//ab", "/ab/ab/ab"), Texts{"/ab"});
  EXPECT_EQ(captures_of("/mix//x/*/fader", "/mix/1/x/2/fader"), (Texts{"/1", "2"}));
}

TEST(PatternAddress, MustStartWithSlash) {
  EXPECT_FALSE(matches("/*", ""));
  EXPECT_FALSE(matches("/*", "a"));
  EXPECT_FALSE(matches("//*", "a/b"));
  EXPECT_FALSE(matches("/a", "a"));
}

TEST(PatternCopy, CopiesAreIndependentOfTheOriginal) {
  std::optional<Pattern> original = compile_ok("/x/{a,b}/*");
  const Pattern copy = *original;
  original.reset();
  Captures captures;
  ASSERT_TRUE(copy.matches("/x/b/zz", captures));
  EXPECT_EQ(captures.items[0], "b");
  EXPECT_EQ(captures.items[1], "zz");
}

struct InvalidCase {
  std::string text;
  std::string reason;  // a substring of the error
  std::size_t offset;  // 0-based; the message names offset + 1
};

class PatternInvalid : public testing::TestWithParam<InvalidCase> {};

TEST_P(PatternInvalid, IsRejectedWithReasonAndPosition) {
  const InvalidCase& expected = GetParam();
  const PatternResult result = compile_pattern(expected.text);
  EXPECT_FALSE(result.pattern.has_value());
  EXPECT_NE(result.error.find(expected.reason), std::string::npos) << result.error;
  EXPECT_EQ(result.error_offset, expected.offset) << result.error;
  EXPECT_NE(result.error.find("at position " + std::to_string(expected.offset + 1)),
            std::string::npos)
      << result.error;
}

INSTANTIATE_TEST_SUITE_P(
    EveryForm, PatternInvalid,
    testing::Values(
        InvalidCase{"", "empty pattern", 0}, InvalidCase{"a/b", "must start with '/'", 0},
        InvalidCase{"*", "must start with '/'", 0}, InvalidCase{"/a[bc", "unbalanced '['", 2},
        InvalidCase{"/a[", "unbalanced '['", 2}, InvalidCase{"/x{a,b", "unbalanced '{'", 2},
        InvalidCase{"/a]", "']' without '['", 2}, InvalidCase{"/a}", "'}' without '{'", 2},
        InvalidCase{"/{a,{b}}", "nested '{'", 4}, InvalidCase{"/[]", "empty '[]'", 1},
        InvalidCase{"/[!]", "empty '[!]'", 1}, InvalidCase{"/{}", "empty '{}'", 1},
        InvalidCase{"/[z-a]", "bad range 'z-a'", 2},
        InvalidCase{"/[a-c-e]", "'-' inside '[...]'", 5},
        InvalidCase{"/[a-#]", "not allowed inside '[...]'", 4},
        InvalidCase{"/[a b]", "not allowed inside '[...]'", 3},
        InvalidCase{"/[a*]", "not allowed inside '[...]'", 3},
        InvalidCase{"/[\xc3\xa9]", "not allowed inside '[...]'", 2},
        InvalidCase{"/[a/b]", "'/' inside '[...]'", 3},
        InvalidCase{"/{a/b,c}", "'/' inside '{...}'", 3},
        InvalidCase{"/{a*,b}", "inside '{...}'", 3}, InvalidCase{"/{a,[b]}", "inside '{...}'", 4},
        InvalidCase{"/{a,b c}", "' ' (space) is not allowed", 5},
        InvalidCase{"/a b", "' ' (space) is not allowed", 2},
        InvalidCase{"/a#b", "'#' is not allowed", 2},
        InvalidCase{"/#bundle", "'#' is not allowed", 1},
        InvalidCase{"/a,b", "',' outside '{...}'", 2},
        InvalidCase{std::string("/a\tb"), "control character 0x09", 2},
        InvalidCase{std::string("/a\x7f"), "control character 0x7f", 2},
        InvalidCase{std::string("/a\0b", 4), "control character 0x00", 2},
        InvalidCase{"/", "pattern ends with '/'", 0},
        InvalidCase{"/a/", "pattern ends with '/'", 2},
        InvalidCase{"//", "'//' must be followed by an address level", 0},
        InvalidCase{"/a//", "'//' must be followed by an address level", 2},
        InvalidCase{"/a///b", "three or more '/'", 4},
        InvalidCase{"/**", "'**' is not OSC syntax", 1},
        InvalidCase{"/?????????????????", "more than 16 wildcards", 17},
        InvalidCase{"//?/?/?/?/?/?/?/?/?/?/?/?/?/?/?/*", "more than 16 wildcards", 32}));

TEST(PatternInvalidLength, LongerThanTheLimitIsRejected) {
  std::string text = "/" + std::string(kMaxPatternLength, 'a');
  const PatternResult result = compile_pattern(text);
  EXPECT_FALSE(result.pattern);
  EXPECT_NE(result.error.find("longer than"), std::string::npos) << result.error;
  text.resize(kMaxPatternLength);
  EXPECT_TRUE(compile_pattern(text).pattern);
}

// A backtracking matcher needs exponential (or high-polynomial) time on these; ours is
// linear-ish. The watchdog turns a hang into a failure instead of waiting for ctest's timeout.
// It is a hang guard, not a speed claim: the budget is ~1000x what the matcher needs.
void run_with_watchdog(const std::function<void()>& body) {
  std::mutex mutex;
  std::condition_variable done_signal;
  bool done = false;
  std::thread worker([&] {
    body();
    std::lock_guard lock(mutex);
    done = true;
    done_signal.notify_one();
  });
  std::unique_lock lock(mutex);
  if (!done_signal.wait_for(lock, std::chrono::seconds(60), [&] { return done; })) {
    std::fprintf(stderr, "pattern matching did not finish within 60 s: not polynomial\n");
    std::_Exit(1);
  }
  lock.unlock();
  worker.join();
}

TEST(PatternComplexity, ManyStarsOnALongLevelStayFast) {
  const std::string many_a(200000, 'a');
  run_with_watchdog([&] {
    EXPECT_FALSE(matches("/*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "/" + many_a));
    EXPECT_TRUE(matches("/*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "/" + many_a + "b"));
    EXPECT_FALSE(matches("/*?*?*?*?*?*?*?*b", "/" + many_a));
    EXPECT_FALSE(matches("/*{a,aa}*{a,aa}*{a,aa}*{a,aa}*b", "/" + many_a.substr(0, 20000)));
    EXPECT_FALSE(
        matches("/{a,aa}{a,aa}{a,aa}{a,aa}{a,aa}{a,aa}{a,aa}{a,aa}b", "/aaaaaaaaaaaaaaaaa"));
  });
}

TEST(PatternComplexity, ManyDoubleSlashesOnDeepAddressesStayFast) {
  std::string deep;
  for (int i = 0; i < 20000; ++i) deep += "/a";
  run_with_watchdog([&] {
    EXPECT_FALSE(matches("//a//a//a//a//a//a//a//b", deep));
    EXPECT_TRUE(matches("//a//a//a//a//a//a//a//b", deep + "/b"));
    EXPECT_FALSE(matches("//*a//*a//*a//*a//*b", deep));
  });
}

}  // namespace
}  // namespace oscbridge::osc

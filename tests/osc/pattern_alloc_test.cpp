// Proves that matching allocates nothing: this executable replaces the global operator new
// (tests/support/allocation_counter.h) and counts the calls made on this thread while the
// matcher runs (compiling is allowed to allocate).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "osc/pattern.h"
#include "tests/support/allocation_counter.h"

namespace oscbridge::osc {
namespace {

using test::Counting;

TEST(PatternAllocation, CounterSeesAllocations) {
  // Guards the guard: if the replacement were not in effect the test below would prove nothing.
  long counted = 0;
  std::string* probe = nullptr;
  {
    Counting scope;
    probe = new std::string(100, 'x');
    counted = scope.count();
  }
  delete probe;
  EXPECT_GE(counted, 1);
}

TEST(PatternAllocation, MatchingNeverAllocates) {
  const std::vector<std::string> texts = {
      "/mixer/ch/01/fader", "/track/*/volume",   "/{foo,bar,bazz}/x", "/a?[0-9]*",
      "//c/fader",          "/x//{a,b}/[!c]*",   "/*{a,ab}*{b,bc}",   "/{ab,a}{bb,b}c",
      "//*a//*b",           "/fader{,s}/[a-c-]*"};
  std::vector<Pattern> patterns;
  for (const auto& text : texts) {
    PatternResult result = compile_pattern(text);
    ASSERT_TRUE(result.pattern) << text << ": " << result.error;
    patterns.push_back(*result.pattern);
  }
  const std::vector<std::string> addresses = {"/mixer/ch/01/fader",
                                              "/track/7/volume",
                                              "/bazz/x",
                                              "/ab3zz",
                                              "/a/b/c/fader",
                                              "/x/1/2/b/d9",
                                              "/qabxbc",
                                              "/abbc",
                                              "/qa/r/s/tb",
                                              "/faders/b-",
                                              std::string(5000, 'a'),
                                              "/" + std::string(5000, 'a')};
  // Pattern i was written to match address i: every kind of construct gets exercised.
  std::size_t expected = 0;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    EXPECT_TRUE(patterns[i].matches(addresses[i])) << texts[i] << " on " << addresses[i];
    for (const auto& address : addresses) expected += patterns[i].matches(address) ? 2 : 0;
  }
  std::size_t matched = 0;
  Captures captures;
  long counted = 0;
  {
    Counting scope;
    for (int round = 0; round < 10; ++round) {
      for (const auto& pattern : patterns) {
        for (const auto& address : addresses) {
          matched += pattern.matches(address) ? 1 : 0;
          matched += pattern.matches(address, captures) ? 1 : 0;
        }
      }
    }
    counted = scope.count();
  }
  EXPECT_EQ(counted, 0);
  EXPECT_EQ(matched, 10 * expected);
}

}  // namespace
}  // namespace oscbridge::osc

// Proves that matching allocates nothing: this executable replaces the global operator new
// and counts the calls made while the matcher runs (compiling is allowed to allocate).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "osc/pattern.h"

namespace {

std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};

void* counted_allocation(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) {
  return counted_allocation(size);
}
void* operator new[](std::size_t size) {
  return counted_allocation(size);
}
void operator delete(void* memory) noexcept {
  std::free(memory);
}
void operator delete[](void* memory) noexcept {
  std::free(memory);
}
void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}
void operator delete[](void* memory, std::size_t) noexcept {
  std::free(memory);
}

namespace oscbridge::osc {
namespace {

TEST(PatternAllocation, CounterSeesAllocations) {
  // Guards the guard: if the replacement were not in effect the test below would prove nothing.
  counting = true;
  auto* probe = new std::string(100, 'x');
  counting = false;
  delete probe;
  EXPECT_GE(allocations.exchange(0), 1U);
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
  counting = true;
  for (int round = 0; round < 10; ++round) {
    for (const auto& pattern : patterns) {
      for (const auto& address : addresses) {
        matched += pattern.matches(address) ? 1 : 0;
        matched += pattern.matches(address, captures) ? 1 : 0;
      }
    }
  }
  counting = false;
  EXPECT_EQ(allocations.load(), 0U);
  EXPECT_EQ(matched, 10 * expected);
}

}  // namespace
}  // namespace oscbridge::osc

// RateSampler driven directly with made-up times: what `oscbridge status` shows as rates.
#include "daemon/rates.h"

#include <gtest/gtest.h>

namespace oscbridge::daemon {
namespace {

using namespace std::chrono_literals;
using Clock = RateSampler::Clock;

std::vector<std::pair<std::string, RateSampler::Values>> one(const std::string& key,
                                                             std::uint64_t a, std::uint64_t b = 0,
                                                             std::uint64_t c = 0) {
  return {{key, {a, b, c}}};
}

TEST(Rates, NothingBeforeTwoSamples) {
  RateSampler sampler;
  EXPECT_EQ(sampler.rates("x")[0], Rate{});
  sampler.sample(Clock::time_point{} + 1s, one("x", 100));
  EXPECT_EQ(sampler.rates("x")[0], Rate{});
}

TEST(Rates, LastSecondAndLastMinuteDiffer) {
  RateSampler sampler;
  auto t = Clock::time_point{} + 10s;
  std::uint64_t count = 0;
  // 59 quiet seconds, then 10 messages a second for ... one second: 1 s sees 10/s, the minute
  // 10 over 60 s.
  for (int i = 0; i <= 59; ++i) sampler.sample(t + i * 1s, one("x", count));
  count += 10;
  sampler.sample(t + 60s, one("x", count, 0, 5));
  auto rates = sampler.rates("x");
  EXPECT_DOUBLE_EQ(rates[0].last_1s, 10.0);
  EXPECT_DOUBLE_EQ(rates[0].last_60s, 10.0 / 60.0);
  EXPECT_DOUBLE_EQ(rates[2].last_1s, 5.0);
  EXPECT_DOUBLE_EQ(rates[1].last_1s, 0.0);
}

TEST(Rates, TheMinuteSlidesAndMemoryStaysBounded) {
  RateSampler sampler;
  auto t = Clock::time_point{} + 10s;
  // A burst of 600 in the first second, then steady 1/s for ten minutes: the burst leaves the
  // minute after 60 s.
  std::uint64_t count = 0;
  sampler.sample(t, one("x", count));
  count += 600;
  sampler.sample(t + 1s, one("x", count));
  EXPECT_DOUBLE_EQ(sampler.rates("x")[0].last_60s, 600.0);
  for (int i = 2; i <= 600; ++i) sampler.sample(t + i * 1s, one("x", ++count));
  EXPECT_DOUBLE_EQ(sampler.rates("x")[0].last_1s, 1.0);
  EXPECT_DOUBLE_EQ(sampler.rates("x")[0].last_60s, 1.0);
  EXPECT_EQ(sampler.series_count(), 1u);
}

TEST(Rates, UnevenTicksUseTheRealElapsedTime) {
  RateSampler sampler;
  auto t = Clock::time_point{} + 10s;
  sampler.sample(t, one("x", 0));
  // A busy loop skipped a round: 2.5 s between samples.
  sampler.sample(t + 2500ms, one("x", 50));
  EXPECT_DOUBLE_EQ(sampler.rates("x")[0].last_1s, 20.0);
}

TEST(Rates, SparseSamplesStillMeasureOnlyTheLastMinute) {
  RateSampler sampler;
  auto t = Clock::time_point{} + 10s;
  // A loop so busy it samples every 10 s: the ring then spans ten minutes, the minute rate
  // must still see only the last 60 s (a burst five minutes ago is out of it).
  std::uint64_t count = 0;
  sampler.sample(t, one("x", count));
  count += 3000;
  for (int i = 1; i <= 40; ++i) sampler.sample(t + i * 10s, one("x", i == 1 ? count : ++count));
  EXPECT_NEAR(sampler.rates("x")[0].last_60s, 0.1, 1e-9);
  EXPECT_NEAR(sampler.rates("x")[0].last_1s, 0.1, 1e-9);
}

TEST(Rates, ACounterThatGoesDownRestartsTheSeries) {
  RateSampler sampler;
  auto t = Clock::time_point{} + 10s;
  sampler.sample(t, one("x", 1000));
  sampler.sample(t + 1s, one("x", 2000));
  // Reloaded: a new endpoint of the same name counts from 0.
  sampler.sample(t + 2s, one("x", 3));
  EXPECT_EQ(sampler.rates("x")[0], Rate{});
  sampler.sample(t + 3s, one("x", 7));
  EXPECT_DOUBLE_EQ(sampler.rates("x")[0].last_1s, 4.0);
  EXPECT_DOUBLE_EQ(sampler.rates("x")[0].last_60s, 4.0);
}

TEST(Rates, SeriesNoLongerSampledAreForgotten) {
  RateSampler sampler;
  auto t = Clock::time_point{} + 10s;
  sampler.sample(t, {{"a", {0, 0, 0}}, {"b", {0, 0, 0}}});
  sampler.sample(t + 1s, {{"a", {5, 0, 0}}, {"b", {7, 0, 0}}});
  EXPECT_DOUBLE_EQ(sampler.rates("b")[0].last_1s, 7.0);
  sampler.sample(t + 2s, {{"a", {10, 0, 0}}});
  EXPECT_EQ(sampler.series_count(), 1u);
  EXPECT_EQ(sampler.rates("b")[0], Rate{});
  EXPECT_DOUBLE_EQ(sampler.rates("a")[0].last_1s, 5.0);
}

}  // namespace
}  // namespace oscbridge::daemon

#include "osc/timetag.h"

#include <gtest/gtest.h>

#include <chrono>

namespace oscbridge::osc {
namespace {

using namespace std::chrono;

TEST(TimeTagTest, ImmediatelyIsOne) {
  EXPECT_EQ(TimeTag::immediately().ntp(), 1u);
  EXPECT_TRUE(TimeTag().is_immediately());
  EXPECT_FALSE(TimeTag(2).is_immediately());
  EXPECT_EQ(TimeTag(0x12345678, 0x9ABCDEF0).ntp(), 0x123456789ABCDEF0u);
  EXPECT_EQ(TimeTag(0x123456789ABCDEF0u).seconds(), 0x12345678u);
  EXPECT_EQ(TimeTag(0x123456789ABCDEF0u).fraction(), 0x9ABCDEF0u);
  EXPECT_LT(TimeTag(5), TimeTag(6));
}

TEST(TimeTagTest, KnownInstants) {
  const TimeTag unix_epoch = TimeTag::from_time_point(system_clock::time_point{});
  EXPECT_EQ(unix_epoch.seconds(), 2208988800u);
  EXPECT_EQ(unix_epoch.fraction(), 0u);
  const TimeTag half = TimeTag::from_time_point(system_clock::time_point{} + milliseconds(1500));
  EXPECT_EQ(half.seconds(), 2208988801u);
  EXPECT_EQ(half.fraction(), 0x80000000u);
  EXPECT_EQ(TimeTag(2208988800u, 0x40000000u).to_time_point(),
            system_clock::time_point{} + milliseconds(250));
  // 2036-02-07T06:28:16Z is where NTP era 1 starts: seconds wrap to 0.
  const auto era1 = system_clock::time_point{} + seconds(4294967296LL - 2208988800LL);
  EXPECT_EQ(TimeTag::from_time_point(era1).seconds(), 0u);
  EXPECT_EQ(TimeTag::from_time_point(era1).to_time_point(), era1);
  EXPECT_EQ(TimeTag::from_time_point(era1 + hours(24 * 365 * 20)).to_time_point(),
            era1 + hours(24 * 365 * 20));
}

TEST(TimeTagTest, RoundTripsToTheNanosecond) {
  const auto now = system_clock::now();
  for (nanoseconds offset : {nanoseconds(0), nanoseconds(1), nanoseconds(999999999),
                             nanoseconds(123456789), nanoseconds(-1)}) {
    const system_clock::time_point t = now + duration_cast<system_clock::duration>(offset);
    EXPECT_EQ(TimeTag::from_time_point(t).to_time_point(), t) << offset.count();
  }
  const TimeTag a = TimeTag::now();
  const TimeTag b = TimeTag::from_time_point(system_clock::now() + seconds(1));
  EXPECT_LT(a, b);
  EXPECT_FALSE(a.is_immediately());
}

}  // namespace
}  // namespace oscbridge::osc

// Clocks shared by the load tool's threads. Send timestamps are CLOCK_REALTIME
// because the kernel stamps received datagrams (SO_TIMESTAMPNS) on that clock;
// deadlines use CLOCK_MONOTONIC so a clock step cannot stretch a run.
#pragma once

#include <time.h>

#include <cstdint>

namespace oscbridge::load {

inline std::int64_t nanoseconds_of(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

inline std::int64_t realtime_ns() {
  return nanoseconds_of(CLOCK_REALTIME);
}
inline std::int64_t monotonic_ns() {
  return nanoseconds_of(CLOCK_MONOTONIC);
}

}  // namespace oscbridge::load

#include "osc/timetag.h"

namespace oscbridge::osc {

namespace {

// Seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (system_clock's epoch since C++20).
constexpr std::int64_t kNtpToUnixSeconds = 2208988800;
constexpr std::int64_t kEraSeconds = std::int64_t{1} << 32;
constexpr std::uint64_t kNanosPerSecond = 1000000000;

}  // namespace

TimeTag TimeTag::from_time_point(std::chrono::system_clock::time_point time) {
  using std::chrono::nanoseconds;
  const std::int64_t nanos =
      std::chrono::duration_cast<nanoseconds>(time.time_since_epoch()).count();
  std::int64_t unix_seconds = nanos / static_cast<std::int64_t>(kNanosPerSecond);
  std::int64_t sub_nanos = nanos % static_cast<std::int64_t>(kNanosPerSecond);
  if (sub_nanos < 0) {  // floor division for times before 1970
    sub_nanos += kNanosPerSecond;
    unix_seconds -= 1;
  }
  // Round to the nearest 2^-32 s so that a round trip through to_time_point is exact.
  std::uint64_t fraction =
      ((static_cast<std::uint64_t>(sub_nanos) << 32) + kNanosPerSecond / 2) / kNanosPerSecond;
  std::int64_t ntp_seconds = unix_seconds + kNtpToUnixSeconds;
  if (fraction >> 32) {  // rounding carried into the next second
    fraction = 0;
    ntp_seconds += 1;
  }
  // Modulo 2^32: times after 2036 land in NTP era 1, read back by to_time_point's pivot.
  const auto wrapped = static_cast<std::uint32_t>(static_cast<std::uint64_t>(ntp_seconds));
  return TimeTag(wrapped, static_cast<std::uint32_t>(fraction));
}

std::chrono::system_clock::time_point TimeTag::to_time_point() const {
  std::int64_t ntp_seconds = seconds();
  if ((seconds() & 0x80000000u) == 0) ntp_seconds += kEraSeconds;  // era 1: 2036..2104
  const std::int64_t unix_seconds = ntp_seconds - kNtpToUnixSeconds;
  const std::uint64_t sub_nanos =
      (std::uint64_t{fraction()} * kNanosPerSecond + (std::uint64_t{1} << 31)) >> 32;
  const std::chrono::nanoseconds since_epoch =
      std::chrono::seconds(unix_seconds) + std::chrono::nanoseconds(sub_nanos);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
}

}  // namespace oscbridge::osc

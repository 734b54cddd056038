// OSC timetags: the 64-bit NTP format (seconds since 1900-01-01 UTC in the high 32 bits, fraction
// of a second in 2^-32 units in the low 32), with the special value 1 meaning "immediately".
// A TimeTag is a trivially copyable value; every function is pure and thread-safe.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>

namespace oscbridge::osc {

class TimeTag {
 public:
  constexpr TimeTag() = default;  // 1 ("immediately"), the only sensible default for a router
  constexpr explicit TimeTag(std::uint64_t ntp) : ntp_(ntp) {}
  constexpr TimeTag(std::uint32_t seconds, std::uint32_t fraction)
      : ntp_((std::uint64_t{seconds} << 32) | fraction) {}

  static constexpr TimeTag immediately() { return TimeTag(std::uint64_t{1}); }

  // NTP seconds in [2^31, 2^32) are 1968..2036 (era 0); below 2^31 they are read as 2036..2104
  // (era 1), as RFC 4330 section 3 suggests, so that conversion keeps working past 2036.
  static TimeTag from_time_point(std::chrono::system_clock::time_point time);
  static TimeTag now() { return from_time_point(std::chrono::system_clock::now()); }
  // Meaningless for immediately(); check is_immediately() first.
  std::chrono::system_clock::time_point to_time_point() const;

  constexpr std::uint64_t ntp() const { return ntp_; }
  constexpr std::uint32_t seconds() const { return static_cast<std::uint32_t>(ntp_ >> 32); }
  constexpr std::uint32_t fraction() const { return static_cast<std::uint32_t>(ntp_); }
  constexpr bool is_immediately() const { return ntp_ == 1; }

  friend constexpr auto operator<=>(TimeTag, TimeTag) = default;

 private:
  std::uint64_t ntp_ = 1;
};

}  // namespace oscbridge::osc

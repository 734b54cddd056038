// Message rates over the last second and the last minute, for status: a RateSampler is fed the
// counters once a second (the Runtime's loop timer) and keeps, per series (an endpoint or a
// route, by name), a ring of the last kSamples samples, so its memory is bounded by the number
// of endpoints and routes, not by traffic or uptime. The clock is the caller's: tests drive
// sample() with made-up times.
//
// A counter that goes down (an endpoint replaced by a reload starts again at 0) restarts its
// series rather than showing a negative rate. Until a series has two samples its rates are 0;
// until it has a minute of them, the "60 s" rate is over the time it has.
//
// Ownership and threading: a plain value, owned by the Runtime and used on the loop thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace oscbridge::daemon {

// Messages per second.
struct Rate {
  double last_1s = 0;
  double last_60s = 0;
  bool operator==(const Rate&) const = default;
};

struct EndpointRates {
  Rate received, sent, dropped;
};
struct RouteRates {
  Rate matched, sent, dropped;
};

class RateSampler {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kValues = 3;  // e.g. received, sent, dropped
  using Values = std::array<std::uint64_t, kValues>;
  // One a second for a minute, plus the one the minute is measured from.
  static constexpr std::size_t kSamples = 61;

  // Records the values of every series at `now`. A series not in `series` is forgotten.
  void sample(Clock::time_point now, const std::vector<std::pair<std::string, Values>>& series);
  // The rates of one series' values; all 0 for a series never sampled.
  std::array<Rate, kValues> rates(const std::string& key) const;
  std::size_t series_count() const { return series_.size(); }

 private:
  struct Sample {
    Clock::time_point time;
    Values values{};
  };
  struct Ring {
    std::array<Sample, kSamples> samples{};
    std::size_t newest = 0;  // index of the latest sample
    std::size_t count = 0;   // samples held, up to kSamples
    std::uint64_t generation = 0;
    const Sample& back(std::size_t age) const {  // age 0: the newest
      return samples[(newest + kSamples - age) % kSamples];
    }
  };
  std::unordered_map<std::string, Ring> series_;
  std::uint64_t generation_ = 0;
};

}  // namespace oscbridge::daemon

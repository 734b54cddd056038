#include "daemon/rates.h"

namespace oscbridge::daemon {

namespace {

// A sample at most this much older than a minute still measures "the last 60 s": timer rounds
// skipped on a busy loop make the spacing uneven.
constexpr auto kMinute = std::chrono::milliseconds(60'500);

double per_second(std::uint64_t from, std::uint64_t to, RateSampler::Clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  return seconds > 0 ? static_cast<double>(to - from) / seconds : 0.0;
}

}  // namespace

void RateSampler::sample(Clock::time_point now,
                         const std::vector<std::pair<std::string, Values>>& series) {
  ++generation_;
  for (const auto& [key, values] : series) {
    Ring& ring = series_[key];
    bool restart = ring.count == 0 || now <= ring.back(0).time;
    for (std::size_t i = 0; i < kValues && !restart; ++i) {
      restart = values[i] < ring.back(0).values[i];
    }
    if (restart) {
      ring.count = 0;
      ring.newest = kSamples - 1;
    }
    ring.newest = (ring.newest + 1) % kSamples;
    ring.samples[ring.newest] = Sample{now, values};
    if (ring.count < kSamples) ++ring.count;
    ring.generation = generation_;
  }
  std::erase_if(series_, [&](const auto& entry) { return entry.second.generation != generation_; });
}

std::array<Rate, RateSampler::kValues> RateSampler::rates(const std::string& key) const {
  std::array<Rate, kValues> rates{};
  auto found = series_.find(key);
  if (found == series_.end() || found->second.count < 2) return rates;
  const Ring& ring = found->second;
  const Sample& newest = ring.back(0);
  const Sample& previous = ring.back(1);
  // The oldest sample within the last minute.
  std::size_t age = 1;
  while (age + 1 < ring.count && newest.time - ring.back(age + 1).time <= kMinute) ++age;
  const Sample& minute_ago = ring.back(age);
  for (std::size_t i = 0; i < kValues; ++i) {
    rates[i].last_1s =
        per_second(previous.values[i], newest.values[i], newest.time - previous.time);
    rates[i].last_60s =
        per_second(minute_ago.values[i], newest.values[i], newest.time - minute_ago.time);
  }
  return rates;
}

}  // namespace oscbridge::daemon

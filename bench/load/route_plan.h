// The benchmark's routing work, defined once: the oscbridge YAML config, the
// liblo baseline forwarder and the load tool's checks all come from this plan,
// so both routers do identical work and every forwarded message can be checked.
//
// With N routes, the first N/2 are literal (`/track/K/fader` -> `/strip/K/gain`)
// and the rest are patterns (`/bankB/*/fader` -> `/strip/{1}/gain`, the captured
// strip number). No two routes match the same address. Every route turns
// argument 1, a float in 0..1, into an int in 0..127 (rounded), and passes
// arguments 2 and 3 (the sequence number and send timestamp, both `h`) on
// unchanged.
//
// A RoutePlan is immutable once built and safe to share between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace oscbridge::load {

struct RoutePlanOptions {
  std::uint32_t route_count = 100;    // at least 2: one literal, one pattern
  std::uint32_t strips_per_bank = 8;  // distinct captures sent to each pattern route
};

struct PlannedRoute {
  std::string match;    // literal address or OSC pattern
  std::string address;  // output address; `{1}` is the first capture
  bool is_pattern = false;
};

// One address the load tool sends, and what the router must turn it into.
struct PlannedTarget {
  std::string input_address;
  std::string output_address;
};

// The scale every route applies to argument 1, as the YAML writes it.
inline constexpr double kScaleInLow = 0.0;
inline constexpr double kScaleInHigh = 1.0;
inline constexpr double kScaleOutLow = 0.0;
inline constexpr double kScaleOutHigh = 127.0;

class RoutePlan {
 public:
  explicit RoutePlan(RoutePlanOptions options);  // throws std::invalid_argument

  const RoutePlanOptions& options() const { return options_; }
  const std::vector<PlannedRoute>& routes() const { return routes_; }

  // Cycling through the targets by sequence number gives every route the same
  // share of messages, half literal and half pattern.
  const std::vector<PlannedTarget>& targets() const { return targets_; }
  const PlannedTarget& target_for(std::uint64_t sequence) const {
    return targets_[sequence % targets_.size()];
  }

  // Argument 1 of message `sequence`, and the int a correct route makes of it.
  static float input_value(std::uint64_t sequence);
  static std::int32_t expected_output(std::uint64_t sequence);
  static std::int32_t scale(double input);

  // The endpoints of the oscbridge config. udp: `in` listens on IN, `out` is
  // send-only (a `send:` without `listen:`) to OUT. tcp_slip: `in` is a TCP
  // server on IN, `out` a TCP client connecting to OUT, both `framing: slip`.
  enum class Endpoints { udp, tcp_slip };

  // The oscbridge config (DESIGN.md "config/") for this plan, from `in` to `out`.
  std::string to_yaml(std::string_view in, std::string_view out,
                      Endpoints endpoints = Endpoints::udp) const;

 private:
  RoutePlanOptions options_;
  std::vector<PlannedRoute> routes_;
  std::vector<PlannedTarget> targets_;
};

}  // namespace oscbridge::load

// The flow-control stages of a route (config::Route rate, deadband, on_change), each keeping
// its state per destination endpoint and output address in a bounded AddressTable
// (kFlowMaxAddresses per stage, least recently used forgotten: a forgotten address starts
// afresh, its next message passes). A reload builds new stages, so their state starts afresh.
//  - ChangeFilter (on_change, deadband) drops a message equal to (on_change), or whose numeric
//    arguments all lie within the deadband of (deadband), the last one it let through to that
//    address. Triggers, messages with no arguments or only T F N I, always pass.
//  - RateLimit (rate: HZ) lets one message per address through every 1/HZ. One arriving
//    sooner is held, a newer one replaces it (the replaced one counted as `rate`), and the
//    held one leaves when its turn comes, from one loop timer armed for the earliest turn and
//    only while something is held. Addresses never wait for each other.
// A route with both has the filter first: the rate limit only sees values worth sending.
//
// Ownership and threading: owned by the Router (stage.h); loop thread only. Steady state (known
// addresses) allocates nothing per message; arming the timer allocates once per release.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/address_table.h"
#include "daemon/stage.h"
#include "socket/event_loop.h"

namespace oscbridge::daemon {

inline constexpr std::size_t kFlowMaxAddresses = 10'000;

class ChangeFilter final : public Stage {
 public:
  ChangeFilter(bool on_change, std::optional<double> deadband,
               std::size_t capacity = kFlowMaxAddresses);
  bool process(const Outgoing& outgoing) override;

  const AddressTable<std::string>& table() const { return last_; }

 private:
  bool on_change_;
  std::optional<double> deadband_;
  AddressTable<std::string> last_;  // the last message let through, whole
};

class RateLimit final : public Stage {
 public:
  RateLimit(socket::EventLoop& loop, double rate, std::size_t capacity = kFlowMaxAddresses);
  ~RateLimit() override;
  bool process(const Outgoing& outgoing) override;

  std::size_t held() const { return due_.size(); }
  bool timer_armed() const { return timer_ != 0; }
  std::size_t addresses() const { return table_.size(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct State {
    Clock::time_point last_sent{};  // epoch: never sent
    bool held = false;
    std::string message;  // the held message and what came with it
    Origin origin;
    osc::TimeTag time;
    Endpoint* destination = nullptr;
  };
  struct Due {
    Clock::time_point at;
    AddressTable<State>::Slot slot;
    bool operator>(const Due& other) const { return at > other.at; }
  };

  void release_due();
  void arm();

  socket::EventLoop& loop_;
  Clock::duration period_;
  AddressTable<State> table_;
  std::vector<Due> due_;  // a min-heap of the held entries' turns
  socket::EventLoop::TimerId timer_ = 0;
  Clock::time_point timer_at_{};
};

// The stages route asks for, in order (none when it asks for no flow control).
std::vector<std::unique_ptr<Stage>> make_flow_stages(const config::Route& route,
                                                     socket::EventLoop& loop);

}  // namespace oscbridge::daemon

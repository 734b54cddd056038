// Receives what the router forwards and checks every message against the plan.
//
// Lifetime and threads: construct (which binds the socket) on the starting
// thread before any message is sent, call run() on the receiving thread, call
// finish_by() from any thread once sending is over, and read tally() after
// run() has returned. run() returns when every sequence number has arrived or
// the deadline has passed, whichever is first.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "bench/load/loopback.h"
#include "bench/load/route_plan.h"

namespace oscbridge::load {

struct ReceiveTally {
  std::uint64_t received = 0;              // distinct sequence numbers that arrived
  std::uint64_t duplicates = 0;            // a sequence number seen again
  std::uint64_t misrouted = 0;             // arrived with another address than the plan's
  std::uint64_t bad_values = 0;            // argument 1 off the plan's scaled value by more than 1
  std::uint64_t malformed = 0;             // not an OSC message of the expected shape
  std::uint64_t foreign = 0;               // sequence number this run never sent
  std::uint64_t unstamped = 0;             // no kernel arrival time: latency includes read delay
  std::int64_t last_receive_ns = 0;        // CLOCK_REALTIME
  std::vector<std::int64_t> latencies_ns;  // one per received message, arrival order
};

class LoadReceiver {
 public:
  LoadReceiver(const LoopbackEndpoint& listen, const RoutePlan& plan, std::uint64_t message_count);
  LoadReceiver(const LoadReceiver&) = delete;
  LoadReceiver& operator=(const LoadReceiver&) = delete;

  void run();  // throws std::system_error if the socket fails
  void finish_by(std::int64_t deadline_monotonic_ns) { deadline_ns_.store(deadline_monotonic_ns); }
  const ReceiveTally& tally() const { return tally_; }

 private:
  void account(const std::byte* packet, std::size_t size, std::int64_t arrival_ns);

  const RoutePlan& plan_;
  std::uint64_t message_count_;
  UdpSocket socket_;
  std::atomic<std::int64_t> deadline_ns_;
  std::vector<bool> seen_;
  ReceiveTally tally_;
};

}  // namespace oscbridge::load

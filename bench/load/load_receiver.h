// Receives what the router forwards and checks every message against the plan.
//
// Lifetime and threads: construct (which binds the socket) on the starting
// thread before any message is sent, call run() on the receiving thread, call
// finish_by() from any thread once sending is over, and read tally() after
// run() has returned. run() returns when every sequence number has arrived or
// the deadline has passed, whichever is first.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
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

// What a correct router sends for message n: the plan's routed message (the
// output address, argument 1 scaled), or the message exactly as it was sent
// (the raw forwarder, which does no routing).
enum class Expectation { routed, unchanged };

// Checks each forwarded packet against the plan and keeps the tally; shared by
// the UDP and the TCP receivers. Used by one thread.
class ForwardChecker {
 public:
  ForwardChecker(const RoutePlan& plan, std::uint64_t message_count, Expectation expectation);

  void account(std::span<const std::byte> packet, std::int64_t arrival_ns);
  bool complete() const { return tally_.received >= message_count_; }
  ReceiveTally& tally() { return tally_; }
  const ReceiveTally& tally() const { return tally_; }

 private:
  const RoutePlan& plan_;
  std::uint64_t message_count_;
  Expectation expectation_;
  std::vector<bool> seen_;
  ReceiveTally tally_;
};

// The arrival time the kernel recorded in a received message's control data
// (SO_TIMESTAMPNS), or 0 if it recorded none.
std::int64_t kernel_timestamp(msghdr& header);

class LoadReceiver {
 public:
  LoadReceiver(const LoopbackEndpoint& listen, const RoutePlan& plan, std::uint64_t message_count,
               Expectation expectation = Expectation::routed);
  LoadReceiver(const LoadReceiver&) = delete;
  LoadReceiver& operator=(const LoadReceiver&) = delete;

  void run();  // throws std::system_error if the socket fails
  void finish_by(std::int64_t deadline_monotonic_ns) { deadline_ns_.store(deadline_monotonic_ns); }
  const ReceiveTally& tally() const { return checker_.tally(); }

 private:
  ForwardChecker checker_;
  UdpSocket socket_;
  std::atomic<std::int64_t> deadline_ns_;
};

}  // namespace oscbridge::load

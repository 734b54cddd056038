// One load run: a receiver thread listens for what the router forwards while
// the calling thread sends the plan's messages at a fixed rate, then waits up
// to the drain time for stragglers. Bounded: it returns after
// count / rate + drain seconds at most (plus one receive poll).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "bench/load/load_receiver.h"
#include "bench/load/loopback.h"
#include "bench/load/route_plan.h"

namespace oscbridge::load {

// How messages travel to the router and back: UDP datagrams, or one TCP
// connection each way with SLIP framing (the tool connects to the router's
// listen port and is the TCP server the router connects to).
enum class Transport { udp, tcp_slip };

struct LoadOptions {
  Transport transport = Transport::udp;
  Expectation expectation = Expectation::routed;
  LoopbackEndpoint target;  // the router's listen address
  LoopbackEndpoint listen;  // where the router forwards to
  double rate = 10000;      // messages per second
  std::uint64_t count = 50000;
  std::chrono::milliseconds drain{1000};
  unsigned batch_size = 64;             // most messages per sendmmsg
  std::chrono::microseconds tick{100};  // the sender wakes at most once per tick
  // TCP: how long the router may take to connect to `listen`.
  std::chrono::milliseconds connect_timeout{5000};
};

struct LoadReport {
  double offered_rate = 0;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t misrouted = 0;
  std::uint64_t bad_values = 0;
  std::uint64_t malformed = 0;
  std::uint64_t foreign = 0;
  std::uint64_t unstamped = 0;      // arrivals timed by the reader, not the kernel
  std::uint64_t reconnections = 0;  // TCP: connections from the router after the first
  double send_seconds = 0;
  double send_rate = 0;      // sent / send_seconds
  double achieved_rate = 0;  // received / (first send to last arrival)
  double loss_percent = 0;
  double tool_cpu_seconds = 0;  // this process, both threads: is the tool the bottleneck?
  double p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;

  // Messages that arrived but were not what the plan says the router must send.
  std::uint64_t wrong() const { return duplicates + misrouted + bad_values + malformed + foreign; }
  std::string summary_line() const;  // key=value ..., for scripts
  std::string table() const;         // for people
};

LoadReport run_load(const LoadOptions& options, const RoutePlan& plan);

}  // namespace oscbridge::load

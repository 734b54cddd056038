// Sends the plan's messages to the router at a steady rate, in sendmmsg batches.
//
// The sender wakes at most once per tick and sends everything that is due by
// then, never anything ahead of schedule: at rates below one message per tick
// each message leaves on time, above it messages leave in bursts of
// rate x tick. Waking per message would cost the measuring side more CPU than
// the router it measures on a small machine (a wakeup is several microseconds).
// Each message carries its sequence number and the CLOCK_REALTIME time its
// batch was handed to the kernel.
// One LoadSender is used by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "bench/load/load_codec.h"
#include "bench/load/loopback.h"
#include "bench/load/route_plan.h"

namespace oscbridge::load {

struct SendSummary {
  std::uint64_t sent = 0;
  std::int64_t first_send_ns = 0;  // CLOCK_REALTIME
  double seconds = 0;              // first to last batch
};

class LoadSender {
 public:
  LoadSender(const LoopbackEndpoint& target, const RoutePlan& plan, unsigned batch_size,
             std::chrono::microseconds tick);
  LoadSender(const LoadSender&) = delete;
  LoadSender& operator=(const LoadSender&) = delete;

  // Sends sequence numbers 0..count-1 at `rate` messages per second.
  // Throws std::system_error if the socket fails.
  SendSummary run(double rate, std::uint64_t count);

 private:
  LoopbackEndpoint target_;
  unsigned batch_size_;
  std::int64_t tick_ns_;
  UdpSocket socket_;
  std::vector<LoadMessageTemplate> templates_;  // one per plan target
};

}  // namespace oscbridge::load

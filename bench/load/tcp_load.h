// The load tool's TCP side, with SLIP framing (OSC 1.1): a sender that
// connects to the router's TCP listen port and writes the plan's messages at a
// fixed rate, and a receiver that is the TCP server the router connects to and
// checks every message it forwards.
//
// Same pacing and checks as the UDP LoadSender and LoadReceiver: the sender
// wakes at most once per tick and writes everything due by then (at most
// batch_size messages per write, TCP_NODELAY so nothing waits for Nagle); the
// receiver checks each packet with a ForwardChecker.
//
// Arrival time: TCP has no datagrams, so each read is stamped with the kernel's
// arrival time of the last segment it consumed (SO_TIMESTAMPNS on a TCP socket)
// and every message completed by that read gets that stamp, an upper bound of
// its own arrival. The receiver therefore reads as soon as data is there (no
// gathering pause as in the UDP receiver), which costs the measuring side a
// wakeup per read.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "bench/load/load_codec.h"
#include "bench/load/load_receiver.h"
#include "bench/load/load_sender.h"
#include "bench/load/loopback.h"
#include "bench/load/route_plan.h"
#include "bench/load/slip_frames.h"

namespace oscbridge::load {

// A file descriptor closed on destruction.
class OwnedFd {
 public:
  OwnedFd() = default;
  explicit OwnedFd(int fd) : fd_(fd) {}
  ~OwnedFd();
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  OwnedFd& operator=(OwnedFd&& other) noexcept;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset();

 private:
  int fd_ = -1;
};

class SlipLoadSender {
 public:
  // Connects to the router at `target` (throws std::system_error if it cannot).
  SlipLoadSender(const LoopbackEndpoint& target, const RoutePlan& plan, unsigned batch_size,
                 std::chrono::microseconds tick);
  SlipLoadSender(const SlipLoadSender&) = delete;
  SlipLoadSender& operator=(const SlipLoadSender&) = delete;

  // Sends sequence numbers 0..count-1 at `rate` messages per second. A write
  // the router does not take within kStallSeconds throws std::runtime_error,
  // so a router that stops reading cannot hang the run.
  SendSummary run(double rate, std::uint64_t count);

  static constexpr int kStallSeconds = 10;

 private:
  void write_all(const std::vector<std::byte>& bytes);

  LoopbackEndpoint target_;
  unsigned batch_size_;
  std::int64_t tick_ns_;
  OwnedFd socket_;
  std::vector<LoadMessageTemplate> templates_;
};

class SlipLoadReceiver {
 public:
  // Listens on `listen` (SO_REUSEADDR, so that runs can follow one another on
  // one port).
  SlipLoadReceiver(const LoopbackEndpoint& listen, const RoutePlan& plan,
                   std::uint64_t message_count, Expectation expectation);
  SlipLoadReceiver(const SlipLoadReceiver&) = delete;
  SlipLoadReceiver& operator=(const SlipLoadReceiver&) = delete;

  // Waits for the router to connect; throws std::runtime_error after `timeout`.
  void accept_router(std::chrono::milliseconds timeout);
  // Reads until every message arrived or the deadline passed. Accepts a new
  // connection if the router reconnects (counted in reconnections()); a frame
  // cut short by a lost connection counts as malformed.
  void run();
  void finish_by(std::int64_t deadline_monotonic_ns) { deadline_ns_.store(deadline_monotonic_ns); }
  const ReceiveTally& tally() const { return checker_.tally(); }
  std::uint64_t reconnections() const { return accepted_ > 0 ? accepted_ - 1 : 0; }

 private:
  bool accept_one();  // false when no connection was pending
  void read_available();

  ForwardChecker checker_;
  OwnedFd listener_;
  OwnedFd connection_;
  SlipDeframer deframer_;
  std::atomic<std::int64_t> deadline_ns_;
  std::uint64_t accepted_ = 0;
  std::vector<std::byte> buffer_;
};

}  // namespace oscbridge::load

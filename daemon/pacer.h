// Send pacing (`pace: HZ` on an endpoint): at most HZ messages per second leave the endpoint,
// so a burst (a console's 5,000-message dump on connect, a show file recalled at once) is
// spread out instead of overflowing the receiver.
//
// Pacer is the bookkeeping, with time given by the caller (tests drive it): a cell-rate
// schedule (GCRA) that lets a burst of max(1, HZ/100) messages (10 ms worth) go at once and
// then one message per 1/HZ. A packet that may not leave yet waits in a bounded FIFO
// (pace_queue messages; a bundle counts its messages) and everything after it waits behind
// it, so order is kept. When the queue is full the new packet is refused (the endpoint counts
// it as pace_full). The queue reuses its slots, from the first each time it has emptied: once
// it has held as many packets of a size, queueing allocates nothing.
//
// PacedOutput puts a Pacer in front of an Endpoint's send(): packets that must wait are
// released from one loop timer, armed only while something waits, for the moment a whole
// burst (or everything waiting, if less) may go.
//
// Ownership and threading: PacedOutput belongs to its Endpoint and cancels its timer when
// destroyed; loop thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/endpoint.h"
#include "socket/event_loop.h"

namespace oscbridge::daemon {

class Pacer {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Admit {
    now,     // the packet may leave at once: the caller sends it
    queued,  // a copy waits for its turn (release())
    full,    // the queue has no room for it: dropped
  };

  Pacer(double hz, std::size_t max_messages);
  Pacer(const Pacer&) = delete;
  Pacer& operator=(const Pacer&) = delete;

  // A packet wants to leave at now.
  Admit admit(const OutgoingPacket& packet, Clock::time_point now);
  // Hands every waiting packet whose turn has come by now to send(const OutgoingPacket&), in
  // the order they came. The packet's bytes are valid only during the call.
  template <class Send>
  void release(Clock::time_point now, Send&& send) {
    while (count_ > 0 && may_leave(slots_[head_].messages, now, true)) {
      Slot& slot = slots_[head_];
      leave(slot.messages, now, true);
      head_ = (head_ + 1) % slots_.size();
      --count_;
      queued_messages_ -= slot.messages;
      send(OutgoingPacket{slot.bytes, slot.messages, slot.has_origin ? &slot.origin : nullptr});
    }
    if (count_ == 0) head_ = 0;  // the next burst reuses the slots this one warmed
  }
  // Hands every waiting packet to send() at once, whatever the schedule (pacing turned off).
  template <class Send>
  void drain(Send&& send) {
    while (count_ > 0) {
      Slot& slot = slots_[head_];
      head_ = (head_ + 1) % slots_.size();
      --count_;
      queued_messages_ -= slot.messages;
      send(OutgoingPacket{slot.bytes, slot.messages, slot.has_origin ? &slot.origin : nullptr});
    }
    head_ = 0;
  }
  // When the timer should wake release(): the moment a whole burst, or everything waiting if
  // less, may leave. nullopt when nothing waits.
  std::optional<Clock::time_point> next_release() const;

  // A reload changed pace or pace_queue: the new rate applies from now on; packets already
  // waiting stay even beyond a smaller queue.
  void set_limits(double hz, std::size_t max_messages);

  std::size_t queued_packets() const { return count_; }
  std::size_t queued_messages() const { return queued_messages_; }
  std::size_t burst() const { return burst_; }
  Clock::duration period() const { return period_; }

 private:
  struct Slot {
    std::string bytes;
    std::size_t messages = 1;
    Origin origin;
    bool has_origin = false;
  };

  bool may_leave(std::size_t messages, Clock::time_point now, bool draining) const;
  void leave(std::size_t messages, Clock::time_point now, bool draining);
  // Where the schedule stands at now: the theoretical time the last message left, no earlier
  // than now when the queue was idle, and no earlier than one burst behind now while it
  // drains (a timer that fired late catches up by at most one burst).
  Clock::time_point start(Clock::time_point now, bool draining) const;

  Clock::duration period_;
  std::size_t burst_;
  std::size_t max_messages_;
  Clock::time_point tat_{};  // theoretical arrival time of the next message (GCRA)
  std::vector<Slot> slots_;  // a ring: count_ packets from head_
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t queued_messages_ = 0;
};

class PacedOutput {
 public:
  PacedOutput(socket::EventLoop& loop, Endpoint& endpoint, double hz, std::size_t max_messages);
  ~PacedOutput();
  PacedOutput(const PacedOutput&) = delete;
  PacedOutput& operator=(const PacedOutput&) = delete;

  // Sends packet through endpoint.send() now or when its turn comes. Returns whether it was
  // sent now and taken, or queued; false when the queue is full (counted as pace_full).
  bool submit(const OutgoingPacket& packet);
  void set_limits(double hz, std::size_t max_messages);
  // Sends everything still waiting now (pacing turned off by a reload).
  void flush();

  const Pacer& pacer() const { return pacer_; }

 private:
  void on_timer();
  void arm();

  socket::EventLoop& loop_;
  Endpoint& endpoint_;
  Pacer pacer_;
  socket::EventLoop::TimerId timer_ = 0;
};

}  // namespace oscbridge::daemon

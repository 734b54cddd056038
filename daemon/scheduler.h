// Scheduled bundles (`schedule: true` on an endpoint): a bundle that arrives with a timetag in
// the future is held and routed when it is due, as if it had arrived then, from the same
// endpoint and peer. ScheduleQueue is the bounded store (a min-heap of slots by due time, ties
// in arrival order); Scheduler puts it on the loop: one timerfd (CLOCK_REALTIME, absolute, as
// timetags are wall-clock time) armed for the earliest bundle, never a thread or a timer per
// bundle. A wall-clock step re-reads the heap (TFD_TIMER_CANCEL_ON_SET).
//
// Bounds: at most `capacity` bundles and kMaxHeldBytes bytes held; a bundle that does not fit
// is refused (the router drops it as schedule_full). Slots are made on first use and reused:
// holding and releasing bundles of up to kSlotBytes allocates nothing in steady state; a
// larger bundle's buffer is given back when it leaves, so memory stays within the bounds.
//
// Ownership and threading: the Endpoint that receives the bundles owns its Scheduler, so held
// bundles live and die with their origin endpoint (a reload that keeps the endpoint keeps them
// and routes them through the new routes; one that removes it drops them). Loop thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/endpoint.h"
#include "osc/timetag.h"
#include "socket/event_loop.h"

namespace oscbridge::daemon {

class ScheduleQueue {
 public:
  using Time = std::chrono::system_clock::time_point;
  static constexpr std::size_t kSlotBytes = 512;                 // reserved per slot
  static constexpr std::size_t kMaxHeldBytes = 4 * 1024 * 1024;  // all bundles held together

  explicit ScheduleQueue(std::size_t capacity);
  ScheduleQueue(const ScheduleQueue&) = delete;
  ScheduleQueue& operator=(const ScheduleQueue&) = delete;

  // Holds a copy of packet and origin until due. False: full (count or bytes), nothing kept.
  bool push(Time due, const Origin& origin, std::string_view packet);
  // The due time of the earliest bundle held.
  std::optional<Time> earliest() const;
  // Hands every bundle due at or before now, earliest first, to release(origin, packet), and
  // forgets it afterwards. release may push() (a bundle routed again); returns how many left.
  std::size_t release_due(Time now,
                          const std::function<void(const Origin&, std::string_view)>& release);

  // A new bound; bundles already held over it stay until due.
  void set_capacity(std::size_t capacity) { capacity_ = capacity; }
  std::size_t size() const { return heap_.size(); }
  std::size_t capacity() const { return capacity_; }
  std::size_t held_bytes() const { return held_bytes_; }

 private:
  struct Slot {
    Time due{};
    std::uint64_t sequence = 0;  // arrival order, so that equal timetags keep it
    Origin origin{};
    std::string packet;
  };
  bool later(std::uint32_t a, std::uint32_t b) const;  // heap order: earliest on top

  std::size_t capacity_;
  std::vector<Slot> slots_;          // grows to the most ever held at once, up to capacity
  std::vector<std::uint32_t> heap_;  // slot indices
  std::vector<std::uint32_t> free_;  // slot indices not in use
  std::uint64_t next_sequence_ = 0;
  std::size_t held_bytes_ = 0;
};

class Scheduler {
 public:
  using Time = ScheduleQueue::Time;
  using Release = std::function<void(const Origin& origin, std::string_view packet)>;
  enum class Decision {
    now,      // not a bundle, immediately, or due already: route it now
    too_far,  // due more than `max_ahead` from now: route it now, counted
    held,     // held until due
    full,     // future, but the queue is full: drop it (schedule_full)
  };

  // release routes a bundle when it is due (the endpoint's on_packet).
  Scheduler(socket::EventLoop& loop, std::size_t capacity, Release release);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Decides what to do with a packet that arrived now, and holds it when it is a bundle due
  // within max_ahead.
  Decision offer(const Origin& origin, std::string_view packet, Time now,
                 std::chrono::milliseconds max_ahead);

  ScheduleQueue& queue() { return queue_; }

 private:
  void arm();
  void fire();

  socket::EventLoop& loop_;
  ScheduleQueue queue_;
  Release release_;
  int timer_fd_ = -1;
  socket::IoWatch watch_;
  std::optional<Time> armed_for_;
};

// The timetag of a bundle packet ("#bundle\0" + 8 bytes), or nullopt for anything else.
std::optional<osc::TimeTag> bundle_time(std::string_view packet);

}  // namespace oscbridge::daemon

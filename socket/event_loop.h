// EventLoop: one thread, one epoll set, a wakeup eventfd and a timerfd-driven timer queue.
// Servers, connections and the daemon register descriptors with it; their callbacks all run
// on its thread, so what they share needs no locks. Other threads hand work over with post()
// (unbounded, for control work) or a BoundedQueue (socket/bounded_queue.h, for traffic).
//
// No callback can end the loop: an exception escaping a handler, task or timer is reported
// through the error reporter and counted (callback_failures()), and the loop keeps serving;
// a failing epoll_wait is reported and retried.
//
// Ownership: the loop owns its thread and its epoll/eventfd/timerfd descriptors; it never
// owns the descriptors it watches. The thread starts in the constructor and is joined by the
// destructor (or by stop() from another thread). Whoever watches a descriptor must unwatch
// it (or drop its IoWatch) before closing it and before the loop is destroyed.
//
// Threading: post(), run_sync(), stop(), in_loop_thread(), callback_failures() and
// set_error_reporter() are safe from any thread. watch/modify/unwatch, defer and the timer
// calls must be made on the loop thread (from a callback, or inside post()/run_sync()).
// Idle, the loop sleeps in epoll_wait: no polling, timers or not.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <system_error>

namespace oscbridge::socket {

// The name every loop thread carries (comm, as ps -L and top -H show it).
inline constexpr const char* kLoopThreadName = "oscbridge-loop";

class EventLoop {
 public:
  using IoHandler = std::function<void(std::uint32_t epoll_events)>;
  using Task = std::function<void()>;
  using TimerId = std::uint64_t;  // never 0, never reused
  using ErrorReporter = std::function<void(std::string_view message)>;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Queues task to run on the loop thread, in posting order, and wakes the loop.
  // Tasks posted after stop() never run.
  void post(Task task);

  // Runs task on the loop thread and waits for it; runs it at once when called on the
  // loop thread or after the loop has stopped.
  void run_sync(const Task& task);

  bool in_loop_thread() const;

  // Ends the loop thread after the current callback; joins it unless called on it.
  void stop();

  // Where contained failures (a throwing callback, an epoll error) are reported; by default
  // to stderr. The reporter runs on the loop thread and must not throw.
  void set_error_reporter(ErrorReporter reporter);
  std::uint64_t callback_failures() const;

  // Loop thread only. The handler gets the epoll event mask (EPOLLIN, EPOLLOUT, ...).
  // A handler removed while events are being dispatched is not called again.
  // watch() returns the system's error when epoll refuses the descriptor.
  std::error_code watch(int fd, std::uint32_t epoll_events, IoHandler handler);
  void modify(int fd, std::uint32_t epoll_events);
  void unwatch(int fd);

  // Loop thread only. Runs task once the I/O handlers of the current round have run, before
  // the loop sleeps again: the place to flush work batched across one round (sendmmsg).
  void defer(Task task);

  // Loop thread only. When the current round began (epoll_wait returned): a "now" for
  // bookkeeping that tolerates being a round late (duplicate and loop windows of many
  // milliseconds), so that a busy handler need not read the clock for every datagram.
  std::chrono::steady_clock::time_point round_started() const;

  // Loop thread only. Timers on one timerfd (CLOCK_MONOTONIC, sub-millisecond). A one-shot
  // timer fires once after delay; a periodic one every interval, each due time computed from
  // the previous due time (no drift; rounds missed while the loop was busy are skipped, not
  // run in a burst). A periodic timer allocates nothing when it fires. cancel() of a fired or
  // unknown id is a no-op, and works from inside the timer's own callback.
  TimerId run_after(std::chrono::nanoseconds delay, Task task);
  TimerId run_after(std::int64_t delay_ms, Task task) {
    return run_after(std::chrono::milliseconds(delay_ms), std::move(task));
  }
  TimerId run_every(std::chrono::nanoseconds interval, Task task);
  void cancel(TimerId id);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Runs a task once at the end of the loop round in which schedule() was called, however often
// it was called in that round: the flush of work batched across a round (a sendmmsg, one
// write). Destroying it cancels a pending run. Scheduling allocates nothing (the deferred
// call holds one raw pointer, which std::function stores inline). Loop thread only.
class RoundEndTask {
 public:
  RoundEndTask(EventLoop& loop, std::function<void()> task);
  ~RoundEndTask();
  RoundEndTask(const RoundEndTask&) = delete;
  RoundEndTask& operator=(const RoundEndTask&) = delete;

  void schedule();
  bool scheduled() const { return slot_->scheduled; }

 private:
  // Outlives the task when the task is destroyed with a run pending: the deferred call finds
  // owner null and frees the slot.
  struct Slot {
    RoundEndTask* owner;
    bool scheduled = false;
  };
  EventLoop& loop_;
  std::function<void()> task_;
  Slot* slot_;
};

// Watches one descriptor for as long as it lives (RAII over watch/unwatch), so owners say
// what they want to hear about instead of handling epoll masks. Loop thread only; movable.
class IoWatch {
 public:
  enum Interest : unsigned { readable = 1, writable = 2 };
  struct Ready {
    bool readable = false;
    bool writable = false;
    bool hangup = false;  // the peer closed (or half-closed) or the descriptor failed
  };
  using Handler = std::function<void(Ready)>;

  IoWatch() = default;
  // Watches fd for interest (readable | writable). Check error() for a refusal.
  IoWatch(EventLoop& loop, int fd, unsigned interest, Handler handler);
  ~IoWatch();
  IoWatch(IoWatch&& other) noexcept;
  IoWatch& operator=(IoWatch&& other) noexcept;
  IoWatch(const IoWatch&) = delete;
  IoWatch& operator=(const IoWatch&) = delete;

  bool active() const { return loop_ != nullptr; }
  std::error_code error() const { return error_; }
  void set_interest(unsigned interest);
  void reset();  // stops watching; the descriptor stays open

 private:
  EventLoop* loop_ = nullptr;
  int fd_ = -1;
  unsigned interest_ = 0;
  std::error_code error_;
};

}  // namespace oscbridge::socket

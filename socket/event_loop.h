// EventLoop: one thread, one epoll set, a wakeup eventfd and a timer queue. Servers (and
// the daemon) register descriptors with it; their callbacks all run on its thread, so
// what they share needs no locks. Other threads hand work over with post().
//
// Ownership: the loop owns its thread and its epoll/eventfd descriptors; it never owns
// the descriptors it watches. The thread starts in the constructor and is joined by the
// destructor (or by stop() from another thread). Whoever watches a descriptor must
// unwatch it before closing it and before the loop is destroyed.
//
// Threading: post(), run_sync(), stop() and in_loop_thread() are safe from any thread.
// watch/modify/unwatch and the timer calls must be made on the loop thread (from a
// callback, or inside post()/run_sync()). Idle, the loop sleeps in epoll_wait.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace oscbridge::socket {

class EventLoop {
 public:
  using IoHandler = std::function<void(std::uint32_t epoll_events)>;
  using Task = std::function<void()>;
  using TimerId = std::uint64_t;

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

  // Loop thread only. The handler gets the epoll event mask (EPOLLIN, EPOLLOUT, ...).
  // A handler removed while events are being dispatched is not called again.
  void watch(int fd, std::uint32_t epoll_events, IoHandler handler);
  void modify(int fd, std::uint32_t epoll_events);
  void unwatch(int fd);

  // Loop thread only. Runs task once the I/O handlers of the current round have run, before
  // the loop sleeps again: the place to flush work batched across one round (sendmmsg).
  void defer(Task task);

  // Loop thread only. One-shot timers; cancel() of a fired or unknown id is a no-op.
  TimerId run_after(std::int64_t delay_ms, Task task);
  void cancel(TimerId id);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace oscbridge::socket

// BoundedQueue<T>: hands values from other threads (MIDI input callbacks, an HTTP server, a
// resolver) to a consumer on an EventLoop's thread. push() never blocks and never allocates
// beyond T's own copy: the ring is allocated once at construction, and a full ring refuses the
// value and counts it (the caller's drop, never a stall). One eventfd wakes the loop, once per
// burst rather than once per value; the consumer drains everything pending in one go.
//
// Ownership: created and destroyed on the loop thread (it watches its eventfd there); every
// producer must have stopped pushing before destruction. Threading: push(), refused() and
// capacity() from any thread; the consumer runs on the loop thread.
#pragma once

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include "socket/event_loop.h"

namespace oscbridge::socket {

template <class T>
class BoundedQueue {
 public:
  using Consumer = std::function<void(T& value)>;

  BoundedQueue(EventLoop& loop, std::size_t capacity, Consumer consumer)
      : loop_(loop),
        consumer_(std::move(consumer)),
        ring_(capacity == 0 ? 1 : capacity),
        draining_(ring_.size()) {
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    if (auto error = loop_.watch(wake_fd_, EPOLLIN, [this](std::uint32_t) { drain(); })) {
      ::close(wake_fd_);
      throw std::system_error(error, "epoll_ctl");
    }
  }
  ~BoundedQueue() {
    loop_.unwatch(wake_fd_);
    ::close(wake_fd_);
  }
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  // Any thread. False when the ring is full: the value is dropped and counted.
  bool push(T value) {
    bool was_empty;
    {
      std::lock_guard lock(mutex_);
      if (size_ == ring_.size()) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
      ring_[(head_ + size_) % ring_.size()] = std::move(value);
      was_empty = size_++ == 0;
    }
    // Only the push that found the ring empty wakes the loop: the drain takes all the rest.
    if (was_empty) {
      std::uint64_t one = 1;
      [[maybe_unused]] ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
    }
    return true;
  }

  std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return ring_.size(); }

 private:
  void drain() {
    std::uint64_t count;
    [[maybe_unused]] ssize_t ignored = ::read(wake_fd_, &count, sizeof count);
    std::size_t taken = 0;
    {
      // Moved out under the lock and consumed outside it, so producers never wait for the
      // consumer; both vectors keep their slots, so draining allocates nothing either.
      std::lock_guard lock(mutex_);
      for (; size_ > 0; --size_, ++taken) {
        draining_[taken] = std::move(ring_[head_]);
        head_ = (head_ + 1) % ring_.size();
      }
    }
    for (std::size_t i = 0; i < taken; ++i) consumer_(draining_[i]);
  }

  EventLoop& loop_;
  Consumer consumer_;
  int wake_fd_ = -1;
  std::mutex mutex_;
  std::vector<T> ring_;      // guarded by mutex_
  std::size_t head_ = 0;     // guarded by mutex_
  std::size_t size_ = 0;     // guarded by mutex_
  std::vector<T> draining_;  // loop thread only
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace oscbridge::socket

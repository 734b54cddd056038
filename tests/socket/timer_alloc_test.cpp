// A periodic timer allocates nothing when it fires, and neither does scheduling a
// RoundEndTask: the loop thread's allocations are counted (tests/support/allocation_counter.h,
// which needs an executable of its own) across many ticks of a timer that keeps running and
// flushes at the end of each round, as a rate limiter or a batching endpoint would.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "socket/event_loop.h"
#include "tests/support/allocation_counter.h"

namespace oscbridge::socket {
namespace {

TEST(TimerAllocationTest, APeriodicTimerFiringAllocatesNothing) {
  EventLoop loop;
  constexpr int kWarmUp = 5;
  constexpr int kCounted = 100;
  std::optional<test::Counting> counting;  // lives on the loop thread's ticks only
  int ticks = 0;
  std::atomic<long> allocations{-1};
  EventLoop::TimerId id = 0;
  int flushes = 0;
  std::optional<RoundEndTask> flush;  // loop thread only: made and destroyed there
  loop.run_sync([&] {
    flush.emplace(loop, [&] { ++flushes; });
    // A second, one-shot timer far away keeps the queue from being trivially small.
    loop.run_after(std::chrono::hours(1), [] {});
    id = loop.run_every(std::chrono::microseconds(200), [&] {
      ++ticks;
      flush->schedule();
      if (ticks == kWarmUp) counting.emplace();
      if (ticks == kWarmUp + kCounted) {
        allocations = counting->count();
        counting.reset();
      }
    });
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (allocations < 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  loop.run_sync([&] {
    loop.cancel(id);
    flush.reset();
  });
  EXPECT_GE(flushes, kWarmUp + kCounted - 1);
  EXPECT_EQ(allocations.load(), 0)
      << "allocations on the loop thread over " << kCounted << " ticks of a periodic timer";
}

}  // namespace
}  // namespace oscbridge::socket

// EventLoop on its own and shared by several servers.
#include "socket/event_loop.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "socket/bounded_queue.h"
#include "socket/socket.h"

namespace oscbridge::socket {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(EventLoopTest, PostedTasksRunOnTheLoopThreadInOrder) {
  EventLoop loop;
  std::vector<int> order;
  std::promise<std::thread::id> ran_on;
  for (int i = 0; i < 100; ++i) loop.post([&order, i] { order.push_back(i); });
  loop.post([&] { ran_on.set_value(std::this_thread::get_id()); });
  auto id = ran_on.get_future().get();
  EXPECT_NE(id, std::this_thread::get_id());
  loop.run_sync([&] {
    EXPECT_TRUE(loop.in_loop_thread());
    ASSERT_EQ(order.size(), 100u);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
  });
  EXPECT_FALSE(loop.in_loop_thread());
}

TEST(EventLoopTest, PostFromAnotherThreadWakesASleepingLoop) {
  EventLoop loop;
  std::this_thread::sleep_for(100ms);  // the loop is asleep in epoll_wait with no timers
  auto start = Clock::now();
  std::promise<void> done;
  std::thread poster([&] { loop.post([&] { done.set_value(); }); });
  EXPECT_EQ(done.get_future().wait_for(1s), std::future_status::ready);
  poster.join();
  EXPECT_LT(Clock::now() - start, 500ms);
}

TEST(EventLoopTest, RunSyncInsideTheLoopRunsInline) {
  EventLoop loop;
  int depth = 0;
  loop.run_sync([&] { loop.run_sync([&] { depth = 2; }); });
  EXPECT_EQ(depth, 2);
}

TEST(EventLoopTest, TimersFireInDueOrderAndCanBeCancelled) {
  EventLoop loop;
  std::mutex mutex;
  std::vector<int> fired;
  std::promise<void> last;
  loop.run_sync([&] {
    loop.run_after(120, [&] {
      std::lock_guard lock(mutex);
      fired.push_back(3);
      last.set_value();
    });
    loop.run_after(20, [&] {
      std::lock_guard lock(mutex);
      fired.push_back(1);
    });
    auto cancelled = loop.run_after(60, [&] {
      std::lock_guard lock(mutex);
      fired.push_back(2);
    });
    loop.cancel(cancelled);
    loop.cancel(cancelled);  // twice is a no-op
  });
  auto start = Clock::now();
  ASSERT_EQ(last.get_future().wait_for(2s), std::future_status::ready);
  EXPECT_GE(Clock::now() - start, 90ms);
  std::lock_guard lock(mutex);
  EXPECT_EQ(fired, (std::vector<int>{1, 3}));
}

TEST(EventLoopTest, WatchedDescriptorsDispatchAndUnwatchInsideAHandlerIsSafe) {
  EventLoop loop;
  int first = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  int second = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  std::atomic<int> first_calls{0}, second_calls{0};
  loop.run_sync([&] {
    // Each handler removes both watches: whichever runs first, the other must not run.
    auto remove_both = [&loop, first, second] {
      loop.unwatch(first);
      loop.unwatch(second);
    };
    loop.watch(first, EPOLLIN, [&first_calls, remove_both](std::uint32_t) {
      ++first_calls;
      remove_both();
    });
    loop.watch(second, EPOLLIN, [&second_calls, remove_both](std::uint32_t) {
      ++second_calls;
      remove_both();
    });
  });
  std::uint64_t one = 1;
  loop.run_sync([&] {
    // Both become readable before the loop next waits, so both arrive in one batch.
    ASSERT_EQ(::write(first, &one, sizeof one), 8);
    ASSERT_EQ(::write(second, &one, sizeof one), 8);
  });
  std::this_thread::sleep_for(100ms);
  loop.run_sync([] {});
  EXPECT_EQ(first_calls + second_calls, 1);
  ::close(first);
  ::close(second);
}

// Handlers of one round share its start time however long they take; the next round has its own.
TEST(EventLoopTest, RoundStartedIsOneTimeForEveryHandlerOfTheRound) {
  EventLoop loop;
  int first = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  int second = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Clock::time_point> seen;  // round_started() per handler call
  auto wait_for_calls = [&](std::size_t calls) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, [&] { return seen.size() >= calls; });
  };
  auto handler = [&](int fd) {
    return [&, fd](std::uint32_t) {
      std::uint64_t value;
      ASSERT_EQ(::read(fd, &value, sizeof value), 8);
      {
        std::lock_guard lock(mutex);
        seen.push_back(loop.round_started());
      }
      // A slow handler: the clock moves on, the round's time does not.
      const auto until = Clock::now() + 20ms;
      while (Clock::now() < until) {
      }
      changed.notify_all();
    };
  };
  loop.run_sync([&] {
    loop.watch(first, EPOLLIN, handler(first));
    loop.watch(second, EPOLLIN, handler(second));
  });
  std::uint64_t one = 1;
  const auto before = Clock::now();
  loop.run_sync([&] {
    // Both readable before the loop next waits: one round.
    ASSERT_EQ(::write(first, &one, sizeof one), 8);
    ASSERT_EQ(::write(second, &one, sizeof one), 8);
  });
  ASSERT_TRUE(wait_for_calls(2));
  const auto later = Clock::now();
  ASSERT_EQ(::write(first, &one, sizeof one), 8);
  ASSERT_TRUE(wait_for_calls(3));
  loop.run_sync([&] {
    loop.unwatch(first);
    loop.unwatch(second);
  });
  std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_GE(seen[0], before);
  EXPECT_GE(seen[2], later);
  ::close(first);
  ::close(second);
}

TEST(EventLoopTest, StopThenRunSyncStillRunsTheTask) {
  EventLoop loop;
  loop.stop();
  bool ran = false;
  loop.run_sync([&] { ran = true; });
  EXPECT_TRUE(ran);
}

// The middle of durations: robust to the few a loaded machine stretches, where a total or a
// maximum is not.
Clock::duration median(std::vector<Clock::duration> durations) {
  std::nth_element(durations.begin(), durations.begin() + durations.size() / 2, durations.end());
  return durations[durations.size() / 2];
}

TEST(EventLoopTest, PeriodicTimerKeepsItsScheduleWithoutDrift) {
  EventLoop loop;
  std::mutex mutex;
  std::vector<Clock::time_point> ticks;
  std::promise<void> enough;
  constexpr int kTicks = 21;
  constexpr auto kInterval = 10ms;
  constexpr auto kBusy = 9ms;
  // Each callback is slow (nine tenths of the interval): rescheduling at "now + interval"
  // would put every tick 19 ms after the one before; from the previous due time, 10 ms.
  auto start = Clock::now();
  loop.run_sync([&] {
    loop.run_every(kInterval, [&] {
      std::lock_guard lock(mutex);
      ticks.push_back(Clock::now());
      std::this_thread::sleep_for(kBusy);
      if (ticks.size() == kTicks) enough.set_value();
    });
  });
  ASSERT_EQ(enough.get_future().wait_for(10s), std::future_status::ready);
  std::lock_guard lock(mutex);
  EXPECT_GE(ticks.front() - start, kInterval);  // never early
  EXPECT_GE(ticks.back() - start, (kTicks - 1) * kInterval);
  std::vector<Clock::duration> gaps;
  for (std::size_t i = 1; i < ticks.size(); ++i) gaps.push_back(ticks[i] - ticks[i - 1]);
  // Half way between the two schedules: a machine that delays a few ticks moves the median
  // little; drifting moves every gap.
  EXPECT_LT(median(gaps), kInterval + kBusy / 2) << "periodic timer drifts";
}

TEST(EventLoopTest, SubMillisecondTimerFiresWithoutWaitingAWholeMillisecond) {
  EventLoop loop;
  // 300 timers of 50 us, one after the other, each timed from run_after to its callback: with
  // millisecond epoll timeouts each waits at least 1 ms; with the timerfd about 50 us plus
  // a wakeup.
  std::promise<void> done;
  std::vector<Clock::duration> waits;
  Clock::time_point asked;
  std::function<void()> next = [&] {
    waits.push_back(Clock::now() - asked);
    if (waits.size() == 300) return done.set_value();
    asked = Clock::now();
    loop.run_after(50us, next);
  };
  loop.run_sync([&] {
    asked = Clock::now();
    loop.run_after(50us, next);
  });
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  loop.run_sync([&] {
    for (auto wait : waits) EXPECT_GE(wait, 50us);
    EXPECT_LT(median(waits), 700us);
  });
}

TEST(EventLoopTest, PeriodicTimerCancelledFromItsOwnCallbackStops) {
  EventLoop loop;
  std::atomic<int> calls{0};
  EventLoop::TimerId id = 0;
  loop.run_sync([&] {
    id = loop.run_every(1ms, [&] {
      if (++calls == 3) loop.cancel(id);
    });
  });
  // Long enough for dozens more ticks, had the cancel not worked; a marker timer proves the
  // loop was running all along.
  std::promise<void> marker;
  loop.run_sync([&] { loop.run_after(100ms, [&] { marker.set_value(); }); });
  ASSERT_EQ(marker.get_future().wait_for(10s), std::future_status::ready);
  loop.run_sync([] {});
  EXPECT_EQ(calls.load(), 3);
}

// What the loop reports (on its thread), for the test thread to read.
class Reports {
 public:
  explicit Reports(EventLoop& loop) {
    loop.set_error_reporter([this](std::string_view message) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(message);
    });
  }
  std::vector<std::string> taken() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

TEST(EventLoopTest, ThrowingCallbacksAreCountedAndTheLoopKeepsServing) {
  EventLoop loop;
  Reports reports(loop);
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  loop.post([] { throw std::runtime_error("posted boom"); });
  loop.run_sync([&] {
    loop.run_after(0, [] { throw std::runtime_error("timer boom"); });
    loop.defer([] { throw 42; });
    loop.watch(fd, EPOLLIN, [&](std::uint32_t) {
      std::uint64_t value;
      [[maybe_unused]] auto ignored = ::read(fd, &value, sizeof value);
      throw std::runtime_error("handler boom");
    });
  });
  std::uint64_t one = 1;
  ASSERT_EQ(::write(fd, &one, sizeof one), 8);
  auto deadline = Clock::now() + 10s;
  while (loop.callback_failures() < 4 && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(loop.callback_failures(), 4u);
  std::promise<void> still_serving;
  loop.post([&] { still_serving.set_value(); });
  EXPECT_EQ(still_serving.get_future().wait_for(10s), std::future_status::ready);
  loop.run_sync([&] { loop.unwatch(fd); });
  ::close(fd);
  const auto reported = reports.taken();
  ASSERT_EQ(reported.size(), 4u);
  std::set<std::string> seen(reported.begin(), reported.end());
  EXPECT_TRUE(seen.count("posted task failed: posted boom"));
  EXPECT_TRUE(seen.count("timer failed: timer boom"));
  EXPECT_TRUE(seen.count("deferred task failed with an unknown exception"));
  EXPECT_TRUE(seen.count("I/O handler failed: handler boom"));
}

// An epoll_ctl that fails on the loop (here: the descriptor was closed behind the loop's back,
// which drops it from the epoll set) is reported, and the loop keeps serving.
TEST(EventLoopTest, AFailingEpollCtlIsReportedAndTheLoopKeepsServing) {
  EventLoop loop;
  Reports reports(loop);
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  loop.run_sync([&] {
    ASSERT_FALSE(loop.watch(fd, EPOLLIN, [](std::uint32_t) {}));
    ::close(fd);
    loop.modify(fd, EPOLLIN | EPOLLOUT);
  });
  std::promise<void> still_serving;
  loop.post([&] { still_serving.set_value(); });
  EXPECT_EQ(still_serving.get_future().wait_for(10s), std::future_status::ready);
  loop.run_sync([&] { loop.unwatch(fd); });
  const auto reported = reports.taken();
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported[0].rfind("epoll_ctl modify: ", 0), 0u) << reported[0];
}

TEST(EventLoopTest, IoWatchReportsReadinessAndStopsWatchingWhenDropped) {
  EventLoop loop;
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  std::atomic<int> readable{0};
  std::atomic<int> writable{0};
  IoWatch reader;
  IoWatch writer;
  loop.run_sync([&] {
    reader = IoWatch(loop, fds[0], IoWatch::readable, [&](IoWatch::Ready ready) {
      if (ready.readable) {
        char byte;
        while (::read(fds[0], &byte, 1) == 1) {
        }
        ++readable;
      }
    });
    writer = IoWatch(loop, fds[1], IoWatch::writable, [&](IoWatch::Ready ready) {
      if (ready.writable) ++writable;
      writer.set_interest(0);  // heard once; writable stays true, so stop asking
    });
    EXPECT_FALSE(reader.error());
    EXPECT_TRUE(reader.active());
  });
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  auto deadline = Clock::now() + 10s;
  while ((readable == 0 || writable == 0) && Clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(readable.load(), 1);
  EXPECT_EQ(writable.load(), 1);
  loop.run_sync([&] { reader.reset(); });
  ASSERT_EQ(::write(fds[1], "y", 1), 1);
  std::promise<void> later;
  loop.run_sync([&] { loop.run_after(50ms, [&] { later.set_value(); }); });
  ASSERT_EQ(later.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(readable.load(), 1);
  // A descriptor epoll refuses (a regular file) is an error value, not an exception.
  loop.run_sync([&] {
    int file = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    std::error_code error = loop.watch(file, EPOLLIN, [](std::uint32_t) {});
    EXPECT_TRUE(error) << "epoll accepted /dev/null";
    ::close(file);
    writer.reset();
  });
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(RoundEndTaskTest, RunsOnceAtTheEndOfTheRoundAndNotAtAllOnceDestroyed) {
  EventLoop loop;
  int runs = 0;
  std::vector<std::string> order;
  auto task = std::make_unique<RoundEndTask>(loop, [&] {
    ++runs;
    order.push_back("flush");
  });
  loop.run_sync([&] {
    for (int i = 0; i < 10; ++i) task->schedule();
    EXPECT_TRUE(task->scheduled());
    order.push_back("round");
  });
  loop.run_sync([&] {
    EXPECT_EQ(runs, 1);
    EXPECT_FALSE(task->scheduled());
    // Scheduled again, then destroyed before the round ends: nothing runs (and ASan sees
    // whether the pending call touched the destroyed task).
    task->schedule();
    task.reset();
  });
  loop.run_sync([] {});
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(order, (std::vector<std::string>{"round", "flush"}));
}

TEST(BoundedQueueTest, DeliversOnTheLoopThreadInOrderAndCountsWhatAFullQueueRefuses) {
  EventLoop loop;
  std::vector<int> received;
  std::thread::id consumer_thread;
  std::unique_ptr<BoundedQueue<int>> queue;
  std::promise<void> block_started;
  std::promise<void> release;
  auto released = release.get_future().share();
  loop.run_sync([&] {
    queue = std::make_unique<BoundedQueue<int>>(loop, 8, [&](int& value) {
      consumer_thread = std::this_thread::get_id();
      received.push_back(value);
    });
  });
  // Hold the loop so that nothing is drained while the producers fill the queue.
  loop.post([&] {
    block_started.set_value();
    released.wait();
  });
  block_started.get_future().wait();
  std::atomic<int> accepted{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < 10; ++i) accepted += queue->push(p * 100 + i) ? 1 : 0;
    });
  }
  for (auto& producer : producers) producer.join();
  EXPECT_EQ(accepted.load(), 8);
  EXPECT_EQ(queue->refused(), 12u);
  release.set_value();
  loop.run_sync([] {});
  // After the drain there is room again.
  EXPECT_TRUE(queue->push(999));
  auto deadline = Clock::now() + 10s;
  std::size_t count = 0;
  while (Clock::now() < deadline) {
    loop.run_sync([&] { count = received.size(); });
    if (count == 9) break;
    std::this_thread::sleep_for(1ms);
  }
  loop.run_sync([&] {
    ASSERT_EQ(received.size(), 9u);
    EXPECT_EQ(received.back(), 999);
    // Each producer's values arrive in the order it pushed them.
    for (int p = 0; p < 2; ++p) {
      int last = -1;
      for (int value : received) {
        if (value / 100 != p) continue;
        EXPECT_GT(value, last);
        last = value;
      }
    }
    EXPECT_EQ(consumer_thread, std::this_thread::get_id());
    queue.reset();
  });
}

TEST(SharedLoopTest, SeveralServersServeOnTheLoopThread) {
  EventLoop loop;
  std::thread::id loop_thread;
  loop.run_sync([&] { loop_thread = std::this_thread::get_id(); });

  std::mutex mutex;
  std::set<std::thread::id> callback_threads;
  std::atomic<int> messages{0};
  NotifierTable table;
  table.socket_message = [&](SocketClient&, std::string_view) {
    std::lock_guard lock(mutex);
    callback_threads.insert(std::this_thread::get_id());
    ++messages;
  };
  std::vector<std::unique_ptr<SocketServer>> servers;
  for (auto protocol : {Protocol::udp, Protocol::tcp, Protocol::udp}) {
    auto [server, error] = create_server("127.0.0.1", 0, protocol, loop);
    ASSERT_TRUE(server) << error;
    server->run(table);
    servers.push_back(std::move(server));
  }
  std::vector<std::unique_ptr<SocketClient>> clients;
  for (auto& server : servers) {
    bool udp = server.get() != servers[1].get();
    auto [client, error] =
        create_client("127.0.0.1", server->local_port(), udp ? Protocol::udp : Protocol::tcp);
    ASSERT_TRUE(client) << error;
    client->send("hello");
    clients.push_back(std::move(client));
  }
  for (int i = 0; i < 300 && messages < 3; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(messages.load(), 3);
  std::lock_guard lock(mutex);
  EXPECT_EQ(callback_threads, std::set<std::thread::id>{loop_thread});
}

TEST(SharedLoopTest, StoppingOneServerLeavesTheOthersServing) {
  EventLoop loop;
  std::atomic<int> first_messages{0}, second_messages{0};
  auto [first, first_error] = create_server("127.0.0.1", 0, Protocol::udp, loop);
  auto [second, second_error] = create_server("127.0.0.1", 0, Protocol::udp, loop);
  ASSERT_TRUE(first && second) << first_error << second_error;
  NotifierTable count_first, count_second;
  count_first.socket_message = [&](SocketClient&, std::string_view) { ++first_messages; };
  count_second.socket_message = [&](SocketClient&, std::string_view) { ++second_messages; };
  first->run(count_first);
  second->run(count_second);
  first->stop();
  auto a = create_client("127.0.0.1", first->local_port(), Protocol::udp);
  auto b = create_client("127.0.0.1", second->local_port(), Protocol::udp);
  a.client->send("x");
  b.client->send("y");
  for (int i = 0; i < 200 && second_messages == 0; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(first_messages.load(), 0);
  EXPECT_EQ(second_messages.load(), 1);
}

}  // namespace
}  // namespace oscbridge::socket

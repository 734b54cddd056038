// EventLoop on its own and shared by several servers.
#include "socket/event_loop.h"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>

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

TEST(EventLoopTest, StopThenRunSyncStillRunsTheTask) {
  EventLoop loop;
  loop.stop();
  bool ran = false;
  loop.run_sync([&] { ran = true; });
  EXPECT_TRUE(ran);
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

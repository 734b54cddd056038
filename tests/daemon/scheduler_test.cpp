// Scheduled bundles: ScheduleQueue's order (due time, then arrival), its bounds (count and
// bytes), that it allocates nothing in steady state (this executable counts operator new), and
// Scheduler on a real EventLoop: a future bundle comes back when due and not before; immediate,
// past, too-far and non-bundle packets are for routing now; a full queue refuses.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/scheduler.h"
#include "tests/daemon/daemon_test_util.h"
#include "tests/support/allocation_counter.h"

namespace oscbridge::daemon {
namespace {

using namespace std::chrono_literals;
using Time = ScheduleQueue::Time;
using test::Counting;

std::string bundle_at(osc::TimeTag time, std::string_view label) {
  return testing::bundle(time, {testing::message(label)});
}

TEST(ScheduleQueueTest, ReleasesEarliestFirstAndEqualTimesInArrivalOrder) {
  ScheduleQueue queue(16);
  const Time base = std::chrono::system_clock::now();
  Origin origin;
  ASSERT_TRUE(queue.push(base + 30ms, origin, "c"));
  ASSERT_TRUE(queue.push(base + 10ms, origin, "a1"));
  ASSERT_TRUE(queue.push(base + 20ms, origin, "b"));
  ASSERT_TRUE(queue.push(base + 10ms, origin, "a2"));
  ASSERT_TRUE(queue.push(base + 40ms, origin, "d"));
  EXPECT_EQ(queue.earliest(), base + 10ms);
  std::vector<std::string> order;
  auto record = [&](const Origin&, std::string_view packet) { order.emplace_back(packet); };
  // Only what is due by then.
  EXPECT_EQ(queue.release_due(base + 20ms, record), 2u);
  EXPECT_EQ(order, (std::vector<std::string>{"a1", "a2", "b"}));
  EXPECT_EQ(queue.earliest(), base + 30ms);
  EXPECT_EQ(queue.release_due(base + 1s, record), 0u);
  EXPECT_EQ(order, (std::vector<std::string>{"a1", "a2", "b", "c", "d"}));
  EXPECT_FALSE(queue.earliest().has_value());
  EXPECT_EQ(queue.held_bytes(), 0u);
}

TEST(ScheduleQueueTest, RefusesOverItsCountAndByteBounds) {
  ScheduleQueue queue(3);
  const Time base = std::chrono::system_clock::now();
  Origin origin;
  EXPECT_TRUE(queue.push(base + 1s, origin, "1"));
  EXPECT_TRUE(queue.push(base + 2s, origin, "2"));
  EXPECT_TRUE(queue.push(base + 3s, origin, "3"));
  EXPECT_FALSE(queue.push(base, origin, "4")) << "over the count bound";
  EXPECT_EQ(queue.size(), 3u);
  queue.release_due(base + 1s, [](const Origin&, std::string_view) {});
  EXPECT_TRUE(queue.push(base + 4s, origin, "4")) << "a released slot is free again";

  ScheduleQueue bytes(100);
  const std::string big(ScheduleQueue::kMaxHeldBytes / 2, 'x');
  EXPECT_TRUE(bytes.push(base + 1s, origin, big));
  EXPECT_TRUE(bytes.push(base + 1s, origin, big));
  EXPECT_FALSE(bytes.push(base + 1s, origin, "x")) << "over the byte bound";
  bytes.release_due(base + 1s, [](const Origin&, std::string_view) {});
  EXPECT_EQ(bytes.held_bytes(), 0u);
  EXPECT_TRUE(bytes.push(base + 1s, origin, "x"));
}

TEST(ScheduleQueueTest, KeepsTheOriginAndAllowsPushingFromARelease) {
  ScheduleQueue queue(2);
  const Time base = std::chrono::system_clock::now();
  Origin origin;
  origin.peer.ss_family = AF_INET;
  reinterpret_cast<sockaddr_in&>(origin.peer).sin_port = htons(4242);
  ASSERT_TRUE(queue.push(base, origin, "first"));
  ASSERT_TRUE(queue.push(base, origin, "second"));
  int released = 0;
  queue.release_due(base, [&](const Origin& from, std::string_view packet) {
    EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in&>(from.peer).sin_port), 4242);
    // Full while releasing: the slot being released is not free yet.
    if (++released == 1) {
      EXPECT_EQ(packet, "first");
      EXPECT_FALSE(queue.push(base + 1s, from, "again"));
    }
  });
  EXPECT_EQ(released, 2);
}

TEST(ScheduleQueueTest, AllocatesNothingInSteadyState) {
  ScheduleQueue queue(64);
  const Time base = std::chrono::system_clock::now();
  Origin origin;
  const std::string packet = bundle_at(osc::TimeTag::immediately(), "/steady");
  std::size_t seen = 0;
  const std::function<void(const Origin&, std::string_view)> count =
      [&](const Origin&, std::string_view) { ++seen; };
  // Warm up: every slot made once.
  for (int i = 0; i < 64; ++i)
    ASSERT_TRUE(queue.push(base + std::chrono::milliseconds(i), origin, packet));
  queue.release_due(base + 1h, count);
  Counting scope;
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 64; ++i) {
      queue.push(base + std::chrono::milliseconds((i * 7) % 64), origin, packet);
    }
    queue.release_due(base + 1h, count);
  }
  EXPECT_EQ(scope.count(), 0);
  EXPECT_EQ(seen, 64u * 101u);
}

TEST(SchedulerTest, RoutesAFutureBundleWhenDueAndTheRestAtOnce) {
  socket::EventLoop loop;
  std::mutex mutex;
  std::vector<std::pair<std::string, Time>> released;
  std::unique_ptr<Scheduler> scheduler;
  loop.run_sync([&] {
    scheduler = std::make_unique<Scheduler>(loop, 2, [&](const Origin&, std::string_view packet) {
      std::lock_guard lock(mutex);
      released.emplace_back(std::string(packet), std::chrono::system_clock::now());
    });
  });
  const Time now = std::chrono::system_clock::now();
  const auto future = osc::TimeTag::from_time_point(now + 150ms);
  const std::string later = bundle_at(future, "/later");
  std::vector<Scheduler::Decision> decisions;
  loop.run_sync([&] {
    const auto at = std::chrono::system_clock::now();
    decisions.push_back(scheduler->offer({}, later, at, 60s));
    decisions.push_back(
        scheduler->offer({}, bundle_at(osc::TimeTag::immediately(), "/now"), at, 60s));
    decisions.push_back(
        scheduler->offer({}, bundle_at(osc::TimeTag::from_time_point(at - 1s), "/past"), at, 60s));
    decisions.push_back(
        scheduler->offer({}, bundle_at(osc::TimeTag::from_time_point(at + 2min), "/far"), at, 60s));
    decisions.push_back(scheduler->offer({}, std::string("/plain\0\0,\0\0\0", 12), at, 60s));
    decisions.push_back(
        scheduler->offer({}, bundle_at(osc::TimeTag::from_time_point(at + 10s), "/2"), at, 60s));
    decisions.push_back(
        scheduler->offer({}, bundle_at(osc::TimeTag::from_time_point(at + 10s), "/3"), at, 60s));
  });
  using D = Scheduler::Decision;
  EXPECT_EQ(decisions,
            (std::vector<D>{D::held, D::now, D::now, D::too_far, D::now, D::held, D::full}));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex);
      if (!released.empty()) break;
    }
    std::this_thread::sleep_for(1ms);
  }
  std::lock_guard lock(mutex);
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].first, later);
  EXPECT_GE(released[0].second, future.to_time_point()) << "not before it is due";
  EXPECT_LT(released[0].second, future.to_time_point() + 100ms);
  loop.run_sync([&] { scheduler.reset(); });
}

}  // namespace
}  // namespace oscbridge::daemon

// Pacer (pace: HZ): the schedule with time driven by the test (bursts, spacing, order, the
// queue's bound, bundles weighing their messages, a late timer) and no allocation once the
// queue's slots exist. Its own executable: it counts allocations.
#include "daemon/pacer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/daemon/daemon_test_util.h"
#include "tests/support/allocation_counter.h"

namespace oscbridge::daemon {
namespace {

using Clock = Pacer::Clock;
using std::chrono::milliseconds;
using testing::message;

const Clock::time_point kStart = Clock::time_point{} + std::chrono::hours(1);

OutgoingPacket packet(const std::string& bytes, std::size_t messages = 1) {
  return OutgoingPacket{bytes, messages, nullptr};
}

TEST(PacerTest, OneMessageEveryPeriodAfterABurstOfTenMilliseconds) {
  Pacer pacer(100, 1000);  // 10 ms apart, a burst of 1
  EXPECT_EQ(pacer.burst(), 1u);
  const auto a = message("/a", 1);
  const auto b = message("/b", 2);
  EXPECT_EQ(pacer.admit(packet(a), kStart), Pacer::Admit::now);
  EXPECT_EQ(pacer.admit(packet(b), kStart), Pacer::Admit::queued);
  ASSERT_TRUE(pacer.next_release());
  EXPECT_EQ(*pacer.next_release(), kStart + milliseconds(10));
  std::vector<std::string> sent;
  auto send = [&](const OutgoingPacket& p) { sent.emplace_back(p.bytes); };
  pacer.release(kStart + milliseconds(9), send);
  EXPECT_TRUE(sent.empty());
  pacer.release(kStart + milliseconds(10), send);
  EXPECT_EQ(sent, std::vector<std::string>{b});
  EXPECT_FALSE(pacer.next_release());
  // Idle for a while: the next one leaves at once again, and only one.
  EXPECT_EQ(pacer.admit(packet(a), kStart + milliseconds(500)), Pacer::Admit::now);
  EXPECT_EQ(pacer.admit(packet(a), kStart + milliseconds(500)), Pacer::Admit::queued);
}

// 5,000 messages at once through pace 1000, released whenever the timer asks: all of them, in
// order, in 5 s, and never more than the rate plus one burst in any second.
TEST(PacerTest, ABurstOf5000At1000HzTakesFiveSecondsInOrder) {
  Pacer pacer(1000, 10'000);
  EXPECT_EQ(pacer.burst(), 10u);
  std::vector<std::string> inputs;
  for (int i = 0; i < 5000; ++i) inputs.push_back(message("/dump", i));
  std::size_t at_once = 0;
  for (const auto& input : inputs) {
    auto admitted = pacer.admit(packet(input), kStart);
    ASSERT_NE(admitted, Pacer::Admit::full);
    if (admitted == Pacer::Admit::now) ++at_once;
  }
  EXPECT_EQ(at_once, 10u);
  EXPECT_EQ(pacer.queued_messages(), 4990u);
  std::vector<Clock::time_point> times(at_once, kStart);
  std::vector<std::string> sent(inputs.begin(), inputs.begin() + static_cast<long>(at_once));
  std::size_t wakeups = 0;
  while (auto when = pacer.next_release()) {
    ASSERT_LT(++wakeups, 10'000u);
    pacer.release(*when, [&](const OutgoingPacket& p) {
      sent.emplace_back(p.bytes);
      times.push_back(*when);
    });
  }
  ASSERT_EQ(sent, inputs);
  EXPECT_EQ(times.back() - kStart, milliseconds(4990));
  EXPECT_LE(wakeups, 500u);  // a burst per wakeup, not one message each
  for (std::size_t i = 0; i + 1011 < times.size(); ++i) {
    ASSERT_GE(times[i + 1010] - times[i], std::chrono::seconds(1)) << i;
  }
}

TEST(PacerTest, TheQueueIsBoundedAndRefusesWhatDoesNotFit) {
  Pacer pacer(10, 100);
  const auto m = message("/m", 1);
  EXPECT_EQ(pacer.admit(packet(m), kStart), Pacer::Admit::now);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(pacer.admit(packet(m), kStart), Pacer::Admit::queued);
  EXPECT_EQ(pacer.admit(packet(m), kStart), Pacer::Admit::full);
  EXPECT_EQ(pacer.queued_messages(), 100u);
  std::size_t released = 0;
  pacer.release(kStart + milliseconds(100), [&](const OutgoingPacket&) { ++released; });
  EXPECT_EQ(released, 1u);
  EXPECT_EQ(pacer.admit(packet(m), kStart + milliseconds(100)), Pacer::Admit::queued);
  EXPECT_EQ(pacer.admit(packet(m), kStart + milliseconds(100)), Pacer::Admit::full);
}

TEST(PacerTest, ABundleWeighsItsMessages) {
  Pacer pacer(100, 10);
  const auto b = message("/bundle-ish", 1);
  EXPECT_EQ(pacer.admit(packet(b, 5), kStart), Pacer::Admit::now);
  // The next packet waits five periods, and the queue counts messages, not packets.
  EXPECT_EQ(pacer.admit(packet(b, 6), kStart), Pacer::Admit::queued);
  EXPECT_EQ(pacer.admit(packet(b, 5), kStart), Pacer::Admit::full);
  EXPECT_EQ(pacer.admit(packet(b, 4), kStart), Pacer::Admit::queued);
  EXPECT_EQ(*pacer.next_release(), kStart + milliseconds(50));
  std::vector<std::size_t> sizes;
  pacer.release(kStart + milliseconds(50),
                [&](const OutgoingPacket& p) { sizes.push_back(p.messages); });
  EXPECT_EQ(sizes, std::vector<std::size_t>{6});
  EXPECT_EQ(*pacer.next_release(), kStart + milliseconds(110));
}

TEST(PacerTest, ALateTimerCatchesUpByAtMostOneBurst) {
  Pacer pacer(1000, 1000);
  const auto m = message("/m", 1);
  for (int i = 0; i < 1000; ++i) pacer.admit(packet(m), kStart);
  std::size_t released = 0;
  pacer.release(kStart + std::chrono::seconds(1), [&](const OutgoingPacket&) { ++released; });
  EXPECT_EQ(released, 2 * pacer.burst());
}

TEST(PacerTest, OriginsTravelWithTheirPackets) {
  Pacer pacer(10, 10);
  Origin origin;
  origin.peer.ss_family = AF_INET;
  const auto m = message("/m", 1);
  pacer.admit(packet(m), kStart);
  pacer.admit(OutgoingPacket{m, 1, &origin}, kStart);
  pacer.admit(packet(m), kStart);
  std::vector<bool> with_origin;
  pacer.drain([&](const OutgoingPacket& p) {
    with_origin.push_back(p.origin != nullptr);
    if (p.origin) {
      EXPECT_EQ(p.origin->peer.ss_family, AF_INET);
    }
  });
  EXPECT_EQ(with_origin, (std::vector<bool>{true, false}));
}

TEST(PacerTest, TheCounterSeesAllocations) {
  test::Counting scope;
  Pacer pacer(10, 10);
  const std::string m(100, 'x');
  pacer.admit(packet(m), kStart);
  pacer.admit(packet(m), kStart);
  EXPECT_GT(scope.count(), 0);
}

TEST(PacerTest, SteadyStateQueueingAllocatesNothing) {
  Pacer pacer(1000, 1000);
  const auto m = message("/a/message/longer/than/small/strings", 1.0f, "and a label");
  auto now = kStart;
  auto cycle = [&] {
    for (int i = 0; i < 200; ++i) pacer.admit(packet(m), now);
    while (auto when = pacer.next_release()) {
      now = *when;
      pacer.release(now, [](const OutgoingPacket&) {});
    }
    now += milliseconds(100);
  };
  cycle();  // makes the slots
  test::Counting scope;
  for (int round = 0; round < 5; ++round) cycle();
  EXPECT_EQ(scope.count(), 0);
}

}  // namespace
}  // namespace oscbridge::daemon

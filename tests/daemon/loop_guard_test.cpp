// Loop detection's state: a one-way stream is never a loop whatever its rate; returns at the
// threshold within a second are; a block lasts until the address has been quiet for kCalm;
// slow or late returns are no loop; one warning per kWarnEvery; the table is bounded and a
// known address allocates nothing (this executable counts operator new). Through the real
// Router: a circle between two endpoints is cut with `loop` drops while other traffic passes.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "daemon/loop_guard.h"
#include "tests/daemon/daemon_test_util.h"
#include "tests/support/allocation_counter.h"

namespace oscbridge::daemon {
namespace {

using namespace std::chrono_literals;
using test::Counting;
using Verdict = LoopGuard::Verdict;
using Clock = LoopGuard::Clock;
// The peer messages come back from: not the one (0) the sends came from.
constexpr std::uint64_t kPeer = 7;

TEST(LoopGuardTest, AOneWayStreamIsNeverALoop) {
  LoopGuard guard({10, 10});
  Clock::time_point now{};
  for (int i = 0; i < 100000; ++i) {
    now += 10us;  // 100,000 messages a second from 0, sent on to 1 with the same address
    ASSERT_EQ(guard.arrived(0, "/fader", kPeer, now), Verdict::pass) << i;
    guard.sent(1, "/fader", 0, 0, 0, now);
  }
}

TEST(LoopGuardTest, ReturnsAtTheThresholdWithinASecondAreALoopUntilQuiet) {
  LoopGuard guard({0, 5});
  EXPECT_FALSE(guard.guards(0));
  EXPECT_TRUE(guard.guards(1));
  Clock::time_point now = Clock::time_point{} + 1h;
  for (int i = 1; i < 5; ++i) {
    guard.sent(1, "/x", 3, 0, 0, now);
    now += 10ms;
    EXPECT_EQ(guard.arrived(1, "/x", kPeer, now), Verdict::pass) << i;
  }
  guard.sent(1, "/x", 3, 0, 0, now);
  now += 10ms;
  EXPECT_EQ(guard.arrived(1, "/x", kPeer, now), Verdict::drop_new_loop);
  EXPECT_EQ(guard.cause().route, 3u);
  EXPECT_EQ(guard.cause().from, 0u);
  EXPECT_EQ(guard.cause().returns, 5u);
  // Blocked while it keeps coming, even without being sent again; other addresses pass.
  for (int i = 0; i < 20; ++i) {
    now += 900ms;
    EXPECT_EQ(guard.arrived(1, "/x", kPeer, now), Verdict::drop) << i;
  }
  guard.sent(1, "/y", 3, 0, 0, now);
  EXPECT_EQ(guard.arrived(1, "/y", kPeer, now + 1ms), Verdict::pass);
  // Quiet for kCalm: passes again.
  now += LoopGuard::kCalm;
  EXPECT_EQ(guard.arrived(1, "/x", kPeer, now), Verdict::pass);
  // A loop that starts again is cut again, without a second warning within kWarnEvery.
  Verdict last = Verdict::pass;
  for (int i = 0; i < 5; ++i) {
    guard.sent(1, "/x", 3, 0, 0, now);
    now += 1ms;
    last = guard.arrived(1, "/x", kPeer, now);
  }
  EXPECT_EQ(last, Verdict::drop);
  // After kWarnEvery, a new loop is told again.
  now += LoopGuard::kWarnEvery;
  for (int i = 0; i < 5; ++i) {
    guard.sent(1, "/x", 3, 0, 0, now);
    now += 1ms;
    last = guard.arrived(1, "/x", kPeer, now);
  }
  EXPECT_EQ(last, Verdict::drop_new_loop);
}

TEST(LoopGuardTest, APeerGoingOnWithItsStreamIsNoReturnButAnotherPeerAndARelayAre) {
  // Endpoint 0 keeps its peers in sync (from: x, to: x): what peer 5 sends goes to the others.
  LoopGuard guard({5, 5});
  Clock::time_point now = Clock::time_point{} + 1h;
  for (int i = 0; i < 1000; ++i) {
    now += 1ms;
    ASSERT_EQ(guard.arrived(0, "/sync", 5, now), Verdict::pass) << i;
    guard.sent(0, "/sync", 0, 0, 5, now);
  }
  // Peer 6 answering what it was sent is a return.
  Verdict last = Verdict::pass;
  for (int i = 0; i < 5; ++i) {
    guard.sent(0, "/sync", 0, 0, 5, now);
    now += 1ms;
    last = guard.arrived(0, "/sync", 6, now);
  }
  EXPECT_EQ(last, Verdict::drop_new_loop);
  // Through a relay (a peer endpoint 1 sends to, arriving at 0): the sender's peer is no excuse.
  for (int i = 0; i < 5; ++i) {
    guard.sent(1, "/relayed", 0, 0, 9, now);
    now += 1ms;
    last = guard.arrived(1, "/relayed", LoopGuard::kAnyPeer, now);
  }
  EXPECT_EQ(last, Verdict::drop_new_loop);
}

TEST(LoopGuardTest, SlowOrLateReturnsAreNoLoop) {
  LoopGuard guard({5});
  Clock::time_point now = Clock::time_point{} + 1h;
  // 4 returns a second, for a minute: under the threshold.
  for (int i = 0; i < 240; ++i) {
    guard.sent(0, "/slow", 0, 1, 0, now);
    now += 250ms;
    ASSERT_EQ(guard.arrived(0, "/slow", kPeer, now), Verdict::pass) << i;
  }
  // Many arrivals, but the daemon sent the address there longer than kReturnWindow ago.
  guard.sent(0, "/late", 0, 1, 0, now);
  now += LoopGuard::kReturnWindow + 1ms;
  for (int i = 0; i < 100; ++i) {
    now += 1ms;
    ASSERT_EQ(guard.arrived(0, "/late", kPeer, now), Verdict::pass) << i;
  }
  // Arrivals of an address never sent there.
  for (int i = 0; i < 100; ++i) ASSERT_EQ(guard.arrived(0, "/never", kPeer, now), Verdict::pass);
}

TEST(LoopGuardTest, TheTableIsBoundedAndAKnownAddressAllocatesNothing) {
  LoopGuard guard({1000, 1000}, 8);
  Clock::time_point now = Clock::time_point{} + 1h;
  std::vector<std::string> addresses;
  for (int i = 0; i < 100; ++i) addresses.push_back("/address/" + std::to_string(i));
  for (const auto& address : addresses) guard.sent(1, address, 0, 0, 0, now);
  EXPECT_EQ(guard.size(), 8u);
  EXPECT_EQ(guard.evicted(), 92u);
  Counting scope;
  for (int i = 0; i < 10000; ++i) {
    now += 1ms;
    const auto& address = addresses[92 + static_cast<std::size_t>(i) % 8];
    guard.sent(1, address, 0, 0, 0, now);
    guard.arrived(0, address, kPeer, now);
    guard.arrived(1, address, kPeer, now);
  }
  EXPECT_EQ(scope.count(), 0);
}

TEST(LoopGuardTest, TheRouterCutsACircleAndPassesOtherTraffic) {
  testing::Harness harness;
  ASSERT_EQ(harness.load_routes(R"(  - name: ab
    from: a
    to: b
  - name: ba
    from: b
    to: a
  - name: cb
    from: c
    to: b
)"),
            "");
  auto& a = harness.endpoint("a");
  auto& b = harness.endpoint("b");
  auto is_loop = [](const std::string& packet) { return packet.rfind("/loop", 0) == 0; };
  // a and b each reflect what they get, one more each time (echo suppression cannot catch
  // it), as external forwarders would: one message seeded from a goes round until cut.
  harness.route("a", testing::message("/loop", 0));
  std::size_t seen_a = 0, seen_b = 0;
  int turns = 0, others = 0;
  for (bool moved = true; moved && turns < 10000;) {
    moved = false;
    for (; seen_b < b.packets.size(); ++seen_b) {
      if (!is_loop(b.packets[seen_b])) continue;
      harness.route("b", testing::message("/loop", ++turns));
      moved = true;
    }
    for (; seen_a < a.packets.size(); ++seen_a) {
      harness.route("a", testing::message("/loop", ++turns));
      moved = true;
    }
    harness.route("c", testing::message("/other", ++others));
  }
  EXPECT_LT(turns, 10000) << "the circle was never cut";
  EXPECT_GE(turns, static_cast<int>(config::kDefaultLoopGuard)) << "cut before the threshold";
  EXPECT_EQ(a.counters().drops(DropReason::loop) + b.counters().drops(DropReason::loop), 1u);
  int other_at_b = 0;
  for (const auto& packet : b.packets) other_at_b += packet.rfind("/other", 0) == 0 ? 1 : 0;
  EXPECT_EQ(other_at_b, others) << "other traffic kept flowing";
}

}  // namespace
}  // namespace oscbridge::daemon

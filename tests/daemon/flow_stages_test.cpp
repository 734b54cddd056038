// The flow-control stages' state, its bounds, and that none allocates per message in steady
// state (this executable replaces operator new to count): AddressTable's LRU bound and pins,
// ChangeFilter through the real Router, RateLimit on a real EventLoop (run_sync: the loop
// thread), EchoGuard's window and its one-echo-per-send rule.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "daemon/echo_guard.h"
#include "daemon/flow_stages.h"
#include "tests/daemon/daemon_test_util.h"
#include "tests/support/allocation_counter.h"

namespace oscbridge::daemon {
namespace {

using test::Counting;
using testing::Harness;
using testing::message;

TEST(AddressTableTest, KeepsAtMostItsCapacityAndForgetsTheLeastRecentlyUsed) {
  AddressTable<int> table(2);
  bool added = false;
  auto a = table.find_or_add(0, "/a", added);
  EXPECT_TRUE(added);
  table.value(a) = 1;
  auto b = table.find_or_add(0, "/b", added);
  table.value(b) = 2;
  EXPECT_EQ(table.find_or_add(0, "/a", added), a);  // /a now the most recent
  EXPECT_FALSE(added);
  EXPECT_EQ(table.value(a), 1);
  // Same address to another destination is another entry: /b, least recent, goes.
  auto other = table.find_or_add(1, "/a", added);
  EXPECT_TRUE(added);
  EXPECT_EQ(table.value(other), 0);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.evicted(), 1u);
  table.find_or_add(0, "/b", added);
  EXPECT_TRUE(added) << "/b was forgotten";
}

TEST(AddressTableTest, PinnedEntriesAreNeverEvicted) {
  AddressTable<int> table(2);
  bool added = false;
  auto a = table.find_or_add(0, "/a", added);
  auto b = table.find_or_add(0, "/b", added);
  table.pin(a);
  table.find_or_add(0, "/c", added);  // evicts /b, not the older but pinned /a
  EXPECT_EQ(table.find_or_add(0, "/a", added), a);
  EXPECT_FALSE(added);
  (void)b;
  auto c = table.find_or_add(0, "/c", added);
  table.pin(c);
  EXPECT_EQ(table.find_or_add(0, "/d", added), AddressTable<int>::kNone);
  table.unpin(a);
  EXPECT_NE(table.find_or_add(0, "/d", added), AddressTable<int>::kNone);
}

RouterSetup flow_setup(socket::EventLoop& loop) {
  RouterSetup setup;
  setup.stages = [&loop](const config::Route& route) { return make_flow_stages(route, loop); };
  return setup;
}

TEST(ChangeFilterTest, StatePerDestinationAndAddressWithoutAllocatingInSteadyState) {
  socket::EventLoop loop;
  Harness harness;
  ASSERT_EQ(harness.load_routes("- { from: a, to: [b, c], on_change: true, deadband: 0.5 }\n",
                                flow_setup(loop)),
            "");
  auto& b = harness.endpoint("b").packets;
  auto& c = harness.endpoint("c").packets;
  harness.route("a", message("/x", 1.0f));
  harness.route("a", message("/x", 1.2f));  // deadband, for both destinations
  harness.route("a", message("/y", 1.2f));  // another address
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(harness.endpoint("b").counters().drops(DropReason::deadband), 1u);
  // Steady state: known addresses, values changing (two alternating far apart).
  const std::string low = message("/x", 0.0f);
  const std::string high = message("/x", 5.0f);
  const std::string same = message("/y", 1.2f);
  harness.route("a", low);
  long counted = 0;
  {
    Counting scope;
    for (int i = 0; i < 1000; ++i) {
      harness.route("a", i % 2 == 0 ? high : low);
      harness.route("a", same);
    }
    counted = scope.count();
  }
  // RecordingEndpoint stores packets (allocating); what it stores is counted separately.
  EXPECT_EQ(b.size(), 3u + 1000u);
  EXPECT_EQ(harness.endpoint("b").counters().drops(DropReason::unchanged), 1000u);
  EXPECT_LE(counted, 2 * 1000 + 64) << "beyond the recording endpoints' own copies";
}

TEST(RateLimitTest, HoldsTheNewestPerAddressAndArmsATimerOnlyWhileHolding) {
  socket::EventLoop loop;
  Harness harness;  // for an endpoint to stand as destination
  ASSERT_EQ(harness.load_routes("- { from: a, to: b }\n"), "");
  Endpoint& b = harness.endpoint("b");
  Origin origin;
  std::unique_ptr<RateLimit> rate;
  loop.run_sync([&] {
    rate = std::make_unique<RateLimit>(loop, 10.0, 2);  // 100 ms per address
    const std::string first = message("/x", 1.0f);
    const std::string second = message("/x", 2.0f);
    const std::string third = message("/x", 3.0f);
    EXPECT_TRUE(rate->process(Outgoing{b, first, {}, origin}));
    EXPECT_FALSE(rate->timer_armed());
    EXPECT_FALSE(rate->process(Outgoing{b, second, {}, origin}));  // held
    EXPECT_TRUE(rate->timer_armed());
    EXPECT_FALSE(rate->process(Outgoing{b, third, {}, origin}));  // replaces it
    EXPECT_EQ(rate->held(), 1u);
    EXPECT_EQ(b.counters().drops(DropReason::rate), 1u);
    EXPECT_TRUE(rate->process(Outgoing{b, message("/y", 1.0f), {}, origin}));  // not delayed
    // Both entries in use, /x pinned while it holds: /z evicts /y, never /x.
    EXPECT_TRUE(rate->process(Outgoing{b, message("/z", 1.0f), {}, origin}));
    EXPECT_EQ(rate->addresses(), 2u);
    EXPECT_EQ(rate->held(), 1u);
    // Steady state: replacing the held value allocates nothing.
    Counting scope;
    for (int i = 0; i < 1000; ++i) rate->process(Outgoing{b, i % 2 ? second : third, {}, origin});
    EXPECT_EQ(scope.count(), 0);
  });
  // The turn comes within 100 ms; then nothing is held and no timer runs.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool released = false;
  while (!released && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    loop.run_sync([&] { released = rate->held() == 0 && !rate->timer_armed(); });
  }
  EXPECT_TRUE(released);
  loop.run_sync([&] { rate.reset(); });
}

TEST(EchoGuardTest, OneEchoPerSendWithinTheWindowNeverTriggersNorTheSendersRepeat) {
  EchoGuard guard(std::chrono::milliseconds(100));
  const auto now = EchoGuard::Clock::now();
  Origin elsewhere;
  Origin from;
  from.peer.ss_family = AF_INET;  // a peer with an address, unlike elsewhere
  const std::string value = message("/pos", 0.5f);
  guard.sent(value, &elsewhere, now);
  EXPECT_FALSE(guard.take_echo(message("/pos", 0.25f), from, now));
  EXPECT_TRUE(guard.take_echo(value, from, now + std::chrono::milliseconds(50)));
  EXPECT_FALSE(guard.take_echo(value, from, now + std::chrono::milliseconds(60))) << "taken";
  guard.sent(value, &elsewhere, now);
  EXPECT_FALSE(guard.take_echo(value, from, now + std::chrono::milliseconds(150))) << "window";
  guard.sent(message("/play"), &elsewhere, now);
  EXPECT_FALSE(guard.take_echo(message("/play"), from, now)) << "a trigger";
  const std::string own = message("/pos", 0.75f);
  guard.sent(own, &from, now);
  EXPECT_FALSE(guard.take_echo(own, from, now)) << "the sender repeating itself";
  // Steady state: a full ring of changing values allocates nothing.
  std::vector<std::string> values;
  for (int i = 0; i < 10; ++i) values.push_back(message("/pos", static_cast<float>(i)));
  Counting scope;
  for (int i = 0; i < 5000; ++i) {
    guard.sent(values[static_cast<std::size_t>(i) % 10], &elsewhere, now);
    guard.take_echo(values[static_cast<std::size_t>(i + 3) % 10], from, now);
  }
  EXPECT_EQ(scope.count(), 0);
}

}  // namespace
}  // namespace oscbridge::daemon

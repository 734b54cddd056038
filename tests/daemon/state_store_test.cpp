// StateStore (state: true): the last message per address, bounded by state_max with the least
// recently updated address forgotten, and no allocation when known addresses are updated.
// Its own executable: it counts allocations (tests/support/allocation_counter.h).
#include "daemon/state_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/daemon/daemon_test_util.h"
#include "tests/support/allocation_counter.h"

namespace oscbridge::daemon {
namespace {

using testing::bundle;
using testing::message;

std::vector<std::string> contents(const StateStore& store) {
  std::vector<std::string> out;
  store.for_each([&](std::string_view bytes) { out.emplace_back(bytes); });
  return out;
}

TEST(StateStoreTest, KeepsTheLastMessageOfEachAddressOldestFirst) {
  StateStore store(10);
  store.update("/a", message("/a", 1));
  store.update("/b", message("/b", 2));
  store.update("/a", message("/a", 3));
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(contents(store), (std::vector<std::string>{message("/b", 2), message("/a", 3)}));
  EXPECT_EQ(store.evicted(), 0u);
}

TEST(StateStoreTest, ForgetsTheLeastRecentlyUpdatedAddressWhenFull) {
  StateStore store(3);
  EXPECT_FALSE(store.update("/a", message("/a", 1)));
  EXPECT_FALSE(store.update("/b", message("/b", 1)));
  EXPECT_FALSE(store.update("/c", message("/c", 1)));
  EXPECT_FALSE(store.update("/a", message("/a", 2)));  // /a is now the newest; /b the oldest
  EXPECT_TRUE(store.update("/d", message("/d", 1)));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.evicted(), 1u);
  EXPECT_EQ(contents(store),
            (std::vector<std::string>{message("/c", 1), message("/a", 2), message("/d", 1)}));
  // A flood of new addresses keeps the size at the bound and counts every one forgotten.
  for (int i = 0; i < 100; ++i) {
    const std::string address = "/flood/" + std::to_string(i);
    store.update(address, message(address, i));
  }
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.evicted(), 101u);
  EXPECT_EQ(contents(store).back(), message("/flood/99", 99));
}

TEST(StateStoreTest, RecordsEveryMessageOfABundleAndNothingOfAMalformedPacket) {
  StateStore store(2);
  const auto packet = bundle(osc::TimeTag::immediately(),
                             {message("/x", 1.0f), message("/y", "on"), message("/x", 2.0f)});
  EXPECT_EQ(store.record(packet, 8), 0u);
  EXPECT_EQ(contents(store), (std::vector<std::string>{message("/y", "on"), message("/x", 2.0f)}));
  EXPECT_EQ(store.record(message("/z", 1), 8), 1u);  // /y goes
  EXPECT_EQ(store.record("not osc", 8), 0u);
  EXPECT_EQ(contents(store), (std::vector<std::string>{message("/x", 2.0f), message("/z", 1)}));
}

TEST(StateStoreTest, TheCounterSeesAllocations) {
  test::Counting scope;
  StateStore store(4);
  store.update("/a/rather/long/address/past/small/strings", message("/a", 1));
  EXPECT_GT(scope.count(), 0);
}

TEST(StateStoreTest, UpdatingKnownAddressesAllocatesNothing) {
  StateStore store(1000);
  std::vector<std::string> addresses;
  std::vector<std::string> values;
  for (int i = 0; i < 1000; ++i) {
    addresses.push_back("/mixer/channel/" + std::to_string(i) + "/fader");
    values.push_back(message(addresses.back(), static_cast<float>(i), "a label of some length"));
  }
  for (int i = 0; i < 1000; ++i) store.update(addresses[i], values[i]);
  // Same size, other values; and smaller messages.
  std::vector<std::string> next;
  std::vector<std::string> smaller;
  for (int i = 0; i < 1000; ++i) {
    next.push_back(message(addresses[i], static_cast<float>(i) / 2, "a label of some other l"));
    smaller.push_back(message(addresses[i], 1));
  }
  const auto packet = bundle(osc::TimeTag::immediately(), {next[1], next[2], next[3]});
  test::Counting scope;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 1000; ++i) store.update(addresses[i], next[i]);
    for (int i = 0; i < 1000; ++i) store.update(addresses[i], smaller[i]);
    store.record(packet, 8);
    store.record(next[7], 8);
  }
  EXPECT_EQ(scope.count(), 0);
  EXPECT_EQ(store.size(), 1000u);
  EXPECT_EQ(store.evicted(), 0u);
}

}  // namespace
}  // namespace oscbridge::daemon

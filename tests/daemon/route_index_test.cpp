// RouteIndex: every key finds exactly its routes in the order filed, however many keys share a
// prefix, a length or a probe sequence, and a key never filed finds nothing.
#include "daemon/route_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace oscbridge::daemon {
namespace {

std::vector<std::uint32_t> routes_of(const RouteIndex& index, std::string_view key) {
  auto found = index.find(key);
  return {found.begin(), found.end()};
}

TEST(RouteIndex, EmptyFindsNothing) {
  RouteIndex index;
  EXPECT_TRUE(index.find("/track/1/fader").empty());
  EXPECT_TRUE(index.find("").empty());
  EXPECT_EQ(index.size(), 0u);
}

TEST(RouteIndex, RoutesUnderOneKeyKeepTheirOrder) {
  RouteIndex index;
  index.add("/mixer/fader", 7);
  index.add("/mixer/mute", 2);
  index.add("/mixer/fader", 3);
  index.add("/mixer/fader", 9);
  EXPECT_EQ(routes_of(index, "/mixer/fader"), (std::vector<std::uint32_t>{7, 3, 9}));
  EXPECT_EQ(routes_of(index, "/mixer/mute"), (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(index.size(), 2u);
}

TEST(RouteIndex, NearMissesFindNothing) {
  RouteIndex index;
  index.add("/track/1/fader", 1);
  index.add("track", 2);
  index.add("", 3);
  const std::vector<std::string_view> misses = {"/track/1/fade",
                                                "/track/1/faderx",
                                                "/track/2/fader",
                                                "/Track/1/fader",
                                                "trac",
                                                "tracks",
                                                std::string_view("/track/1/fader\0", 15)};
  for (std::string_view miss : misses) {
    EXPECT_TRUE(index.find(miss).empty()) << miss;
  }
  // The empty key is a key like any other (a pattern whose first level is empty).
  EXPECT_EQ(routes_of(index, ""), (std::vector<std::uint32_t>{3}));
  EXPECT_EQ(routes_of(index, "track"), (std::vector<std::uint32_t>{2}));
}

TEST(RouteIndex, ThousandsOfKeysSurviveGrowingAndProbing) {
  // Enough keys to grow the table many times over and to put many of them in each other's
  // probe sequences; keys of every length around the 8-byte word the hash reads.
  RouteIndex index;
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) {
    keys.push_back("/" + std::string(static_cast<std::size_t>(i % 19), 'a') + std::to_string(i));
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    index.add(keys[i], static_cast<std::uint32_t>(i));
    if (i % 3 == 0) index.add(keys[i], static_cast<std::uint32_t>(i + 100000));
  }
  EXPECT_EQ(index.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::vector<std::uint32_t> expected{static_cast<std::uint32_t>(i)};
    if (i % 3 == 0) expected.push_back(static_cast<std::uint32_t>(i + 100000));
    ASSERT_EQ(routes_of(index, keys[i]), expected) << keys[i];
  }
  EXPECT_TRUE(index.find("/5000").empty());
  EXPECT_TRUE(index.find("/a5001").empty());
}

TEST(RouteIndex, TheHashReadsEveryByte) {
  // A key differing from another only in its last byte, or only in a byte past the first
  // word, hashes differently (else every lookup would compare strings along a long probe).
  EXPECT_NE(RouteIndex::hash_of("/track/1/fader"), RouteIndex::hash_of("/track/1/fadeR"));
  EXPECT_NE(RouteIndex::hash_of("/track/1/fader"), RouteIndex::hash_of("/track/2/fader"));
  EXPECT_NE(RouteIndex::hash_of("/abcdefg"), RouteIndex::hash_of("/abcdefh"));
  EXPECT_NE(RouteIndex::hash_of("a"), RouteIndex::hash_of(std::string_view("a\0", 2)));
  EXPECT_NE(RouteIndex::hash_of(""), RouteIndex::hash_of(std::string_view("\0", 1)));
}

}  // namespace
}  // namespace oscbridge::daemon

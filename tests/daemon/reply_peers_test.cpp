// The reply peer table of a `reply: true` UDP endpoint (issue 8, item 9): a bounded table that
// admits new sources at a bounded rate, keeps the peers still talking and lets newcomers take
// only the places of peers silent for longer than the window. Time is driven by the test.
#include "daemon/reply_peers.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <set>
#include <string>

namespace oscbridge::daemon {
namespace {

using namespace std::chrono_literals;
using Outcome = ReplyPeers::Outcome;

// 127.x.y.z:port for peer number n (distinct addresses, as spoofed sources would be).
sockaddr_storage source(std::uint32_t n, std::uint16_t port = 10000) {
  sockaddr_storage address{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  v4->sin_family = AF_INET;
  v4->sin_port = htons(port);
  v4->sin_addr.s_addr = htonl((127u << 24) | (n + 2));
  return address;
}

std::uint32_t number_of(const sockaddr_storage& address) {
  return (ntohl(reinterpret_cast<const sockaddr_in*>(&address)->sin_addr.s_addr) & 0xffffffu) - 2;
}

std::set<std::uint32_t> current(ReplyPeers& peers, ReplyPeers::Clock::time_point now) {
  std::set<std::uint32_t> numbers;
  peers.for_each_current(
      now, [&](const sockaddr_storage& address) { numbers.insert(number_of(address)); },
      [](const sockaddr_storage&) {});
  return numbers;
}

const ReplyPeers::Clock::time_point t0 = ReplyPeers::Clock::now();

TEST(ReplyPeersTest, NewSourcesAreAdmittedAtABoundedRate) {
  ReplyPeers peers(64, 60s);
  const auto burst = static_cast<std::uint32_t>(ReplyPeers::kAdmissionBurst);
  for (std::uint32_t n = 0; n < burst; ++n) {
    EXPECT_EQ(peers.hear(source(n), t0), Outcome::admitted) << n;
  }
  EXPECT_EQ(peers.hear(source(burst), t0), Outcome::refused_rate);
  // A known peer is not a new admission: it never runs into the rate.
  EXPECT_EQ(peers.hear(source(0), t0), Outcome::known);
  // One token comes back every 1/16 s.
  EXPECT_EQ(peers.hear(source(burst), t0 + 70ms), Outcome::admitted);
  EXPECT_EQ(peers.hear(source(burst + 1), t0 + 70ms), Outcome::refused_rate);
  EXPECT_EQ(peers.size(), burst + 1);
}

TEST(ReplyPeersTest, AFloodOfNewSourcesLeavesThePeersThatAreTalking) {
  ReplyPeers peers(8, 60s);
  ASSERT_EQ(peers.hear(source(100000), t0), Outcome::admitted);
  ASSERT_EQ(peers.hear(source(100001), t0), Outcome::admitted);
  // 3,000 spoofed sources within a second, the real peers talking in between.
  std::size_t admitted = 0;
  for (std::uint32_t n = 0; n < 3000; ++n) {
    auto now = t0 + 1s + std::chrono::microseconds(n * 300);
    if (peers.hear(source(n), now) == Outcome::admitted) ++admitted;
    if (n % 100 == 0) {
      EXPECT_EQ(peers.hear(source(100000), now), Outcome::known);
      EXPECT_EQ(peers.hear(source(100001), now), Outcome::known);
    }
  }
  // The burst plus about 16 per second of flood, nowhere near 3,000.
  EXPECT_LE(admitted, 2 * static_cast<std::size_t>(ReplyPeers::kAdmissionBurst));
  auto now = current(peers, t0 + 2s);
  EXPECT_TRUE(now.count(100000) && now.count(100001));
}

TEST(ReplyPeersTest, AFullTableTakesNewcomersOnlyInPlacesOfSilentPeers) {
  ReplyPeers peers(4, 1s);
  for (std::uint32_t n = 0; n < 4; ++n) ASSERT_EQ(peers.hear(source(n), t0), Outcome::admitted);
  // Everyone was heard within the window: no place for a newcomer.
  EXPECT_EQ(peers.hear(source(10), t0 + 500ms), Outcome::refused_full);
  // Peers 0 and 1 keep talking; 2 and 3 fall silent for longer than the window.
  ASSERT_EQ(peers.hear(source(0), t0 + 2s), Outcome::known);
  ASSERT_EQ(peers.hear(source(1), t0 + 2s), Outcome::known);
  std::set<std::uint32_t> replaced;
  for (std::uint32_t n = 10; n < 12; ++n) {
    sockaddr_storage gone{};
    EXPECT_EQ(peers.hear(source(n), t0 + 2s, &gone), Outcome::replaced) << n;
    replaced.insert(number_of(gone));
  }
  EXPECT_EQ(replaced, (std::set<std::uint32_t>{2, 3}));
  EXPECT_EQ(peers.hear(source(12), t0 + 2s), Outcome::refused_full);
  EXPECT_EQ(current(peers, t0 + 2s), (std::set<std::uint32_t>{0, 1, 10, 11}));
}

TEST(ReplyPeersTest, PeersSilentForLongerThanTheWindowAreNotAnswered) {
  ReplyPeers peers(8, 1s);
  ASSERT_EQ(peers.hear(source(0), t0), Outcome::admitted);
  ASSERT_EQ(peers.hear(source(1), t0), Outcome::admitted);
  ASSERT_EQ(peers.hear(source(1), t0 + 900ms), Outcome::known);
  std::set<std::uint32_t> forgotten;
  std::set<std::uint32_t> sent;
  peers.for_each_current(
      t0 + 1500ms, [&](const sockaddr_storage& address) { sent.insert(number_of(address)); },
      [&](const sockaddr_storage& address) { forgotten.insert(number_of(address)); });
  EXPECT_EQ(sent, (std::set<std::uint32_t>{1}));
  EXPECT_EQ(forgotten, (std::set<std::uint32_t>{0}));
  EXPECT_EQ(peers.size(), 1u);
}

TEST(ReplyPeersTest, ASmallerTableForgetsTheStalestPeers) {
  ReplyPeers peers(8, 60s);
  for (std::uint32_t n = 0; n < 4; ++n) {
    ASSERT_EQ(peers.hear(source(n), t0 + std::chrono::seconds(n)), Outcome::admitted);
  }
  std::set<std::uint32_t> forgotten;
  peers.set_limits(2, 60s, [&](const sockaddr_storage& a) { forgotten.insert(number_of(a)); });
  EXPECT_EQ(forgotten, (std::set<std::uint32_t>{0, 1}));
  EXPECT_EQ(current(peers, t0 + 4s), (std::set<std::uint32_t>{2, 3}));
}

}  // namespace
}  // namespace oscbridge::daemon

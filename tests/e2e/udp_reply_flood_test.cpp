// A `reply: true` endpoint under a burst of new sources (issue 8, item 9): spoofed sources
// must neither push the real peers out of the reply table nor each get a log line. The burst
// comes from hundreds of distinct loopback addresses (127.0.1.1, 127.0.1.2, ...).
#include <regex>
#include <thread>

#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

std::size_t count_lines(const std::string& log, const std::string& regex) {
  std::regex line(regex);
  return static_cast<std::size_t>(
      std::distance(std::sregex_iterator(log.begin(), log.end(), line), std::sregex_iterator()));
}

TEST(UdpReplyFloodTest, BurstOfNewSourcesKeepsTheRealPeersAndIsSummarized) {
  constexpr int kSources = 300;
  constexpr int kMaxPeers = 16;
  auto mixer_port = free_port();
  auto desk_port = free_port();
  SourcePeer first;
  SourcePeer second;
  RawUdp desk;
  RawUdp sink;  // everything the mixer's peers send is routed here
  ASSERT_TRUE(first.ok() && second.ok() && desk.ok() && sink.ok());
  Daemon daemon(
      "endpoints:\n"
      "  mixer: { protocol: udp, listen: " +
      at(mixer_port) + ", reply: true, reply_max_peers: " + std::to_string(kMaxPeers) +
      " }\n"
      "  desk: { protocol: udp, listen: " +
      at(desk_port) +
      " }\n"
      "  sink: { protocol: udp, send: " +
      at(sink.port()) +
      " }\n"
      "routes:\n"
      "  - { name: to_mixer, from: desk, to: mixer }\n"
      "  - { name: to_sink, from: mixer, to: sink }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  lo_address mixer = lo_address_new("127.0.0.1", std::to_string(mixer_port).c_str());
  ASSERT_NE(mixer, nullptr);
  for (SourcePeer* peer : {&first, &second}) {
    ASSERT_GE(lo_send_from(mixer, peer->server(), LO_TT_IMMEDIATE, "/xremote", ""), 0);
    ASSERT_EQ(address_of(sink.receive()), "/xremote") << daemon.log();
  }

  // The burst, in chunks small enough for the socket buffers; every datagram is still routed,
  // so the sink sees each one once the daemon has handled it. The pauses (2 s in all, longer
  // on a loaded machine) let the admission rate grant newcomers far more than the two places
  // of the real peers, should a full table give those away.
  std::vector<std::unique_ptr<RawUdp>> spoofed;
  for (int chunk = 0; chunk < kSources; chunk += 25) {
    std::this_thread::sleep_for(std::chrono::milliseconds(170));
    for (int n = chunk; n < chunk + 25; ++n) {
      std::string address =
          "127.0." + std::to_string(1 + n / 250) + "." + std::to_string(1 + n % 250);
      spoofed.push_back(std::make_unique<RawUdp>(AF_INET, 0, address.c_str()));
      ASSERT_TRUE(spoofed.back()->ok()) << address;
      ASSERT_TRUE(spoofed.back()->send_to(mixer_port, osc_message("/spoof")));
    }
    for (int n = chunk; n < chunk + 25; ++n) {
      ASSERT_EQ(address_of(sink.receive()), "/spoof") << n << "\n" << daemon.log();
    }
  }

  // The real peers are still answered: they are still talking, so no newcomer took their place.
  for (SourcePeer* peer : {&first, &second}) {
    ASSERT_GE(lo_send_from(mixer, peer->server(), LO_TT_IMMEDIATE, "/xremote", ""), 0);
    ASSERT_EQ(address_of(sink.receive()), "/xremote") << daemon.log();
  }
  lo_address_free(mixer);
  ASSERT_TRUE(desk.send_to(desk_port, osc_message("/after/burst")));
  EXPECT_TRUE(first.wait_for_address("/after/burst")) << daemon.log();
  EXPECT_TRUE(second.wait_for_address("/after/burst")) << daemon.log();

  ASSERT_EQ(daemon.stop(), 0) << daemon.log();
  const std::string& log = daemon.log();
  // Counted: at most kMaxPeers - 2 newcomers found a place; every other one was refused.
  std::smatch refused;
  std::string mixer_counters = counters(log, "endpoint", "mixer");
  ASSERT_TRUE(std::regex_search(mixer_counters, refused, std::regex("reply peers refused (\\d+)")))
      << log;
  EXPECT_GE(std::stoi(refused[1]), kSources - (kMaxPeers - 2)) << mixer_counters;
  EXPECT_LE(std::stoi(refused[1]), kSources) << mixer_counters;
  // Logged in a bounded number of lines, not one per source: new peers one by one up to a
  // handful, refusals once and then a summary per 5 s (the test lasts well under 20 s).
  EXPECT_LE(count_lines(log, "mixer: replying to new peer"), 10u) << log;
  EXPECT_LE(count_lines(log, "not replying to new peer|refused \\d+ more new reply peers"), 6u)
      << log;
}

}  // namespace
}  // namespace oscbridge::e2e

// `reply: others` (issue 8, item 10): peers of one endpoint kept in sync. A message from one
// reply peer, routed back to its own endpoint by `{from: tablets, to: tablets}`, goes to every
// other peer but not back to its sender; a message from elsewhere goes to every peer.
#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

std::size_t count_address(const std::vector<FromPeer>& messages, const std::string& address) {
  return static_cast<std::size_t>(
      std::count_if(messages.begin(), messages.end(),
                    [&](const FromPeer& message) { return message.address == address; }));
}

TEST(UdpReplyOthersTest, APeersMessageGoesToTheOtherPeersButNotBackToIt) {
  auto tablets_port = free_port();
  auto desk_port = free_port();
  SourcePeer first;
  SourcePeer second;
  SourcePeer third;
  RawUdp desk;
  ASSERT_TRUE(first.ok() && second.ok() && third.ok() && desk.ok());
  Daemon daemon(
      "endpoints:\n"
      "  tablets: { protocol: udp, listen: " +
      at(tablets_port) +
      ", reply: others }\n"
      "  desk: { protocol: udp, listen: " +
      at(desk_port) +
      " }\n"
      "routes:\n"
      "  - { name: sync, from: tablets, to: tablets }\n"
      "  - { name: from_desk, from: desk, to: tablets }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  lo_address tablets = lo_address_new("127.0.0.1", std::to_string(tablets_port).c_str());
  ASSERT_NE(tablets, nullptr);
  // Each tablet says hello in turn; once the daemon logged it as a peer, the next one sends.
  // The first hello reaches nobody else yet; later ones reach the tablets heard before.
  for (SourcePeer* peer : {&first, &second, &third}) {
    ASSERT_GE(lo_send_from(tablets, peer->server(), LO_TT_IMMEDIATE, "/hello", ""), 0);
    ASSERT_TRUE(
        daemon.wait_log("replying to new peer [^\\n]*:" + std::to_string(peer->port()) + "\\b"))
        << daemon.log();
  }

  // One tablet moves a fader: the two others follow. The daemon sends a message's copies in
  // one pass, so once both others have it, a copy for the sender would be waiting there too.
  ASSERT_GE(lo_send_from(tablets, first.server(), LO_TT_IMMEDIATE, "/1/fader1", "f", 0.5f), 0);
  EXPECT_TRUE(second.wait_for_address("/1/fader1")) << daemon.log();
  EXPECT_TRUE(third.wait_for_address("/1/fader1")) << daemon.log();
  ASSERT_GE(lo_send_from(tablets, second.server(), LO_TT_IMMEDIATE, "/1/fader2", "f", 0.25f), 0);
  EXPECT_TRUE(first.wait_for_address("/1/fader2")) << daemon.log();
  EXPECT_TRUE(third.wait_for_address("/1/fader2")) << daemon.log();
  lo_address_free(tablets);

  // A message from another endpoint goes to every tablet, from the listen port: even to the
  // tablet whose own socket sent it there, since it did not come from the tablets endpoint.
  lo_address to_desk = lo_address_new("127.0.0.1", std::to_string(desk_port).c_str());
  ASSERT_NE(to_desk, nullptr);
  ASSERT_GE(lo_send_from(to_desk, first.server(), LO_TT_IMMEDIATE, "/via/desk", ""), 0);
  lo_address_free(to_desk);
  ASSERT_TRUE(desk.send_to(desk_port, osc_message("/from/desk")));
  for (SourcePeer* peer : {&first, &second, &third}) {
    EXPECT_TRUE(peer->wait_for_address("/from/desk")) << peer->port() << "\n" << daemon.log();
    EXPECT_EQ(peer->received().back().source_port, std::to_string(tablets_port));
    EXPECT_EQ(count_address(peer->received(), "/via/desk"), 1u) << peer->port();
  }

  // Every copy of the fader messages was queued before /from/desk, so all are in by now.
  EXPECT_EQ(count_address(first.drain(), "/1/fader1"), 0u) << "the sender's own fader came back";
  EXPECT_EQ(count_address(second.drain(), "/1/fader2"), 0u) << "the sender's own fader came back";
  EXPECT_EQ(count_address(second.received(), "/1/fader1"), 1u);
  EXPECT_EQ(count_address(first.received(), "/1/fader2"), 1u);

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  // sync: /hello x3 reaching 0, 1 and 2 others; each fader reaching 2; from_desk: 2 x 3.
  EXPECT_EQ(counters(daemon.log(), "endpoint", "tablets"),
            "received 5, sent 13, dropped 1 (no_peer 1)")
      << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

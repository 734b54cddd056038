// TCP `listen:` endpoints of the real daemon, against clients that control every byte (our
// socket layer) and liblo: SLIP framing out to every connected client, length-prefixed frames
// in whatever pieces TCP delivers them (each piece made a read of its own by waiting until the
// daemon has read the previous one), and a bad length that costs only its own connection.
#include "tests/e2e/tcp_helpers.h"

namespace oscbridge::e2e {
namespace {

std::string port_text(std::uint16_t port) {
  return std::to_string(port);
}

TEST(TcpListenTest, UdpMessageReachesEverySlipClientDoubleEndFramed) {
  auto udp_port = free_port();
  auto tcp_port = free_port(SOCK_STREAM);
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      port_text(udp_port) +
      " }\n"
      "  eos: { protocol: tcp, listen: 127.0.0.1:" +
      port_text(tcp_port) +
      ", framing: slip }\n"
      "routes:\n"
      "  - { from: surface, to: eos }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  StreamPeer first(tcp_port, Framing::slip);
  ASSERT_TRUE(first.ok()) << first.error();
  ASSERT_TRUE(daemon.wait_log(first.connected_log("eos"))) << daemon.log();

  // 192 and 219 end in the bytes SLIP must escape (END 0xC0, ESC 0xDB).
  LoMessage fader("/eos/chan/1");
  fader.i(192).i(219).f(0.5f).s("level");
  ASSERT_TRUE(fader.send_udp(udp_port));
  ASSERT_EQ(first.wait_frames(1).size(), 1u) << daemon.log();
  EXPECT_EQ(first.raw(), reference_slip(fader.bytes()))
      << "expected END, the escaped packet, END (OSC 1.1 double-END framing)";
  auto decoded = lo_decode(first.frames()[0]);
  ASSERT_TRUE(decoded) << "liblo cannot parse the deframed packet";
  EXPECT_EQ(decoded->address, "/eos/chan/1");
  EXPECT_EQ(decoded->args, (std::vector<std::string>{"i:192", "i:219", "f:0.5", "s:level"}));

  StreamPeer second(tcp_port, Framing::slip);
  ASSERT_TRUE(second.ok()) << second.error();
  ASSERT_TRUE(daemon.wait_log(second.connected_log("eos"))) << daemon.log();
  LoMessage go("/eos/go");
  go.i(2);
  ASSERT_TRUE(go.send_udp(udp_port));
  ASSERT_EQ(first.wait_frames(2).size(), 2u) << daemon.log();
  ASSERT_EQ(second.wait_frames(1).size(), 1u) << daemon.log();
  EXPECT_EQ(first.raw(), reference_slip(fader.bytes()) + reference_slip(go.bytes()));
  EXPECT_EQ(second.raw(), reference_slip(go.bytes()))
      << "a client gets what is routed after it connected, and nothing older";

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_NE(daemon.log().find("endpoint eos: received 0, sent 3, dropped 0"), std::string::npos)
      << "one send per connected client: " << daemon.log();
}

TEST(TcpListenTest, LengthPrefixedFramesReachUdpWhateverTheReadBoundaries) {
  auto tcp_port = free_port(SOCK_STREAM);
  LoPeer desk(free_port());
  ASSERT_TRUE(desk.ok());
  Daemon daemon(
      "endpoints:\n"
      "  eos: { protocol: tcp, listen: 127.0.0.1:" +
      port_text(tcp_port) +
      ", framing: length, max_frame: 256 }\n"
      "  desk: { protocol: udp, send: 127.0.0.1:" +
      port_text(desk.port()) +
      " }\n"
      "routes:\n"
      "  - { from: eos, to: desk }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  StreamPeer client(tcp_port, Framing::length);
  ASSERT_TRUE(client.ok()) << client.error();
  ASSERT_TRUE(daemon.wait_log(client.connected_log("eos"))) << daemon.log();

  // Three frames in one write.
  LoMessage one("/batch/1"), two("/batch/2"), three("/batch/3");
  one.i(1);
  two.f(2.5f);
  three.s("three");
  ASSERT_TRUE(client.send(reference_length_frame(one.bytes()) +
                          reference_length_frame(two.bytes()) +
                          reference_length_frame(three.bytes())));
  ASSERT_EQ(desk.wait_for(3).size(), 3u) << daemon.log();
  EXPECT_EQ(desk.received()[0].address, "/batch/1");
  EXPECT_EQ(desk.received()[0].args, std::vector<std::string>{"i:1"});
  EXPECT_EQ(desk.received()[1].address, "/batch/2");
  EXPECT_EQ(desk.received()[1].args, std::vector<std::string>{"f:2.5"});
  EXPECT_EQ(desk.received()[2].address, "/batch/3");
  EXPECT_EQ(desk.received()[2].args, std::vector<std::string>{"s:three"});

  // One frame in four writes: the header in two halves, then half the body, then the rest.
  // Each write is read by the daemon (gone from its socket's receive queue) before the next
  // one is sent, so each is a read of its own, whatever the load. A partial frame must yield
  // nothing: had any piece been routed, it would reach the desk ahead of the whole frame.
  LoMessage split("/split");
  split.f(0.25f).s("halves");
  std::string frame = reference_length_frame(split.bytes());
  std::size_t body_half = 4 + (frame.size() - 4) / 2;
  for (auto [from, to] : {std::pair<std::size_t, std::size_t>{0, 2}, {2, 4}, {4, body_half}}) {
    ASSERT_TRUE(client.send(frame.substr(from, to - from)));
    ASSERT_TRUE(wait_read_by_peer(client.local_port(), tcp_port))
        << "the daemon never read bytes " << from << ".." << to << "\n"
        << daemon.log();
  }
  ASSERT_TRUE(client.send(frame.substr(body_half)));
  ASSERT_EQ(desk.wait_for(4).size(), 4u) << daemon.log();
  EXPECT_EQ(desk.received()[3].address, "/split") << "a partial frame was routed";
  EXPECT_EQ(desk.received()[3].args, (std::vector<std::string>{"f:0.25", "s:halves"}));

  // liblo over TCP frames with the OSC 1.0 length prefix unless told to use SLIP.
  lo_address lo_client =
      lo_address_new_with_proto(LO_TCP, "127.0.0.1", port_text(tcp_port).c_str());
  ASSERT_GT(lo_send(lo_client, "/liblo/tcp", "i", 42), 0) << lo_address_errstr(lo_client);
  ASSERT_EQ(desk.wait_for(5).size(), 5u) << daemon.log();
  EXPECT_EQ(desk.received()[4].address, "/liblo/tcp");
  EXPECT_EQ(desk.received()[4].args, std::vector<std::string>{"i:42"});
  lo_address_free(lo_client);

  // A length over max_frame makes the rest of that stream meaningless: only that client goes.
  StreamPeer liar(tcp_port, Framing::length);
  ASSERT_TRUE(liar.ok()) << liar.error();
  ASSERT_TRUE(daemon.wait_log(liar.connected_log("eos"))) << daemon.log();
  ASSERT_TRUE(liar.send(std::string("\0\0\x03\xE8", 4) + std::string(64, 'x')));  // 1000 bytes
  EXPECT_TRUE(liar.wait_closed()) << "the daemon kept a connection whose framing is lost\n"
                                  << daemon.log();
  EXPECT_TRUE(daemon.wait_log("eos: closing client 127\\.0\\.0\\.1:" +
                              std::to_string(liar.local_port()) + ": stream framing lost"))
      << daemon.log();

  LoMessage after("/after");
  after.i(7);
  ASSERT_TRUE(client.send(reference_length_frame(after.bytes())));
  ASSERT_EQ(desk.wait_for(6).size(), 6u) << "the other client lost service\n" << daemon.log();
  EXPECT_EQ(desk.received()[5].address, "/after");

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_TRUE(
      std::regex_search(daemon.log(), std::regex("endpoint eos: received 7, sent 0, dropped 1 "
                                                 "\\(too_large 1\\)")))
      << "the refused frame is counted as too large: " << daemon.log();
}

TEST(TcpListenTest, ClientOverMaxClientsIsClosedAndCountedWhileOthersStay) {
  auto udp_port = free_port();
  auto tcp_port = free_port(SOCK_STREAM);
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      port_text(udp_port) +
      " }\n"
      "  eos: { protocol: tcp, listen: 127.0.0.1:" +
      port_text(tcp_port) +
      ", max_clients: 1 }\n"
      "routes:\n"
      "  - { from: surface, to: eos }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  auto first = std::make_unique<StreamPeer>(tcp_port, Framing::slip);
  ASSERT_TRUE(first->ok()) << first->error();
  ASSERT_TRUE(daemon.wait_log(first->connected_log("eos"))) << daemon.log();

  StreamPeer refused(tcp_port, Framing::slip);
  ASSERT_TRUE(refused.ok()) << refused.error();
  EXPECT_TRUE(refused.wait_closed()) << daemon.log();
  EXPECT_TRUE(
      daemon.wait_log("eos: refused client 127\\.0\\.0\\.1:" + port_text(refused.local_port()) +
                      ": already 1 connected \\(max_clients\\)"))
      << daemon.log();
  LoMessage cue("/cue");
  cue.i(1);
  ASSERT_TRUE(cue.send_udp(udp_port));
  ASSERT_EQ(first->wait_frames(1).size(), 1u) << daemon.log();
  EXPECT_EQ(first->frames()[0], cue.bytes());

  // The slot comes back when its client leaves.
  const std::string first_left = regex_escape(first->disconnected_log("eos"));
  first.reset();
  ASSERT_TRUE(daemon.wait_log(first_left)) << daemon.log();
  StreamPeer third(tcp_port, Framing::slip);
  ASSERT_TRUE(third.ok()) << third.error();
  ASSERT_TRUE(daemon.wait_log(third.connected_log("eos"))) << daemon.log();
  ASSERT_TRUE(cue.send_udp(udp_port));
  ASSERT_EQ(third.wait_frames(1).size(), 1u) << daemon.log();

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_NE(daemon.log().find("endpoint eos: received 0, sent 2, dropped 1 (max_clients 1)"),
            std::string::npos)
      << daemon.log();
}

TEST(TcpListenTest, PartialFrameLeftIdleClosesOnlyThatConnection) {
  auto udp_port = free_port();
  auto tcp_port = free_port(SOCK_STREAM);
  LoPeer desk(free_port());
  ASSERT_TRUE(desk.ok());
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      port_text(udp_port) +
      " }\n"
      "  eos: { protocol: tcp, listen: 127.0.0.1:" +
      port_text(tcp_port) +
      ", idle_timeout: 300ms }\n"
      "  desk: { protocol: udp, send: 127.0.0.1:" +
      port_text(desk.port()) +
      " }\n"
      "routes:\n"
      "  - { from: surface, to: eos }\n"
      "  - { from: eos, to: desk }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  StreamPeer quiet(tcp_port, Framing::slip);
  ASSERT_TRUE(quiet.ok()) << quiet.error();
  ASSERT_TRUE(daemon.wait_log(quiet.connected_log("eos"))) << daemon.log();
  StreamPeer stalled(tcp_port, Framing::slip);
  ASSERT_TRUE(stalled.ok()) << stalled.error();
  ASSERT_TRUE(daemon.wait_log(stalled.connected_log("eos"))) << daemon.log();

  // All of a frame but its closing END: the whole packet is there, yet the frame is not.
  LoMessage half("/half");
  half.i(1);
  std::string frame = reference_slip(half.bytes());
  auto sent_at = Clock::now();
  ASSERT_TRUE(stalled.send(frame.substr(0, frame.size() - 1)));
  EXPECT_TRUE(stalled.wait_closed(10000)) << daemon.log();
  EXPECT_GE(Clock::now() - sent_at, std::chrono::milliseconds(300))
      << "closed before the partial frame had been idle for idle_timeout";
  EXPECT_TRUE(daemon.wait_log("eos: closing client 127\\.0\\.0\\.1:" +
                              port_text(stalled.local_port()) + ": partial frame idle for 300 ms"))
      << daemon.log();

  // An idle connection between frames is not a stalled one.
  LoMessage cue("/cue");
  cue.i(2);
  ASSERT_TRUE(cue.send_udp(udp_port));
  ASSERT_EQ(quiet.wait_frames(1).size(), 1u) << daemon.log();
  EXPECT_FALSE(quiet.closed());

  // The stalled frame is gone with its connection, not routed: a whole frame sent now on the
  // same endpoint reaches the desk, and it is the first thing there.
  LoMessage whole("/whole");
  whole.i(3);
  ASSERT_TRUE(quiet.send(reference_slip(whole.bytes())));
  ASSERT_GE(desk.wait_for(1).size(), 1u) << daemon.log();
  EXPECT_EQ(desk.received()[0].address, "/whole") << "the stalled partial frame was routed";
  EXPECT_EQ(desk.received().size(), 1u);
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_NE(daemon.log().find("endpoint eos: received 1, sent 1, dropped 0"), std::string::npos)
      << daemon.log();
}

TEST(TcpListenTest, ServesIpv6Loopback) {
  {
    auto [probe, error] = socket::create_server("::1", 0, socket::Protocol::tcp);
    if (!probe) GTEST_SKIP() << "no IPv6 loopback here: " << error;
  }
  auto udp_port = free_port();
  auto tcp_port = free_port(SOCK_STREAM);
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      port_text(udp_port) +
      " }\n"
      "  eos: { protocol: tcp, listen: \"[::1]:" +
      port_text(tcp_port) +
      "\", framing: length }\n"
      "routes:\n"
      "  - { from: surface, to: eos }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  StreamPeer client(tcp_port, Framing::length, "::1");
  ASSERT_TRUE(client.ok()) << client.error();
  ASSERT_TRUE(
      daemon.wait_log("eos: client \\[::1\\]:" + port_text(client.local_port()) + " connected"))
      << daemon.log();
  LoMessage cue("/cue");
  cue.f(1.5f);
  ASSERT_TRUE(cue.send_udp(udp_port));
  ASSERT_EQ(client.wait_frames(1).size(), 1u) << daemon.log();
  EXPECT_EQ(client.raw(), reference_length_frame(cue.bytes()));
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

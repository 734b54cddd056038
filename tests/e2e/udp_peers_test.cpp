// Which UDP peers get a routed message: every peer of a `reply: true` endpoint, answered
// from the listen port (as an X32 answers); never the endpoint the message came from through
// a catch-all route; the source endpoint itself when a route names it in both from and to.
#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

TEST(UdpPeersTest, ReplyEndpointAnswersEveryPeerFromItsListenPort) {
  auto mixer_port = free_port();
  auto desk_port = free_port();
  LoPeer sink(free_port());
  SourcePeer first;
  SourcePeer second;
  RawUdp desk;      // sends to the desk endpoint, which has no reply: true
  RawUdp desk_out;  // the desk endpoint's send: destination
  ASSERT_TRUE(sink.ok() && first.ok() && second.ok() && desk.ok() && desk_out.ok());
  ASSERT_NE(first.port(), second.port());
  Daemon daemon(
      "endpoints:\n"
      "  mixer: { protocol: udp, listen: " +
      at(mixer_port) +
      ", reply: true }\n"
      "  desk: { protocol: udp, listen: " +
      at(desk_port) + ", send: " + at(desk_out.port()) +
      " }\n"
      "  sink: { protocol: udp, send: " +
      at(sink.port()) +
      " }\n"
      "routes:\n"
      "  - { name: to_mixer, from: desk, to: mixer }\n"
      "  - { name: from_mixer, from: mixer, to: sink }\n"
      "  - { name: to_desk, from: mixer, match: /to/desk/*, to: desk }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  // Each peer sends from its own server's port, so that is the port the daemon must answer.
  lo_address mixer = lo_address_new("127.0.0.1", std::to_string(mixer_port).c_str());
  ASSERT_NE(mixer, nullptr);
  ASSERT_GE(lo_send_from(mixer, first.server(), LO_TT_IMMEDIATE, "/xremote", ""), 0);
  ASSERT_GE(lo_send_from(mixer, second.server(), LO_TT_IMMEDIATE, "/xremote", ""), 0);
  lo_address_free(mixer);
  ASSERT_TRUE(
      daemon.wait_log("replying to new peer [^\\n]*:" + std::to_string(first.port()) + "\\b"))
      << daemon.log();
  ASSERT_TRUE(
      daemon.wait_log("replying to new peer [^\\n]*:" + std::to_string(second.port()) + "\\b"))
      << daemon.log();
  EXPECT_EQ(sink.wait_for(2).size(), 2u) << daemon.log();

  ASSERT_TRUE(desk.send_to(desk_port,
                           osc_message("/ch/01/mix/fader", [](auto& m) { m.add_float(0.75f); })));
  for (SourcePeer* peer : {&first, &second}) {
    const auto& got = peer->wait_for(1);
    ASSERT_EQ(got.size(), 1u) << "peer on port " << peer->port() << "\n" << daemon.log();
    EXPECT_EQ(got[0].address, "/ch/01/mix/fader");
    EXPECT_EQ(got[0].source_port, std::to_string(mixer_port)) << "not from the listen port";
  }
  // The desk has sent to its endpoint, but that endpoint has no reply: true, so what is
  // routed to it goes to its send: address only. The daemon handles datagrams in turn, so
  // once desk_out has the second of two, every copy of the first has left: one for the
  // desk would be waiting there.
  lo_address to_mixer = lo_address_new("127.0.0.1", std::to_string(mixer_port).c_str());
  ASSERT_NE(to_mixer, nullptr);
  for (const char* path : {"/to/desk/1", "/to/desk/2"}) {
    ASSERT_GE(lo_send_from(to_mixer, first.server(), LO_TT_IMMEDIATE, path, ""), 0);
  }
  lo_address_free(to_mixer);
  EXPECT_EQ(address_of(desk_out.receive()), "/to/desk/1") << daemon.log();
  EXPECT_EQ(address_of(desk_out.receive()), "/to/desk/2") << daemon.log();
  EXPECT_EQ(address_of(desk.receive(0)), "(nothing)") << "a peer of a no-reply endpoint was "
                                                         "answered";

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_EQ(counters(daemon.log(), "endpoint", "mixer"), "received 4, sent 2, dropped 0")
      << daemon.log();
  EXPECT_EQ(counters(daemon.log(), "endpoint", "desk"), "received 1, sent 2, dropped 0")
      << daemon.log();
}

// reply_window: a peer that stops sending is no longer answered; one that keeps sending is.
TEST(UdpPeersTest, ReplyPeerSilentForLongerThanTheWindowIsForgotten) {
  auto mixer_port = free_port();
  auto desk_port = free_port();
  SourcePeer quiet;
  SourcePeer chatty;
  RawUdp desk;
  RawUdp sink;  // where the peers' own messages go, to see when the daemon has had them
  ASSERT_TRUE(quiet.ok() && chatty.ok() && desk.ok() && sink.ok());
  Daemon daemon(
      "endpoints:\n"
      "  mixer: { protocol: udp, listen: " +
      at(mixer_port) +
      ", reply: true, reply_window: 1s }\n"
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
  // A peer's message has been handled (its time noted) once the sink has it.
  auto heard = [&](SourcePeer& peer) {
    return lo_send_from(mixer, peer.server(), LO_TT_IMMEDIATE, "/xremote", "") >= 0 &&
           address_of(sink.receive()) == "/xremote";
  };
  ASSERT_TRUE(heard(quiet)) << daemon.log();
  // The daemon forgets a peer when it next sends, so keep sending (chatty keeping its place)
  // until it says it let quiet go; the window is 1 s, the wait bounded well beyond it.
  const std::string forgotten =
      "peer [^\\n]*:" + std::to_string(quiet.port()) + " silent for 1 s, no longer replied to";
  bool forgot = false;
  for (int tick = 0; tick < 50 && !forgot; ++tick) {
    ASSERT_TRUE(heard(chatty)) << daemon.log();
    ASSERT_TRUE(desk.send_to(desk_port, osc_message("/tick")));
    forgot = daemon.wait_log(forgotten, 200).has_value();
  }
  ASSERT_TRUE(forgot) << daemon.log();

  // The daemon answers its peers in one pass, so once chatty has /after, a copy for quiet
  // would already be queued there.
  ASSERT_TRUE(heard(chatty)) << daemon.log();
  ASSERT_TRUE(desk.send_to(desk_port, osc_message("/after")));
  EXPECT_TRUE(chatty.wait_for_address("/after")) << daemon.log();
  for (const auto& message : quiet.drain()) {
    EXPECT_EQ(message.address, "/tick") << "a forgotten peer was answered";
  }
  lo_address_free(mixer);
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

// Endpoints a and b each listen and send to a raw socket of their own (peer_a, peer_b).
struct TwoEndpoints {
  std::uint16_t a_port = free_port();
  std::uint16_t b_port = free_port();
  RawUdp peer_a;
  RawUdp peer_b;
  RawUdp source;  // sends to a_port and b_port

  std::string endpoints() const {
    return "endpoints:\n"
           "  a: { protocol: udp, listen: " +
           at(a_port) + ", send: " + at(peer_a.port()) +
           " }\n"
           "  b: { protocol: udp, listen: " +
           at(b_port) + ", send: " + at(peer_b.port()) + " }\n";
  }
};

TEST(UdpPeersTest, CatchAllRouteNeverSendsBackToTheSourceEndpoint) {
  TwoEndpoints net;
  ASSERT_TRUE(net.peer_a.ok() && net.peer_b.ok() && net.source.ok());
  Daemon daemon(net.endpoints() +
                "routes:\n"
                "  - { name: everywhere, to: [a, b] }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  // Messages alternate between the two sources, each sent once the previous one arrived.
  // The daemon sends a message's copies before it reads the next datagram, so a copy that
  // went back to its source would sit in that peer's queue ahead of the next expected one.
  ASSERT_TRUE(net.source.send_to(net.a_port, osc_message("/from/a/1")));
  EXPECT_EQ(address_of(net.peer_b.receive()), "/from/a/1") << daemon.log();
  ASSERT_TRUE(net.source.send_to(net.b_port, osc_message("/from/b/1")));
  EXPECT_EQ(address_of(net.peer_a.receive()), "/from/b/1") << daemon.log();
  ASSERT_TRUE(net.source.send_to(net.a_port, osc_message("/from/a/2")));
  EXPECT_EQ(address_of(net.peer_b.receive()), "/from/a/2") << daemon.log();
  ASSERT_TRUE(net.source.send_to(net.b_port, osc_message("/from/b/2")));
  EXPECT_EQ(address_of(net.peer_a.receive()), "/from/b/2") << daemon.log();

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_EQ(counters(daemon.log(), "route", "everywhere"), "matched 4, sent 4, dropped 0")
      << daemon.log();
}

TEST(UdpPeersTest, RouteNamingTheSourceInFromAndToEchoesBack) {
  TwoEndpoints net;
  ASSERT_TRUE(net.peer_a.ok() && net.peer_b.ok() && net.source.ok());
  Daemon daemon(net.endpoints() +
                "routes:\n"
                "  - { name: echo, from: a, to: a }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  ASSERT_TRUE(
      net.source.send_to(net.a_port, osc_message("/echo", [](auto& m) { m.add_int32(5); })));
  auto echoed = net.peer_a.receive();
  ASSERT_EQ(address_of(echoed), "/echo") << daemon.log();
  EXPECT_EQ(echoed->source_port, net.a_port) << "an endpoint with listen sends from it";

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_EQ(counters(daemon.log(), "endpoint", "a"), "received 1, sent 1, dropped 0")
      << daemon.log();
}

// A DAW started after the bridge: the datagram sent while nothing listened draws an ICMP "port
// unreachable", which a connected socket would report on its next send instead of sending. The
// first message once the destination is up must still arrive.
TEST(UdpPeersTest, DestinationThatStartsLateGetsTheFirstMessageAfterItStarted) {
  auto in_port = free_port();
  auto late_port = free_port();
  RawUdp probe;
  RawUdp sender;
  ASSERT_TRUE(probe.ok() && sender.ok());
  Daemon daemon(
      "endpoints:\n"
      "  in: { protocol: udp, listen: " +
      at(in_port) +
      " }\n"
      "  daw: { protocol: udp, send: " +
      at(late_port) +
      " }\n"
      "  probe: { protocol: udp, send: " +
      at(probe.port()) +
      " }\n"
      "routes:\n"
      "  - { name: forward, from: in, to: [daw, probe] }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  // daw's copy leaves before probe's, so when probe has it the refused datagram is out.
  ASSERT_TRUE(sender.send_to(in_port, osc_message("/before/start")));
  ASSERT_EQ(address_of(probe.receive()), "/before/start") << daemon.log();
  RawUdp daw(AF_INET, late_port);
  ASSERT_TRUE(daw.ok());
  ASSERT_TRUE(sender.send_to(in_port, osc_message("/after/start")));
  EXPECT_EQ(address_of(daw.receive()), "/after/start") << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

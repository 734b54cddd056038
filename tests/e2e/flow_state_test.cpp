// State for late joiners and send pacing through the real daemon (issue 10): a TCP client
// connecting late (to a listen endpoint, or a server a connect endpoint reaches late) and a
// UDP reply peer heard for the first time get the last value of every address, after
// on_connect; state_max forgets the least recently updated address and counts it; a snapshot
// larger than a client's queue_limit is counted as queue_full; a reload keeps the state.
// pace: 1000 spreads a 5,000-message burst over about 5 s, complete and in order; a burst
// larger than pace_queue is counted as pace_full.
#include "tests/e2e/control_helpers.h"
#include "tests/e2e/tcp_helpers.h"
#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

std::string int_message(const std::string& address, std::int32_t value) {
  return osc_message(address, [&](osc::MessageBuilder& m) { m.add_int32(value); });
}

// "/a i:3": a decoded message in short, for comparing lists.
std::string brief(std::string_view packet) {
  auto decoded = lo_decode(packet);
  if (!decoded) return "(not a message)";
  std::string text = decoded->address;
  for (const auto& arg : decoded->args) text += " " + arg;
  return text;
}

std::vector<std::string> briefs(const std::vector<std::string>& packets) {
  std::vector<std::string> out;
  for (const auto& packet : packets) out.push_back(brief(packet));
  return out;
}

// A UDP input endpoint `in` routing everything to `out`, whose settings the test gives.
std::string config_with(std::uint16_t in_port, const std::string& out) {
  return "endpoints:\n"
         "  in: { protocol: udp, listen: " +
         at(in_port) + " }\n  out:\n" + out +
         "routes:\n"
         "  - { name: values, from: in, to: out }\n";
}

// Sends messages to the daemon's `in` and waits until it has received them all (and so routed
// them to `out`, as sent or dropped: nobody may be there to take them yet). before: how many
// `in` received earlier.
void feed(Daemon& daemon, RawUdp& source, std::uint16_t in_port,
          const std::vector<std::string>& messages, std::size_t before = 0) {
  for (const auto& message : messages) ASSERT_TRUE(source.send_to(in_port, message));
  const std::string total = "received " + std::to_string(before + messages.size()) + ",";
  const std::string line = wait_counters(daemon, "in", total);
  ASSERT_NE(line.find(total), std::string::npos) << line << "\n" << daemon.log();
}

TEST(StateTest, ALateTcpClientGetsTheLastValueOfEveryAddressAfterOnConnect) {
  const auto in_port = free_port();
  const auto listen_port = free_port();
  RawUdp source;
  ASSERT_TRUE(source.ok());
  Daemon daemon(config_with(in_port, "    protocol: tcp\n    listen: " + at(listen_port) +
                                         "\n    state: true\n"
                                         "    on_connect: [ [/hello] ]\n"));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  feed(daemon, source, in_port,
       {int_message("/a", 1), int_message("/b", 2), int_message("/a", 3), int_message("/c", 4),
        int_message("/b", 5)});
  // Least recently updated first: the replay ends on the newest value. The first client's
  // live /c updates the state the second one gets.
  const std::vector<std::vector<std::string>> expected = {
      {"/hello", "/a i:3", "/c i:4", "/b i:5"}, {"/hello", "/a i:3", "/b i:5", "/c i:10"}};
  for (int client = 0; client < 2; ++client) {
    StreamPeer tablet(listen_port, Framing::slip);
    ASSERT_TRUE(tablet.ok()) << tablet.error();
    EXPECT_EQ(briefs(tablet.wait_frames(4)), expected[client]) << daemon.log();
    // Then live traffic.
    ASSERT_TRUE(source.send_to(in_port, int_message("/c", 10 + client)));
    const auto& live = tablet.wait_frames(5);
    ASSERT_EQ(live.size(), 5u) << daemon.log();
    EXPECT_EQ(brief(live[4]), "/c i:" + std::to_string(10 + client));
  }
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(StateTest, AConnectEndpointReplaysTheStateWhenItsServerComesUp) {
  const auto in_port = free_port();
  const auto server_port = free_port();
  RawUdp source;
  ASSERT_TRUE(source.ok());
  Daemon daemon(config_with(in_port, "    protocol: tcp\n    connect: " + at(server_port) +
                                         "\n    state: true\n"
                                         "    reconnect_max: 200ms\n"));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  // Nobody listens yet: each value is dropped as disconnected, and kept.
  feed(daemon, source, in_port,
       {int_message("/fader/1", 10), int_message("/fader/2", 20), int_message("/fader/1", 11)});
  EXPECT_NE(wait_counters(daemon, "out", "disconnected 3").find("disconnected 3"),
            std::string::npos);
  StreamServer console(server_port);
  ASSERT_TRUE(console.ok()) << console.error();
  ASSERT_TRUE(console.wait_connected(5000)) << daemon.log();
  EXPECT_EQ(briefs(console.wait_frames(2)),
            (std::vector<std::string>{"/fader/2 i:20", "/fader/1 i:11"}))
      << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(StateTest, AUdpReplyPeerGetsTheStateTheFirstTimeItIsHeard) {
  const auto in_port = free_port();
  const auto tablets_port = free_port();
  RawUdp source;
  RawUdp tablet;
  ASSERT_TRUE(source.ok());
  ASSERT_TRUE(tablet.ok());
  Daemon daemon(
      "endpoints:\n"
      "  in: { protocol: udp, listen: " +
      at(in_port) +
      " }\n"
      "  tablets:\n"
      "    protocol: udp\n"
      "    listen: " +
      at(tablets_port) +
      "\n"
      "    reply: true\n"
      "    state: true\n"
      "    on_connect: [ [/sync] ]\n"
      "routes:\n"
      "  - { name: values, from: in, to: tablets }\n"
      "  - { name: ping, from: tablets, to: tablets, match: /ping, address: /pong }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  feed(daemon, source, in_port, {int_message("/x", 1), int_message("/y", 2), int_message("/x", 3)});
  std::vector<std::string> got;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(tablet.send_to(tablets_port, osc_message("/ping")));
    while (true) {
      auto datagram = tablet.receive(5000);
      ASSERT_TRUE(datagram) << daemon.log();
      got.push_back(brief(datagram->bytes));
      if (got.back() == "/pong") break;
    }
  }
  // The second ping is a known peer: no snapshot again. /pong itself is kept as state too.
  EXPECT_EQ(got, (std::vector<std::string>{"/sync", "/y i:2", "/x i:3", "/pong", "/pong"}));
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(StateTest, StateMaxForgetsTheLeastRecentlyUpdatedAddressAndCountsIt) {
  const auto in_port = free_port();
  const auto listen_port = free_port();
  RawUdp source;
  ASSERT_TRUE(source.ok());
  TempDir dir;
  const std::string control = dir.file("control.sock");
  Daemon daemon("control: " + control + "\n" +
                config_with(in_port, "    protocol: tcp\n    listen: " + at(listen_port) +
                                         "\n    state: true\n    state_max: 3\n"));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  feed(daemon, source, in_port,
       {int_message("/1", 1), int_message("/2", 2), int_message("/3", 3), int_message("/1", 4),
        int_message("/4", 5), int_message("/5", 6)});
  const std::string line = wait_counters(daemon, "out", "state evicted 2");
  EXPECT_NE(line.find("state evicted 2"), std::string::npos) << line << "\n" << daemon.log();
  EXPECT_NE(daemon.log().find("out: state is full (3 addresses, state_max)"), std::string::npos)
      << daemon.log();
  // The status JSON (control socket, HTTP) carries the count too.
  auto reply = ControlClient(control).ask({{"command", "status"}});
  ASSERT_TRUE(reply && reply->contains("status")) << daemon.log();
  const auto& out = (*reply)["status"]["endpoints"][1];
  EXPECT_EQ(out["name"], "out");
  EXPECT_EQ(out["counters"]["state_evicted"], 2);
  StreamPeer tablet(listen_port, Framing::slip);
  ASSERT_TRUE(tablet.ok()) << tablet.error();
  tablet.wait_frames(4, 1000);  // one more than expected: nothing else may come
  EXPECT_EQ(briefs(tablet.frames()), (std::vector<std::string>{"/1 i:4", "/4 i:5", "/5 i:6"}))
      << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

// A snapshot larger than the client's queue_limit: what does not fit is counted as queue_full,
// and every message of it is either received or counted.
TEST(StateTest, ASnapshotBeyondQueueLimitIsCountedAsQueueFull) {
  const auto in_port = free_port();
  const auto listen_port = free_port();
  RawUdp source;
  ASSERT_TRUE(source.ok());
  Daemon daemon(config_with(in_port, "    protocol: tcp\n    listen: " + at(listen_port) +
                                         "\n    state: true\n    queue_limit: 1024\n"
                                         "    max_frame: 1024\n"));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  std::vector<std::string> values;
  for (int i = 0; i < 200; ++i) values.push_back(int_message("/strip/" + std::to_string(i), i));
  // In chunks, so the daemon's receive buffer never overflows.
  for (std::size_t start = 0; start < values.size(); start += 50) {
    const auto from = values.begin() + static_cast<long>(start);
    feed(daemon, source, in_port, std::vector<std::string>(from, from + 50), start);
  }
  StreamPeer tablet(listen_port, Framing::slip);
  ASSERT_TRUE(tablet.ok()) << tablet.error();
  const std::string line = wait_counters(daemon, "out", "queue_full [0-9]+");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(line, match, std::regex("queue_full ([0-9]+)"))) << line << "\n"
                                                                                 << daemon.log();
  const std::size_t refused = std::stoul(match[1]);
  EXPECT_GT(refused, 100u);  // 200 frames of about 24 bytes, 1 KiB queued at most
  tablet.wait_frames(200 - refused, 5000);
  tablet.wait_frames(201 - refused, 500);  // nothing more comes
  EXPECT_EQ(tablet.frames().size() + refused, 200u) << line << "\n" << daemon.log();
  EXPECT_EQ(brief(tablet.frames().front()), "/strip/0 i:0");
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(StateTest, AReloadKeepsTheStateAndAStateMaxChangeKeepsTheNewest) {
  const auto in_port = free_port();
  const auto listen_port = free_port();
  RawUdp source;
  ASSERT_TRUE(source.ok());
  const std::string out =
      "    protocol: tcp\n    listen: " + at(listen_port) + "\n    state: true\n";
  Daemon daemon(config_with(in_port, out));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  feed(daemon, source, in_port, {int_message("/a", 1), int_message("/b", 2), int_message("/c", 3)});
  // Another route: the endpoint is kept, and its state with it.
  ASSERT_TRUE(daemon.reload(config_with(in_port, out) +
                            "  - { name: more, from: in, to: out, match: /never }\n"))
      << daemon.log();
  {
    StreamPeer tablet(listen_port, Framing::slip);
    ASSERT_TRUE(tablet.ok()) << tablet.error();
    EXPECT_EQ(briefs(tablet.wait_frames(3)),
              (std::vector<std::string>{"/a i:1", "/b i:2", "/c i:3"}))
        << daemon.log();
  }
  // A smaller state_max keeps the most recently updated addresses.
  ASSERT_TRUE(daemon.reload(config_with(in_port, out + "    state_max: 2\n"))) << daemon.log();
  StreamPeer tablet(listen_port, Framing::slip);
  ASSERT_TRUE(tablet.ok()) << tablet.error();
  tablet.wait_frames(3, 1000);
  EXPECT_EQ(briefs(tablet.frames()), (std::vector<std::string>{"/b i:2", "/c i:3"}))
      << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

// A TCP input `in` (so a burst is not lost on its way in) routed to a UDP `out` with the
// pace settings given, sending to receiver.
std::string paced_config(std::uint16_t in_port, std::uint16_t receiver, const std::string& pace) {
  return "endpoints:\n"
         "  in: { protocol: tcp, listen: " +
         at(in_port) +
         " }\n"
         "  out:\n"
         "    protocol: udp\n"
         "    send: " +
         at(receiver) + "\n" + pace +
         "routes:\n"
         "  - { name: dump, from: in, to: out }\n";
}

std::string slip_burst(std::size_t count) {
  std::string bytes;
  for (std::size_t i = 0; i < count; ++i) {
    bytes += reference_slip(int_message("/dump", static_cast<std::int32_t>(i)));
  }
  return bytes;
}

// The destination is a TCP server, so that a test process descheduled on a loaded machine
// loses nothing (a UDP receiver's buffer would overflow) and the time is that of the last frame.
TEST(PaceTest, A5000MessageBurstThroughPace1000ArrivesCompleteInOrderInAboutFiveSeconds) {
  const auto in_port = free_port();
  const auto server_port = free_port();
  StreamServer receiver(server_port);
  ASSERT_TRUE(receiver.ok()) << receiver.error();
  Daemon daemon(
      "endpoints:\n"
      "  in: { protocol: tcp, listen: " +
      at(in_port) +
      " }\n"
      "  out: { protocol: tcp, connect: " +
      at(server_port) +
      ", pace: 1000 }\n"
      "routes:\n"
      "  - { name: dump, from: in, to: out }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  ASSERT_TRUE(receiver.wait_connected()) << daemon.log();
  StreamPeer console(in_port, Framing::slip);
  ASSERT_TRUE(console.ok()) << console.error();
  const std::string burst = slip_burst(5000);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(console.send(burst));
  const auto frames = receiver.wait_frames(5000, 20000);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(frames.size(), 5000u) << wait_counters(daemon, "out", "sent") << "\n" << daemon.log();
  for (std::size_t i = 0; i < frames.size(); ++i) {
    ASSERT_EQ(brief(frames[i]), "/dump i:" + std::to_string(i)) << "out of order at " << i;
  }
  std::printf("5000 messages through pace: 1000 took %.3f s\n", seconds);
  EXPECT_GE(seconds, 4.0);
  EXPECT_LE(seconds, 7.0);
  const std::string line = wait_counters(daemon, "out", "sent 5000, dropped 0");
  EXPECT_NE(line.find("sent 5000, dropped 0"), std::string::npos) << line;
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(PaceTest, ABurstLargerThanPaceQueueIsCountedAsPaceFull) {
  const auto in_port = free_port();
  RawUdp receiver;
  ASSERT_TRUE(receiver.ok());
  Daemon daemon(paced_config(in_port, receiver.port(), "    pace: 100\n    pace_queue: 50\n"));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  StreamPeer console(in_port, Framing::slip);
  ASSERT_TRUE(console.ok()) << console.error();
  ASSERT_TRUE(console.send(slip_burst(500)));
  const std::string line = wait_counters(daemon, "out", "pace_full [0-9]+");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(line, match, std::regex("pace_full ([0-9]+)"))) << line << "\n"
                                                                                << daemon.log();
  const std::size_t refused = std::stoul(match[1]);
  // One leaves at once and 50 wait; a slot or two may free up while the burst is read.
  EXPECT_GE(refused, 400u);
  EXPECT_LE(refused, 449u);
  std::vector<std::string> got;
  while (got.size() < 500 - refused) {
    auto datagram = receiver.receive(3000);
    if (!datagram) break;
    got.push_back(brief(datagram->bytes));
  }
  EXPECT_FALSE(receiver.receive(300)) << "more than the queue held";
  EXPECT_EQ(got.size() + refused, 500u) << daemon.log();
  EXPECT_EQ(got.front(), "/dump i:0");
  const std::string after = wait_counters(daemon, "out", "pace_full");
  EXPECT_NE(after.find("pace_full " + std::to_string(refused) + ")"), std::string::npos) << after;
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

// Flow control through the real daemon (issue 10): `rate` thins a 5,000 msg/s fader sweep to
// its rate per address and ends on the last value; `deadband` and `on_change` drop what they
// should and let triggers through; `echo_window` drops a destination's echo within the window
// and routes the same message outside it. Peers are raw loopback sockets and liblo.
#include <atomic>
#include <mutex>
#include <thread>

#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

using Clock = std::chrono::steady_clock;

std::string float_message(const std::string& address, float value) {
  return osc_message(address, [&](osc::MessageBuilder& m) { m.add_float(value); });
}

// The float argument of a received datagram holding one message.
std::optional<float> float_of(const Datagram& datagram) {
  auto packet = osc::parse_packet(datagram.bytes);
  if (!packet || !packet->is_message()) return std::nullopt;
  auto argument = packet->message().argument(0);
  if (!argument || argument->tag() != 'f') return std::nullopt;
  return argument->as_float();
}

struct Arrival {
  Clock::time_point at;
  std::string address;
  float value;
};

TEST(FlowTest, RateLimitsEachAddressToItsRateAndEndsOnTheLastValue) {
  RawUdp daw;
  RawUdp surface;
  ASSERT_TRUE(daw.ok() && surface.ok());
  const auto in_port = free_port();
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: " +
      at(in_port) +
      " }\n"
      "  daw: { protocol: udp, send: " +
      at(daw.port()) +
      " }\n"
      "routes:\n"
      "  - name: faders\n"
      "    from: surface\n"
      "    match: /fader/*\n"
      "    to: daw\n"
      "    rate: 50\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  std::vector<Arrival> arrivals;
  std::atomic<bool> sweeping{true};
  Clock::time_point sweep_end;
  std::thread receiver([&] {
    // Until the sweep ended and a quiet second passed (the last values arrive within 1/50 s).
    Clock::time_point quiet_until = Clock::time_point::max();
    while (Clock::now() < quiet_until) {
      if (!sweeping && quiet_until == Clock::time_point::max()) {
        quiet_until = Clock::now() + std::chrono::seconds(1);
      }
      auto datagram = daw.receive(50);
      if (!datagram) continue;
      auto value = float_of(*datagram);
      arrivals.push_back({Clock::now(), address_of(datagram), value.value_or(-1.0f)});
    }
  });

  // 2 s at 5,000 messages a second, alternating two faders, each sweeping 0..1.
  constexpr int kMessages = 10'000;
  constexpr int kPerTick = 50;  // every 10 ms
  const auto start = Clock::now();
  float last_a = 0.0f;
  float last_b = 0.0f;
  for (int i = 0; i < kMessages; i += kPerTick) {
    for (int j = i; j < i + kPerTick; ++j) {
      const float value = static_cast<float>(j) / kMessages;
      if (j % 2 == 0) {
        last_a = value;
        surface.send_to(in_port, float_message("/fader/a", value));
      } else {
        last_b = 1.0f - value;
        surface.send_to(in_port, float_message("/fader/b", last_b));
      }
    }
    std::this_thread::sleep_until(start + std::chrono::milliseconds(10 * (i / kPerTick + 1)));
  }
  sweep_end = Clock::now();
  sweeping = false;
  receiver.join();

  for (const char* address : {"/fader/a", "/fader/b"}) {
    std::vector<Arrival> mine;
    for (const auto& arrival : arrivals) {
      if (arrival.address == address) mine.push_back(arrival);
    }
    ASSERT_GE(mine.size(), 2u) << address << "\n" << daemon.log();
    // Messages per second over the sweep, from the first arrival to the end of the sweep.
    std::size_t during = 0;
    for (const auto& arrival : mine) during += arrival.at <= sweep_end ? 1 : 0;
    const double seconds = std::chrono::duration<double>(sweep_end - mine.front().at).count();
    const double rate = static_cast<double>(during - 1) / seconds;
    EXPECT_GE(rate, 45.0) << address << ": " << during << " in " << seconds << " s";
    EXPECT_LE(rate, 55.0) << address << ": " << during << " in " << seconds << " s";
    // The fader ends where the sweep left it, within 1/50 s of the end (generous here).
    EXPECT_EQ(mine.back().value, std::string(address) == "/fader/a" ? last_a : last_b) << address;
    EXPECT_LT(mine.back().at - sweep_end, std::chrono::milliseconds(500)) << address;
  }
  // What the rate limit replaced is counted, on the route and the destination.
  daemon.signal(SIGUSR1);
  auto line = daemon.wait_log("endpoint daw: ([^\n]*)");
  ASSERT_TRUE(line) << daemon.log();
  EXPECT_NE(line->find("rate "), std::string::npos) << *line;
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

std::string describe(const std::vector<Received>& messages) {
  std::string text;
  for (const auto& message : messages) {
    text += message.address + " ," + message.types;
    for (const auto& arg : message.args) text += " " + arg;
    text += "\n";
  }
  return text;
}

TEST(FlowTest, DeadbandAndOnChangeDropRepeatsButNeverTriggers) {
  LoPeer daw(free_port());
  ASSERT_TRUE(daw.ok());
  const auto in_port = free_port();
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: " +
      at(in_port) +
      " }\n"
      "  daw: { protocol: udp, send: " +
      at(daw.port()) +
      " }\n"
      "routes:\n"
      "  - name: band\n"
      "    match: /db\n"
      "    to: daw\n"
      "    deadband: 0.1\n"
      "  - name: change\n"
      "    match: /oc/*\n"
      "    to: daw\n"
      "    address: /changed/{1}\n"
      "    on_change: true\n"
      "  - name: end\n"
      "    match: /end\n"
      "    to: daw\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  lo_address to_daemon = lo_address_new("127.0.0.1", std::to_string(in_port).c_str());
  ASSERT_NE(to_daemon, nullptr);
  lo_send(to_daemon, "/db", "f", 0.5f);
  lo_send(to_daemon, "/db", "f", 0.55f);           // within 0.1 of 0.5: dropped
  lo_send(to_daemon, "/db", "f", 0.65f);           // 0.15 from the last sent: passes
  lo_send(to_daemon, "/db", "f", 0.6f);            // within 0.1 of 0.65: dropped
  lo_send(to_daemon, "/db", "fs", 0.6f, "other");  // other types: passes
  lo_send(to_daemon, "/db", "");                   // a trigger, twice: both pass
  lo_send(to_daemon, "/db", "");
  lo_send(to_daemon, "/oc/1", "i", 1);
  lo_send(to_daemon, "/oc/1", "i", 1);  // unchanged: dropped
  lo_send(to_daemon, "/oc/2", "i", 1);  // another address: passes
  lo_send(to_daemon, "/oc/1", "i", 2);
  lo_send(to_daemon, "/oc/1", "i", 1);  // changed back: passes
  lo_send(to_daemon, "/oc/1", "T");     // triggers, twice: both pass
  lo_send(to_daemon, "/oc/1", "T");
  lo_send(to_daemon, "/oc/1", "s", "x");
  lo_send(to_daemon, "/oc/1", "s", "x");  // unchanged: dropped
  lo_send(to_daemon, "/end", "");
  lo_address_free(to_daemon);

  const auto& got = daw.wait_for(13, 10000);
  EXPECT_EQ(describe(got),
            "/db ,f f:0.5\n"
            "/db ,f f:0.65\n"
            "/db ,fs f:0.6 s:other\n"
            "/db ,\n"
            "/db ,\n"
            "/changed/1 ,i i:1\n"
            "/changed/2 ,i i:1\n"
            "/changed/1 ,i i:2\n"
            "/changed/1 ,i i:1\n"
            "/changed/1 ,T T\n"
            "/changed/1 ,T T\n"
            "/changed/1 ,s s:x\n"
            "/end ,\n")
      << daemon.log();
  ASSERT_TRUE(log_counters_now(daemon, "end")) << daemon.log();
  const std::string log = daemon.log();
  EXPECT_EQ(counters(log, "endpoint", "daw"),
            "received 0, sent 13, dropped 4 (unchanged 2, deadband 2)")
      << log;
  EXPECT_EQ(counters(log, "route", "band"), "matched 7, sent 5, dropped 2 (deadband 2)") << log;
  EXPECT_EQ(counters(log, "route", "change"), "matched 9, sent 7, dropped 2 (unchanged 2)") << log;
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

// A motorised fader (a raw socket) sends back exactly what it was sent: within echo_window
// that is dropped as its echo; the same message after the window is routed to the DAW.
TEST(FlowTest, AnEchoWithinTheWindowIsDroppedAndOneOutsidePasses) {
  RawUdp fader;
  RawUdp daw_out;
  LoPeer daw(free_port());
  ASSERT_TRUE(fader.ok() && daw_out.ok() && daw.ok());
  const auto fader_port = free_port();
  const auto daw_port = free_port();
  Daemon daemon(
      "endpoints:\n"
      "  fader: { protocol: udp, listen: " +
      at(fader_port) + ", send: " + at(fader.port()) +
      " }\n"
      "  daw: { protocol: udp, listen: " +
      at(daw_port) + ", send: " + at(daw.port()) +
      " }\n"
      "routes:\n"
      "  - { name: down, from: daw, to: fader }\n"
      "  - { name: up, from: fader, to: daw }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  // Within the window: the fader's echo goes nowhere, what it sends next goes to the DAW.
  const std::string half = float_message("/pos", 0.5f);
  ASSERT_TRUE(daw_out.send_to(daw_port, half));
  auto sent = fader.receive(5000);
  ASSERT_TRUE(sent) << daemon.log();
  ASSERT_EQ(sent->bytes, half);
  ASSERT_TRUE(fader.send_to(fader_port, sent->bytes));
  ASSERT_TRUE(fader.send_to(fader_port, osc_message("/touched")));
  const auto& first = daw.wait_for(1, 5000);
  ASSERT_EQ(first.size(), 1u) << daemon.log();
  EXPECT_EQ(first[0].address, "/touched");

  // Outside the window (100 ms by default): the same bytes are the fader moving, routed.
  const std::string quarter = float_message("/pos", 0.25f);
  ASSERT_TRUE(daw_out.send_to(daw_port, quarter));
  sent = fader.receive(5000);
  ASSERT_TRUE(sent) << daemon.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(fader.send_to(fader_port, sent->bytes));
  const auto& second = daw.wait_for(2, 5000);
  ASSERT_EQ(second.size(), 2u) << daemon.log();
  EXPECT_EQ(second[1].address, "/pos");
  EXPECT_EQ(second[1].args, (std::vector<std::string>{"f:0.25"}));
  // The DAW got nothing else (the echo never arrives late).
  EXPECT_EQ(daw.serve_for(200).size(), 2u);

  ASSERT_TRUE(log_counters_now(daemon, "up")) << daemon.log();
  EXPECT_EQ(counters(daemon.log(), "endpoint", "fader"), "received 3, sent 2, dropped 1 (echo 1)")
      << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

// echo_window: 0 routes even an immediate echo.
TEST(FlowTest, EchoWindowZeroTurnsItOff) {
  RawUdp fader;
  RawUdp daw_out;
  LoPeer daw(free_port());
  ASSERT_TRUE(fader.ok() && daw_out.ok() && daw.ok());
  const auto fader_port = free_port();
  const auto daw_port = free_port();
  Daemon daemon(
      "endpoints:\n"
      "  fader: { protocol: udp, listen: " +
      at(fader_port) + ", send: " + at(fader.port()) +
      ", echo_window: 0 }\n"
      "  daw: { protocol: udp, listen: " +
      at(daw_port) + ", send: " + at(daw.port()) +
      " }\n"
      "routes:\n"
      "  - { name: down, from: daw, to: fader }\n"
      "  - { name: up, from: fader, to: daw }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  const std::string half = float_message("/pos", 0.5f);
  ASSERT_TRUE(daw_out.send_to(daw_port, half));
  auto sent = fader.receive(5000);
  ASSERT_TRUE(sent) << daemon.log();
  ASSERT_TRUE(fader.send_to(fader_port, sent->bytes));
  const auto& got = daw.wait_for(1, 5000);
  ASSERT_EQ(got.size(), 1u) << daemon.log();
  EXPECT_EQ(got[0].address, "/pos");
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

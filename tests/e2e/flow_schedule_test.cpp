// Scheduled bundles through the real daemon (issue 10, `schedule: true`): a bundle 200 ms in
// the future leaves 200 ms later (within 20 ms) and not before; immediate and past timetags
// and bare messages leave at once; a timetag beyond schedule_max leaves at once and is counted
// (schedule too far); a full schedule_queue drops and counts (schedule_full) and releases the
// rest when due; held bundles survive a reload that keeps their endpoint. Peers are raw
// loopback sockets; timetags are made from the system clock, as any OSC sender's are.
#include <chrono>
#include <thread>

#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

using namespace std::chrono_literals;
using SystemClock = std::chrono::system_clock;

std::string int_message(const std::string& address, int value) {
  return osc_message(address, [&](osc::MessageBuilder& m) { m.add_int32(value); });
}

std::string bundle_of(osc::TimeTag time, const std::string& message) {
  std::vector<char> buffer(1024);
  osc::BundleBuilder bundle(std::span<char>(buffer.data(), buffer.size()), time);
  bundle.add_element(message);
  auto size = bundle.finish();
  EXPECT_TRUE(static_cast<bool>(size));
  return std::string(buffer.data(), size ? *size : 0);
}

std::string bundle_at(SystemClock::time_point due, const std::string& address, int value) {
  return bundle_of(osc::TimeTag::from_time_point(due), int_message(address, value));
}

// The address of the (first) message of what arrived.
std::string first_address(const Datagram& datagram) {
  auto packet = osc::parse_packet(datagram.bytes);
  if (!packet) return "malformed";
  if (packet->is_message()) return std::string(packet->message().address());
  for (const osc::Packet& element : packet->bundle().elements()) {
    if (element.is_message()) return std::string(element.message().address());
  }
  return "(empty bundle)";
}

std::string config(std::uint16_t in_port, std::uint16_t out_port, const std::string& extra) {
  return "endpoints:\n"
         "  seq: { protocol: udp, listen: " +
         at(in_port) + ", schedule: true" + extra +
         " }\n"
         "  synth: { protocol: udp, send: " +
         at(out_port) +
         " }\n"
         "routes:\n"
         "  - name: play\n"
         "    from: seq\n"
         "    to: synth\n";
}

TEST(FlowScheduleTest, AFutureBundleLeavesWhenDueAndTheRestAtOnce) {
  RawUdp synth;
  RawUdp sequencer;
  ASSERT_TRUE(synth.ok() && sequencer.ok());
  const auto in_port = free_port();
  Daemon daemon(config(in_port, synth.port(), ""));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto due = SystemClock::now() + 200ms;
    sequencer.send_to(in_port, bundle_at(due, "/later", attempt));
    const auto sent_at = SystemClock::now();
    // These overtake it: immediately, a past timetag, a bare message.
    sequencer.send_to(in_port, bundle_of(osc::TimeTag::immediately(), int_message("/now", 1)));
    sequencer.send_to(in_port, bundle_at(SystemClock::now() - 5s, "/past", 2));
    sequencer.send_to(in_port, int_message("/bare", 3));
    std::vector<std::string> at_once;
    for (int i = 0; i < 3; ++i) {
      auto datagram = synth.receive(3000);
      ASSERT_TRUE(datagram) << daemon.log();
      EXPECT_LT(SystemClock::now() - sent_at, 150ms) << "not held";
      at_once.push_back(first_address(*datagram));
    }
    EXPECT_EQ(at_once, (std::vector<std::string>{"/now", "/past", "/bare"}));
    auto held = synth.receive(3000);
    const auto arrived = SystemClock::now();
    ASSERT_TRUE(held) << daemon.log();
    EXPECT_EQ(first_address(*held), "/later");
    EXPECT_GE(arrived, due) << "released before its timetag";
    EXPECT_LE(arrived - due, 20ms)
        << "attempt " << attempt << ": late by "
        << std::chrono::duration<double, std::milli>(arrived - due).count() << " ms";
  }
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(FlowScheduleTest, BeyondScheduleMaxLeavesAtOnceAndIsCounted) {
  RawUdp synth;
  RawUdp sequencer;
  ASSERT_TRUE(synth.ok() && sequencer.ok());
  const auto in_port = free_port();
  Daemon daemon(config(in_port, synth.port(), ", schedule_max: 1s"));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  const auto sent_at = SystemClock::now();
  sequencer.send_to(in_port, bundle_at(sent_at + 5s, "/far", 1));
  auto datagram = synth.receive(3000);
  ASSERT_TRUE(datagram) << daemon.log();
  EXPECT_LT(SystemClock::now() - sent_at, 500ms);
  EXPECT_EQ(first_address(*datagram), "/far");
  // It keeps its timetag: the receiver may still schedule it.
  auto packet = osc::parse_packet(datagram->bytes);
  ASSERT_TRUE(packet && packet->is_bundle());
  EXPECT_GT(packet->bundle().time().to_time_point(), sent_at + 4s);
  ASSERT_TRUE(log_counters_now(daemon, "play")) << daemon.log();
  EXPECT_NE(counters(daemon.log(), "endpoint", "seq").find("schedule too far 1"), std::string::npos)
      << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(FlowScheduleTest, AFullQueueDropsAndCountsAndTheRestLeaveWhenDue) {
  RawUdp synth;
  RawUdp sequencer;
  ASSERT_TRUE(synth.ok() && sequencer.ok());
  const auto in_port = free_port();
  Daemon daemon(config(in_port, synth.port(), ", schedule_queue: 3"));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  const auto due = SystemClock::now() + 1500ms;
  for (int i = 0; i < 5; ++i) sequencer.send_to(in_port, bundle_at(due + i * 1ms, "/n", i));
  // The two that found the queue full are counted at once.
  bool counted = false;
  for (int tries = 0; tries < 20 && !counted; ++tries) {
    ASSERT_TRUE(log_counters_now(daemon, "play")) << daemon.log();
    counted =
        counters(daemon.log(), "endpoint", "seq").find("schedule_full 2") != std::string::npos;
    if (!counted) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(counted) << daemon.log();
  EXPECT_FALSE(synth.receive(200)) << "nothing before it is due";
  for (int i = 0; i < 3; ++i) {
    auto datagram = synth.receive(5000);
    ASSERT_TRUE(datagram) << i << "\n" << daemon.log();
    EXPECT_GE(SystemClock::now(), due);
  }
  EXPECT_FALSE(synth.receive(500)) << "only three were held";
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(FlowScheduleTest, HeldBundlesSurviveAReloadThatKeepsTheirEndpoint) {
  RawUdp synth;
  RawUdp sequencer;
  ASSERT_TRUE(synth.ok() && sequencer.ok());
  const auto in_port = free_port();
  Daemon daemon(config(in_port, synth.port(), ""));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  const auto due = SystemClock::now() + 1500ms;
  sequencer.send_to(in_port, bundle_at(due, "/kept", 1));
  // The same endpoint, a renamed route: the held bundle leaves through the new routes.
  std::string next = config(in_port, synth.port(), "");
  next.replace(next.find("name: play"), 10, "name: replayed");
  ASSERT_TRUE(daemon.reload(next)) << daemon.log();
  auto datagram = synth.receive(5000);
  ASSERT_TRUE(datagram) << daemon.log();
  EXPECT_GE(SystemClock::now(), due);
  EXPECT_EQ(first_address(*datagram), "/kept");
  ASSERT_TRUE(log_counters_now(daemon, "replayed")) << daemon.log();
  EXPECT_NE(counters(daemon.log(), "route", "replayed").find("sent 1"), std::string::npos)
      << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

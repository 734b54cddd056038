// MIDI endpoints end to end: the real daemon on a private JACK server (dummy driver), real
// RtMidi peers playing a control surface and a synth, real UDP on the other side.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "harness.h"
#include "midi_helpers.h"
#include "osc/packet.h"
#include "udp_helpers.h"

namespace oscbridge::e2e {
namespace {

// "ADDRESS TAGS ARG...": ints in decimal, floats as printed, blobs in hex.
std::string describe(const std::optional<Datagram>& datagram) {
  if (!datagram) return "(nothing)";
  auto packet = osc::parse_packet(datagram->bytes);
  if (!packet || packet->is_bundle()) return "(" + address_of(datagram) + ")";
  const osc::Message& message = packet->message();
  std::string text(message.address());
  text += " " + std::string(message.type_tags());
  for (const osc::Argument& argument : message.arguments()) {
    text += " ";
    switch (argument.tag()) {
      case 'i':
        text += std::to_string(argument.as_int32());
        break;
      case 'b':
        for (unsigned char byte : argument.as_blob()) {
          char hex[4];
          std::snprintf(hex, sizeof hex, "%02x", byte);
          text += hex;
        }
        break;
      default:
        text += "?";
    }
  }
  return text;
}

// A daemon whose midi endpoint `surface` (and whatever else `midi_keys` says) routes every
// /midi/ message to a UDP receiver, and takes OSC for MIDI out on `in_port`.
std::string bridge_yaml(const std::string& midi_keys, std::uint16_t in_port,
                        std::uint16_t out_port) {
  std::string yaml =
      "log: { level: info }\n"
      "endpoints:\n"
      "  surface:\n"
      "    protocol: midi\n"
      "    api: jack\n" +
      midi_keys + "  osc:\n    protocol: udp\n    listen: " + at(in_port) +
      "\n    send: " + at(out_port) + "\nroutes:\n";
  // A direction the endpoint turned off cannot be routed (validate refuses it).
  if (midi_keys.find("input: false") == std::string::npos) {
    yaml += "  - { name: midi in, from: surface, match: '/midi//*', to: osc }\n";
  }
  if (midi_keys.find("output: false") == std::string::npos) {
    yaml += "  - { name: midi out, from: osc, match: '/midi//*', to: surface }\n";
  }
  return yaml;
}

// Waits for both the "ready:" line and `line`, in whichever order they come: a port the
// daemon could not reach at once (a JACK server slow to answer) is connected by a rescan later.
bool wait_ready_and(Daemon& daemon, const std::string& line, int timeout_ms = 10000) {
  bool ready = false, seen = false;
  for (int i = 0; i < 2; ++i) {
    auto matched = daemon.wait_log("ready: |" + line, timeout_ms);
    if (!matched) return false;
    (*matched == "ready: " ? ready : seen) = true;
  }
  return ready && seen;
}

// Prints the daemon's log when the test failed, however it ended.
struct LogOnFailure {
  Daemon& daemon;
  ~LogOnFailure() {
    if (::testing::Test::HasFailure()) std::cerr << "daemon log:\n" << daemon.log();
  }
};

class MidiTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(jack_.up()) << "jackd did not come up: " << JACKD_BINARY; }
  JackServer jack_;
  RawUdp receiver_;
  RawUdp sender_;
};

TEST_F(MidiTest, MidiFromASystemPortArrivesAsCanonicalOsc) {
  MidiPeer surface(MidiPeer::Kind::out, "nanoKONTROL2");
  surface.open_virtual("nanoKONTROL2 MIDI 1");
  std::uint16_t in_port = free_port();
  Daemon daemon(bridge_yaml("    port: nanoKONTROL2\n    output: false\n    cc14: [7]\n"
                            "    nrpn: true\n",
                            in_port, receiver_.port()),
                jack_.env());
  LogOnFailure log_on_failure{daemon};
  ASSERT_TRUE(wait_ready_and(daemon,
                             "surface: MIDI input connected to port "
                             "'nanoKONTROL2:nanoKONTROL2 MIDI 1'"))
      << daemon.log();
  ASSERT_TRUE(jack_.wait_connected("nanoKONTROL2:nanoKONTROL2 MIDI 1"));

  surface.send({0x90, 60, 100});     // note on
  surface.send({0x80, 60, 0});       // note off
  surface.send({0xB1, 1, 64});       // CC 1 on channel 2: not paired, 7-bit
  surface.send({0xB0, 7, 0x40});     // CC 7 MSB, paired with 39 (cc14: [7])
  surface.send({0xB0, 39, 0x01});    // its LSB
  surface.send({0xE0, 0x00, 0x40});  // pitch bend centre
  surface.send({0xF0, 0x7D, 0x01});  // a sysex in two pieces...
  surface.send({0x02, 0xF7});        // ...joined again
  EXPECT_EQ(describe(receiver_.receive(5000)), "/midi/1/note/60 i 100");
  EXPECT_EQ(describe(receiver_.receive()), "/midi/1/note_off/60 i 0");
  EXPECT_EQ(describe(receiver_.receive()), "/midi/2/cc/1 i 64");
  // Each half reports the pair's value once the MSB is known.
  EXPECT_EQ(describe(receiver_.receive()), "/midi/1/cc14/7 i 8192");
  EXPECT_EQ(describe(receiver_.receive()), "/midi/1/cc14/7 i 8193");
  EXPECT_EQ(describe(receiver_.receive()), "/midi/1/pitchbend i 0");
  EXPECT_EQ(describe(receiver_.receive()), "/midi/sysex b f07d0102f7");

  surface.send({0xB2, 99, 2});  // NRPN 2*128+44 = 300 on channel 3...
  surface.send({0xB2, 98, 44});
  surface.send({0xB2, 6, 100});  // ...set to 100*128 (data entry MSB)
  surface.send({0xC9, 5});       // program 5 on channel 10
  surface.send({0xD0, 70});      // channel pressure
  surface.send({0xA0, 60, 30});  // poly pressure on note 60
  surface.send({0xF8});          // clock, start, stop
  surface.send({0xFA});
  surface.send({0xFC});
  EXPECT_EQ(describe(receiver_.receive()), "/midi/3/nrpn/300 i 12800");
  EXPECT_EQ(describe(receiver_.receive()), "/midi/10/program i 5");
  EXPECT_EQ(describe(receiver_.receive()), "/midi/1/pressure i 70");
  EXPECT_EQ(describe(receiver_.receive()), "/midi/1/poly_pressure/60 i 30");
  EXPECT_EQ(describe(receiver_.receive()), "/midi/clock ");
  EXPECT_EQ(describe(receiver_.receive()), "/midi/start ");
  EXPECT_EQ(describe(receiver_.receive()), "/midi/stop ");

  // A sysex of several KiB (a patch dump) arrives whole, in one blob.
  MidiBytes dump(6000);
  dump.front() = 0xF0;
  for (std::size_t i = 1; i + 1 < dump.size(); ++i) dump[i] = static_cast<std::uint8_t>(i % 128);
  dump.back() = 0xF7;
  surface.send(dump);
  auto datagram = receiver_.receive(5000);
  ASSERT_TRUE(datagram.has_value());
  auto packet = osc::parse_packet(datagram->bytes);
  ASSERT_TRUE(packet && !packet->is_bundle());
  EXPECT_EQ(packet->message().address(), "/midi/sysex");
  auto blob = packet->message().argument(0);
  ASSERT_TRUE(blob.has_value());
  EXPECT_EQ(std::string(blob->as_blob()), std::string(dump.begin(), dump.end()));
}

TEST_F(MidiTest, OscRoutedToAMidiEndpointPlaysASystemPortWithClampsAndDropsCounted) {
  MidiPeer synth(MidiPeer::Kind::in, "synth");
  synth.open_virtual("midi_in");
  std::uint16_t in_port = free_port();
  Daemon daemon(
      bridge_yaml("    port: 'synth:midi_in'\n    input: false\n", in_port, receiver_.port()),
      jack_.env());
  LogOnFailure log_on_failure{daemon};
  ASSERT_TRUE(wait_ready_and(daemon, "surface: MIDI output connected to port 'synth:midi_in'"))
      << daemon.log();
  ASSERT_TRUE(jack_.wait_connected("synth:midi_in"));

  sender_.send_to(in_port, osc_message("/midi/1/note/60", [](auto& m) { m.add_int32(100); }));
  sender_.send_to(in_port, osc_message("/midi/3/cc/7", [](auto& m) { m.add_float(300.0f); }));
  sender_.send_to(in_port, osc_message("/midi/17/cc/7", [](auto& m) { m.add_int32(1); }));
  sender_.send_to(in_port, osc_message("/midi/1/pitchbend", [](auto& m) { m.add_int32(-8192); }));
  auto received = synth.wait_for(3);
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[0], (MidiBytes{0x90, 60, 100}));
  EXPECT_EQ(received[1], (MidiBytes{0xB2, 7, 127}));  // 300 clamped to 127
  EXPECT_EQ(received[2], (MidiBytes{0xE0, 0x00, 0x00}));

  ASSERT_TRUE(log_counters_now(daemon, "midi out"));
  EXPECT_EQ(counters(daemon.log(), "endpoint", "surface"),
            "received 0, sent 3, dropped 1 (not_midi 1), clamped 1");
  EXPECT_NE(daemon.log().find("/midi/17/cc/7: bad_channel"), std::string::npos) << daemon.log();
}

TEST_F(MidiTest, VirtualPortsNamedAfterTheEndpointCarryBothDirections) {
  std::uint16_t in_port = free_port();
  Daemon daemon(bridge_yaml("    virtual: true\n", in_port, receiver_.port()), jack_.env());
  LogOnFailure log_on_failure{daemon};
  ASSERT_TRUE(daemon.wait_log("surface: MIDI input created port 'surface'", 10000));
  ASSERT_TRUE(wait_ready_and(daemon, "surface: MIDI output created port 'surface'"))
      << daemon.log();

  MidiPeer player(MidiPeer::Kind::out, "player");
  ASSERT_TRUE(player.open_when_there("oscbridge-surface-in:surface"));
  MidiPeer listener(MidiPeer::Kind::in, "listener");
  ASSERT_TRUE(listener.open_when_there("oscbridge-surface-out:surface"));
  ASSERT_TRUE(jack_.wait_connected("oscbridge-surface-in:surface"));
  ASSERT_TRUE(jack_.wait_connected("oscbridge-surface-out:surface"));

  player.send({0xC4, 12});  // program change on channel 5
  EXPECT_EQ(describe(receiver_.receive(5000)), "/midi/5/program i 12");
  sender_.send_to(in_port, osc_message("/midi/16/pressure", [](auto& m) { m.add_int32(33); }));
  auto received = listener.wait_for(1);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0], (MidiBytes{0xDF, 33}));
}

TEST_F(MidiTest, APortThatComesLateOrGoesAndComesBackIsFoundAgainWhileTheRestRuns) {
  std::uint16_t in_port = free_port();
  RawUdp other_receiver;
  std::string yaml = bridge_yaml("    port: 'hotplug'\n    output: false\n    rescan: 200ms\n",
                                 in_port, receiver_.port()) +
                     "  - { name: udp, from: osc, match: /ping, to: osc }\n";
  Daemon daemon(yaml, jack_.env());
  LogOnFailure log_on_failure{daemon};
  ASSERT_TRUE(daemon.wait_log("surface: MIDI input: no input port matches 'hotplug'"));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  // Everything else runs meanwhile.
  sender_.send_to(in_port, osc_message("/ping"));
  EXPECT_EQ(address_of(receiver_.receive(5000)), "/ping");

  for (int plugged = 1; plugged <= 2; ++plugged) {
    SCOPED_TRACE("plugged in, time " + std::to_string(plugged));
    {
      MidiPeer device(MidiPeer::Kind::out, "device");
      device.open_virtual("hotplug");
      ASSERT_TRUE(daemon.wait_log("surface: MIDI input connected to port 'device:hotplug'", 10000));
      ASSERT_TRUE(jack_.wait_connected("device:hotplug"));
      device.send({0x90, 64, static_cast<std::uint8_t>(plugged)});
      EXPECT_EQ(describe(receiver_.receive(5000)), "/midi/1/note/64 i " + std::to_string(plugged));
    }  // unplugged
    ASSERT_TRUE(daemon.wait_log("surface: MIDI input: port 'device:hotplug' is gone", 10000));
  }
  // Logged once per change, not once per rescan.
  std::string log = daemon.log();
  std::size_t misses = 0;
  for (auto at = log.find("no input port matches"); at != std::string::npos;
       at = log.find("no input port matches", at + 1)) {
    ++misses;
  }
  EXPECT_EQ(misses, 1u) << log;
}

TEST_F(MidiTest, AReloadThatChangesOnlyTheMappingKeepsThePortConnected) {
  MidiPeer surface(MidiPeer::Kind::out, "fader");
  surface.open_virtual("box");
  std::uint16_t in_port = free_port();
  const std::string keys = "    port: 'fader:box'\n    output: false\n";
  Daemon daemon(bridge_yaml(keys, in_port, receiver_.port()), jack_.env());
  LogOnFailure log_on_failure{daemon};
  ASSERT_TRUE(wait_ready_and(daemon, "surface: MIDI input connected to port 'fader:box'"));
  ASSERT_TRUE(jack_.wait_connected("fader:box"));
  surface.send({0xB0, 7, 0x40});
  EXPECT_EQ(describe(receiver_.receive(5000)), "/midi/1/cc/7 i 64");

  ASSERT_TRUE(daemon.reload(bridge_yaml(keys + "    cc14: [7]\n", in_port, receiver_.port())));
  surface.send({0xB0, 7, 0x40});
  EXPECT_EQ(describe(receiver_.receive(5000)), "/midi/1/cc14/7 i 8192");
  // The same connection carried it: no second "connected" line, before or after the reload.
  const std::string log = daemon.log();
  const auto first = log.find("MIDI input connected");
  EXPECT_EQ(log.find("MIDI input connected", first + 1), std::string::npos) << log;
}

TEST_F(MidiTest, NoJackServerIsReportedAndTheRestOfTheDaemonRuns) {
  std::uint16_t in_port = free_port();
  std::string yaml = bridge_yaml("    port: anything\n", in_port, receiver_.port()) +
                     "  - { name: udp, from: osc, match: /ping, to: osc }\n";
  // The daemon inherits this process's environment.
  ::setenv("JACK_DEFAULT_SERVER", (jack_.name() + "-absent").c_str(), 1);
  Daemon daemon(yaml);
  LogOnFailure log_on_failure{daemon};
  EXPECT_TRUE(daemon.wait_log("surface: MIDI input: JACK server '" + jack_.name() +
                              "-absent' not running; start jackd"));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  sender_.send_to(in_port, osc_message("/ping"));
  EXPECT_EQ(address_of(receiver_.receive(5000)), "/ping");
  // What is routed to it meanwhile is counted, not lost silently.
  sender_.send_to(in_port, osc_message("/midi/1/note/1", [](auto& m) { m.add_int32(1); }));
  ASSERT_TRUE(log_counters_now(daemon, "udp"));
  EXPECT_EQ(counters(daemon.log(), "endpoint", "surface"),
            "received 0, sent 0, dropped 1 (disconnected 1)");
}

TEST_F(MidiTest, WithoutAnAlsaSequencerTheEndpointSaysWhatToDoAndTheRestRuns) {
  struct stat info {};
  if (::stat("/dev/snd/seq", &info) == 0) GTEST_SKIP() << "this machine has an ALSA sequencer";
  std::uint16_t in_port = free_port();
  Daemon daemon(
      "endpoints:\n"
      "  nano: { protocol: midi, port: nanoKONTROL2 }\n"
      "  osc: { protocol: udp, listen: " +
      at(in_port) + ", send: " + at(receiver_.port()) +
      " }\n"
      "routes:\n"
      "  - { from: osc, match: /ping, to: osc }\n");
  LogOnFailure log_on_failure{daemon};
  EXPECT_TRUE(
      daemon.wait_log("nano: MIDI input: ALSA sequencer not available \\(/dev/snd/seq: "
                      "No such file or directory\\); use api: jack or load snd-seq"));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  sender_.send_to(in_port, osc_message("/ping"));
  EXPECT_EQ(address_of(receiver_.receive(5000)), "/ping");
}

// ALSA itself can only be tried where the kernel has a sequencer; this machine's may not.
TEST_F(MidiTest, AlsaPortsWorkWhereTheMachineHasASequencer) {
  struct stat info {};
  if (::stat("/dev/snd/seq", &info) != 0) {
    GTEST_SKIP() << "no ALSA sequencer here (/dev/snd/seq: " << std::strerror(errno)
                 << "); ALSA ports untested on this machine, JACK ports tested above";
  }
  MidiPeer surface(MidiPeer::Kind::out, "e2e-alsa-surface", RtMidi::LINUX_ALSA);
  surface.open_virtual("e2e-alsa-faders");
  std::uint16_t in_port = free_port();
  std::string yaml =
      bridge_yaml("    port: e2e-alsa-faders\n    output: false\n", in_port, receiver_.port());
  yaml.replace(yaml.find("api: jack"), 9, "api: alsa");
  Daemon daemon(yaml);
  LogOnFailure log_on_failure{daemon};
  ASSERT_TRUE(wait_ready_and(daemon, "surface: MIDI input connected to port")) << daemon.log();
  surface.send({0x91, 62, 90});
  EXPECT_EQ(describe(receiver_.receive(5000)), "/midi/2/note/62 i 90");
}

TEST_F(MidiTest, MidiPortsListsWhatEachApiShows) {
  MidiPeer surface(MidiPeer::Kind::out, "lister");
  surface.open_virtual("faders");
  MidiPeer synth(MidiPeer::Kind::in, "lister-synth");
  synth.open_virtual("keys");
  test::ChildProcess lister({OSCBRIDGE_BINARY, "midi-ports"}, jack_.env());
  auto status = lister.wait_exit(10000);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
  const std::string& out = lister.output();
  EXPECT_NE(out.find("jack:\n  input (ports that send MIDI to a midi endpoint):\n    "
                     "lister:faders\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  output (ports a midi endpoint can send MIDI to):\n    "
                     "lister-synth:keys\n"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace oscbridge::e2e

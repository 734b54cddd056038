// The keys of a midi endpoint: every one read into MidiSettings, and every mistake reported
// at its position by validate, before the daemon ever looks for a MIDI port.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/config/config_test_util.h"

namespace oscbridge::config {
namespace {

using namespace std::chrono_literals;
using testing::error_of;
using testing::loaded;

std::string midi_endpoint(const std::string& settings) {
  return "endpoints:\n  nano:\n    protocol: midi\n" + settings;
}

TEST(MidiSettings, EveryKeyIsRead) {
  const Config config =
      loaded(midi_endpoint("    port: 'nanoKONTROL2.*'\n"
                           "    output: false\n"
                           "    api: jack\n"
                           "    cc14: [10, 7]\n"
                           "    nrpn: true\n"
                           "    rescan: 500ms\n"));
  ASSERT_EQ(config.endpoints.size(), 1u);
  const MidiSettings* midi = config.endpoints[0].midi();
  ASSERT_NE(midi, nullptr);
  EXPECT_EQ(midi->port, "nanoKONTROL2.*");
  EXPECT_TRUE(midi->input);
  EXPECT_FALSE(midi->output);
  EXPECT_EQ(midi->api, MidiApi::jack);
  EXPECT_EQ(midi->cc14, (std::vector<int>{7, 10}));
  EXPECT_TRUE(midi->nrpn);
  EXPECT_EQ(midi->rescan, 500ms);
  EXPECT_FALSE(midi->virtual_port);
}

TEST(MidiSettings, DefaultsAreBothDirectionsOnAlsaWithoutPairing) {
  const Config config = loaded(midi_endpoint("    port: X-Touch\n"));
  const MidiSettings* midi = config.endpoints[0].midi();
  ASSERT_NE(midi, nullptr);
  EXPECT_TRUE(midi->input);
  EXPECT_TRUE(midi->output);
  EXPECT_EQ(midi->api, MidiApi::alsa);
  EXPECT_TRUE(midi->cc14.empty());
  EXPECT_FALSE(midi->nrpn);
  EXPECT_EQ(midi->rescan, 2s);
}

TEST(MidiSettings, AVirtualEndpointNeedsNoPortAndTakesNone) {
  const Config config = loaded(midi_endpoint("    virtual: true\n"));
  EXPECT_TRUE(config.endpoints[0].midi()->virtual_port);
  EXPECT_EQ(error_of(midi_endpoint("    virtual: true\n    port: X\n")),
            "t.yaml:5:5: port does not apply with virtual: true: a virtual endpoint creates its "
            "own ports, named 'nano'");
}

TEST(MidiSettings, MistakesAreReportedWhereTheyAre) {
  EXPECT_EQ(error_of(midi_endpoint("")),
            "t.yaml:2:3: midi endpoint 'nano' needs port: the name of a MIDI port (or a regular "
            "expression), or virtual: true");
  EXPECT_EQ(error_of(midi_endpoint("    port: X\n    api: jakc\n")),
            "t.yaml:5:10: api: unknown MIDI API 'jakc', expected 'alsa' or 'jack' (did you mean "
            "'jack'?)");
  EXPECT_EQ(error_of(midi_endpoint("    port: X\n    cc14: [7, 32]\n")),
            "t.yaml:5:15: cc14[2]: 32 is out of range 0..31");
  EXPECT_EQ(error_of(midi_endpoint("    port: X\n    cc14: [7, 7]\n")),
            "t.yaml:5:15: cc14[2]: controller 7 is listed twice");
  EXPECT_EQ(error_of(midi_endpoint("    port: X\n    cc14: 7\n")),
            "t.yaml:5:11: cc14: expected a list of MSB controller numbers 0..31, such as [7, "
            "10], got the number 7");
  EXPECT_EQ(error_of(midi_endpoint("    port: X\n    input: false\n    output: false\n")),
            "t.yaml:5:5: input: false and output: false leave endpoint 'nano' nothing to do");
  EXPECT_EQ(error_of(midi_endpoint("    port: X\n    rescan: 10ms\n")).substr(0, 19),
            "t.yaml:5:13: rescan");
  const std::string bad_pattern = error_of(midi_endpoint("    port: 'Launchpad (MK2'\n"));
  EXPECT_NE(bad_pattern.find("t.yaml:4:11: port: 'Launchpad (MK2' is not a valid regular "
                             "expression"),
            std::string::npos)
      << bad_pattern;
}

TEST(MidiSettings, RoutesCannotUseADirectionTheEndpointTurnedOff) {
  const std::string endpoints =
      "endpoints:\n"
      "  keys: { protocol: midi, port: X, input: false }\n"
      "  pads: { protocol: midi, port: Y, output: false }\n"
      "  osc: { protocol: udp, listen: 127.0.0.1:9000, send: 127.0.0.1:9001 }\n"
      "routes:\n";
  EXPECT_EQ(error_of(endpoints + "  - { from: osc, to: pads }\n"),
            "t.yaml:6:22: to: midi endpoint 'pads' has output: false, so a message routed to it "
            "could go nowhere");
  EXPECT_EQ(error_of(endpoints + "  - { from: keys, to: osc }\n"),
            "t.yaml:6:13: from: midi endpoint 'keys' has input: false, so nothing comes from it");
  EXPECT_EQ(loaded(endpoints + "  - { from: pads, to: keys }\n").routes.size(), 1u);
}

TEST(MidiSettings, MidiKeysDoNotApplyToOtherKinds) {
  EXPECT_EQ(error_of("endpoints:\n  u: { protocol: udp, listen: 127.0.0.1:9000, nrpn: true }\n"),
            "t.yaml:2:47: 'nrpn' does not apply to a udp endpoint; it is for midi endpoints");
}

}  // namespace
}  // namespace oscbridge::config

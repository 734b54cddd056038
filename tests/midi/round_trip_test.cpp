// The two directions agree: decode(encode(x)) == x for every canonical OSC message, and
// encode(decode(m)) == m for whole MIDI messages; whatever the decoder emits, the encoder takes.
#include <gtest/gtest.h>

#include <random>

#include "midi/decoder.h"
#include "midi/encoder.h"
#include "tests/midi/midi_test_util.h"

namespace oscbridge::midi {
namespace {

using testing::Bytes;
using testing::describe;
using testing::OscMessage;

// Encodes `message`, feeds all its MIDI bytes to a fresh decoder, returns the last message out
// (a cc14 or (N)RPN value also comes out half-assembled first, see docs/midi.md).
std::string decode_encoded(const osc::Message& message, const DecoderOptions& options) {
  Encoder encoder;
  Bytes midi;
  const EncodeResult result = encoder.encode(message, [&](std::span<const std::uint8_t> bytes) {
    midi.insert(midi.end(), bytes.begin(), bytes.end());
  });
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.clamped, 0);
  Decoder decoder(options);
  std::string last = "<nothing>";
  decoder.feed(
      midi, [&](std::string_view osc) { last = describe(osc); },
      [](const Drop& drop) { ADD_FAILURE() << to_string(drop.reason); });
  return last;
}

DecoderOptions pairs_and_nrpn() {
  DecoderOptions options;
  options.cc14.set(10);
  options.nrpn = true;
  return options;
}

void expect_round_trip(const std::string& address, int value) {
  OscMessage m(address, [&](osc::MessageBuilder& b) { b.add_int32(value); });
  ASSERT_EQ(decode_encoded(m.message, pairs_and_nrpn()), address + " " + std::to_string(value));
}

TEST(RoundTripTest, ChannelMessagesOnEveryChannel) {
  for (int ch = 1; ch <= 16; ++ch) {
    const std::string c = "/midi/" + std::to_string(ch);
    for (int n = 0; n <= 127; ++n) {
      for (int v : {0, 1, 64, 127}) {
        if (v != 0) expect_round_trip(c + "/note/" + std::to_string(n), v);  // 0 is a note off
        expect_round_trip(c + "/note_off/" + std::to_string(n), v);
        expect_round_trip(c + "/poly_pressure/" + std::to_string(n), v);
        // 6 38 96-101 are (N)RPN with these options; 10 and 42 a pair.
        if (n != 6 && n != 38 && (n < 96 || n > 101) && n != 10 && n != 42) {
          expect_round_trip(c + "/cc/" + std::to_string(n), v);
        }
      }
      expect_round_trip(c + "/program", n);
      expect_round_trip(c + "/pressure", n);
    }
    for (int v : {-8192, -1, 0, 1, 8191}) expect_round_trip(c + "/pitchbend", v);
    for (int v : {0, 127, 128, 12345, 16383}) {
      expect_round_trip(c + "/cc14/10", v);
      expect_round_trip(c + "/nrpn/" + std::to_string(v == 16383 ? 16382 : v), v);
      expect_round_trip(c + "/rpn/" + std::to_string(v / 2), v);
    }
  }
}

TEST(RoundTripTest, EveryValueOfThe14BitMessages) {
  for (int v = -8192; v <= 8191; ++v) expect_round_trip("/midi/5/pitchbend", v);
  for (int v = 0; v <= 16383; ++v) {
    expect_round_trip("/midi/5/cc14/10", v);
    expect_round_trip("/midi/5/nrpn/1000", v);
  }
}

TEST(RoundTripTest, SystemMessages) {
  for (const char* address : {"/midi/clock", "/midi/start", "/midi/stop", "/midi/continue"}) {
    OscMessage m(address);
    EXPECT_EQ(decode_encoded(m.message, {}), address);
  }
  OscMessage sysex("/midi/sysex",
                   [](auto& b) { b.add_blob(std::string_view("\xF0\x43\x10\x00\x7F\xF7", 6)); });
  EXPECT_EQ(decode_encoded(sysex.message, {}), "/midi/sysex b:F0 43 10 00 7F F7");
  for (std::array<std::uint8_t, 4> raw :
       std::initializer_list<std::array<std::uint8_t, 4>>{{0, 0xF1, 0x25, 0},
                                                          {0, 0xF2, 0x01, 0x7F},
                                                          {0, 0xF3, 0x05, 0},
                                                          {0, 0xF6, 0, 0},
                                                          {0, 0xFF, 0, 0}}) {
    OscMessage m("/midi/raw", [&](auto& b) { b.add_midi(raw); });
    EXPECT_EQ(decode_encoded(m.message, {}), describe(m.message.bytes()));
  }
}

TEST(RoundTripTest, MidiThroughOscAndBack) {
  // Whole messages come back byte for byte, but for a note on with velocity 0, which comes back
  // as the note off it means.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"90 3C 40", "90 3C 40"},
      {"90 3C 00", "80 3C 00"},
      {"8F 00 7F", "8F 00 7F"},
      {"B0 07 64", "B0 07 64"},
      {"C5 0A", "C5 0A"},
      {"D0 33", "D0 33"},
      {"A2 3C 22", "A2 3C 22"},
      {"E0 01 40", "E0 01 40"},
      {"F0 7E 7F 06 01 F7", "F0 7E 7F 06 01 F7"},
      {"F8", "F8"},
      {"FA", "FA"},
      {"FB", "FB"},
      {"FC", "FC"},
      {"F1 25", "F1 25"},
      {"F2 10 20", "F2 10 20"},
      {"F3 05", "F3 05"},
      {"F6", "F6"},
      {"FF", "FF"},
  };
  for (const auto& [in, out] : cases) {
    Decoder decoder;
    Encoder encoder;
    std::string midi;
    decoder.feed(
        testing::parse_hex(in),
        [&](std::string_view osc) {
          osc::Result<osc::Packet> packet = osc::parse_packet(osc);
          ASSERT_TRUE(packet.ok());
          const EncodeResult r =
              encoder.encode(packet->message(), [&](auto bytes) { midi += testing::hex(bytes); });
          EXPECT_TRUE(r.ok());
        },
        [](const Drop& drop) { ADD_FAILURE() << to_string(drop.reason); });
    EXPECT_EQ(midi, out) << in;
  }
}

// Every message the decoder makes, from any bytes, is one the encoder takes as it is.
TEST(RoundTripTest, EncoderTakesEverythingTheDecoderEmits) {
  std::mt19937 random(9);
  DecoderOptions options = pairs_and_nrpn();
  options.cc14.set(0);
  options.cc14.set(31);
  Decoder decoder(options);
  Encoder encoder;
  std::size_t emitted = 0;
  for (int round = 0; round < 2000; ++round) {
    Bytes chunk(static_cast<std::size_t>(random() % 16));
    for (std::uint8_t& b : chunk) {
      b = static_cast<std::uint8_t>(random() % 3 == 0 ? 0x80 + random() % 0x80 : random() % 0x80);
    }
    decoder.feed(
        chunk,
        [&](std::string_view osc) {
          ++emitted;
          osc::Result<osc::Packet> packet = osc::parse_packet(osc);
          ASSERT_TRUE(packet.ok());
          const EncodeResult r = encoder.encode(packet->message(), [](auto) {});
          EXPECT_TRUE(r.ok()) << describe(osc) << ": " << r.dropped->detail;
          EXPECT_EQ(r.clamped, 0) << describe(osc);
        },
        [](const Drop&) {});
  }
  EXPECT_GT(emitted, 1000u);
}

}  // namespace
}  // namespace oscbridge::midi

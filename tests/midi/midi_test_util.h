// Helpers for the tests of midi/: MIDI bytes and OSC messages as short readable strings, so that
// a test states "90 3C 40" -> "/midi/1/note/60 100" and a failure shows both sides.
// Decoded OSC is read back with osc's parser (tested on its own, against liblo); OSC to encode is
// built with osc's MessageBuilder. Header-only, for test executables; nothing shared by threads.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "midi/decoder.h"
#include "midi/encoder.h"
#include "osc/encoder.h"
#include "osc/packet.h"

namespace oscbridge::midi::testing {

using Bytes = std::vector<std::uint8_t>;

inline std::string hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  char text[4];
  for (const std::uint8_t b : bytes) {
    std::snprintf(text, sizeof text, "%02X", b);
    if (!out.empty()) out += ' ';
    out += text;
  }
  return out;
}

inline Bytes parse_hex(std::string_view text) {
  Bytes out;
  for (std::size_t i = 0; i < text.size();) {
    while (i < text.size() && text[i] == ' ') ++i;
    if (i >= text.size()) break;
    out.push_back(
        static_cast<std::uint8_t>(std::stoul(std::string(text.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

// "/midi/1/note/60 100", "/midi/sysex b:F0 7E F7", "/midi/raw m:00 F2 10 20", "/midi/clock".
inline std::string describe(std::string_view osc_message) {
  osc::Result<osc::Packet> packet = osc::parse_packet(osc_message);
  if (!packet || !packet->is_message()) return "<not an OSC message>";
  const osc::Message& m = packet->message();
  std::string out(m.address());
  for (const osc::Argument& a : m.arguments()) {
    out += ' ';
    switch (a.tag()) {
      case 'i':
        out += std::to_string(a.as_int32());
        break;
      case 'b': {
        const std::string_view blob = a.as_blob();
        out += "b:" + hex(std::span<const std::uint8_t>(
                          reinterpret_cast<const std::uint8_t*>(blob.data()), blob.size()));
        break;
      }
      case 'm': {
        const auto midi = a.as_midi();
        out += "m:" + hex(midi);
        break;
      }
      default:
        out += std::string("?") + a.tag();
    }
  }
  return out;
}

// Feeds a Decoder and keeps what came out, messages and drops in separate lists.
struct DecodeLog {
  explicit DecodeLog(const DecoderOptions& options = {}) : decoder(options) {}

  // Feeds one chunk; returns the messages it produced.
  std::vector<std::string> feed(std::string_view hex_bytes) {
    return feed_bytes(parse_hex(hex_bytes));
  }
  std::vector<std::string> feed_bytes(const Bytes& bytes) {
    std::vector<std::string> produced;
    decoder.feed(
        bytes, [&](std::string_view osc) { produced.push_back(describe(osc)); },
        [&](const Drop& drop) {
          EXPECT_FALSE(drop.detail.empty());
          drops.push_back(drop.reason);
        });
    messages.insert(messages.end(), produced.begin(), produced.end());
    return produced;
  }

  Decoder decoder;
  std::vector<std::string> messages;
  std::vector<DropReason> drops;
};

// An OSC message made with osc's builder, kept alive with a view of it.
struct OscMessage {
  template <class AddArguments>
  OscMessage(std::string_view address, AddArguments&& add) : bytes(4096) {
    osc::MessageBuilder builder(bytes, address);
    add(builder);
    const osc::Result<std::size_t> size = builder.finish();
    EXPECT_TRUE(size.ok()) << size.error().reason;
    bytes.resize(*size);
    osc::Result<osc::Packet> packet =
        osc::parse_packet(std::string_view(bytes.data(), bytes.size()));
    EXPECT_TRUE(packet.ok());
    message = packet->message();
  }
  explicit OscMessage(std::string_view address)
      : OscMessage(address, [](osc::MessageBuilder&) {}) {}
  OscMessage(const OscMessage&) = delete;
  OscMessage& operator=(const OscMessage&) = delete;

  std::vector<char> bytes;
  osc::Message message;
};

// What the Encoder made of one message: each MIDI message as hex, or the drop.
struct Encoded {
  EncodeResult result;
  std::vector<std::string> midi;
};

inline Encoded encode(const osc::Message& message) {
  Encoder encoder;
  Encoded out;
  out.result = encoder.encode(
      message, [&](std::span<const std::uint8_t> bytes) { out.midi.push_back(hex(bytes)); });
  EXPECT_EQ(out.result.messages, out.midi.size());
  return out;
}

}  // namespace oscbridge::midi::testing

// OSC -> MIDI out: every row of the DESIGN.md table, loose argument types, clamping (counted),
// and every drop reason (with nothing produced).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "midi/encoder.h"
#include "tests/midi/midi_test_util.h"

namespace oscbridge::midi {
namespace {

using testing::encode;
using testing::Encoded;
using testing::OscMessage;
using V = std::vector<std::string>;

Encoded with_int(std::string_view address, std::int32_t value) {
  OscMessage m(address, [&](osc::MessageBuilder& b) { b.add_int32(value); });
  return encode(m.message);
}

Encoded with_blob(std::string_view address, const testing::Bytes& bytes) {
  OscMessage m(address, [&](osc::MessageBuilder& b) {
    b.add_blob(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  });
  return encode(m.message);
}

Encoded with_midi(std::array<std::uint8_t, 4> midi) {
  OscMessage m("/midi/raw", [&](osc::MessageBuilder& b) { b.add_midi(midi); });
  return encode(m.message);
}

Encoded bare(std::string_view address) {
  OscMessage m(address);
  return encode(m.message);
}

// The MIDI produced, or "drop:REASON" (and then nothing may have been produced).
V midi_of(const Encoded& e) {
  if (e.result.dropped) {
    EXPECT_TRUE(e.midi.empty());
    EXPECT_FALSE(e.result.dropped->detail.empty());
    return {"drop:" + std::string(to_string(e.result.dropped->reason))};
  }
  return e.midi;
}

TEST(EncoderTest, ChannelMessages) {
  EXPECT_EQ(midi_of(with_int("/midi/1/note/60", 100)), V{"90 3C 64"});
  EXPECT_EQ(midi_of(with_int("/midi/1/note/60", 0)), V{"90 3C 00"});  // as given
  EXPECT_EQ(midi_of(with_int("/midi/16/note_off/0", 64)), V{"8F 00 40"});
  EXPECT_EQ(midi_of(with_int("/midi/1/cc/7", 100)), V{"B0 07 64"});
  EXPECT_EQ(midi_of(with_int("/midi/1/cc/127", 0)), V{"B0 7F 00"});
  EXPECT_EQ(midi_of(with_int("/midi/2/cc14/7", 2053)), (V{"B1 07 10", "B1 27 05"}));
  EXPECT_EQ(midi_of(with_int("/midi/1/cc14/31", 16383)), (V{"B0 1F 7F", "B0 3F 7F"}));
  EXPECT_EQ(midi_of(with_int("/midi/1/nrpn/130", 2053)),
            (V{"B0 63 01", "B0 62 02", "B0 06 10", "B0 26 05"}));
  EXPECT_EQ(midi_of(with_int("/midi/1/rpn/0", 256)),
            (V{"B0 65 00", "B0 64 00", "B0 06 02", "B0 26 00"}));
  EXPECT_EQ(midi_of(with_int("/midi/1/nrpn/16382", 0)),
            (V{"B0 63 7F", "B0 62 7E", "B0 06 00", "B0 26 00"}));
  EXPECT_EQ(midi_of(with_int("/midi/6/program", 10)), V{"C5 0A"});
  EXPECT_EQ(midi_of(with_int("/midi/1/pressure", 51)), V{"D0 33"});
  EXPECT_EQ(midi_of(with_int("/midi/3/poly_pressure/60", 34)), V{"A2 3C 22"});
  EXPECT_EQ(midi_of(with_int("/midi/1/pitchbend", 0)), V{"E0 00 40"});
  EXPECT_EQ(midi_of(with_int("/midi/1/pitchbend", -8192)), V{"E0 00 00"});
  EXPECT_EQ(midi_of(with_int("/midi/1/pitchbend", 8191)), V{"E0 7F 7F"});
  EXPECT_EQ(midi_of(with_int("/midi/1/pitchbend", 1)), V{"E0 01 40"});
  EXPECT_EQ(midi_of(with_int("/midi/01/cc/007", 1)), V{"B0 07 01"});  // leading zeros read
}

TEST(EncoderTest, SystemMessages) {
  EXPECT_EQ(midi_of(bare("/midi/clock")), V{"F8"});
  EXPECT_EQ(midi_of(bare("/midi/start")), V{"FA"});
  EXPECT_EQ(midi_of(bare("/midi/continue")), V{"FB"});
  EXPECT_EQ(midi_of(bare("/midi/stop")), V{"FC"});
  EXPECT_EQ(midi_of(with_blob("/midi/sysex", {0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7})),
            V{"F0 7E 7F 06 01 F7"});
  EXPECT_EQ(midi_of(with_blob("/midi/sysex", {0xF0, 0xF7})), V{"F0 F7"});
}

TEST(EncoderTest, RawIsOneWholeMessageAndIgnoresThePortByte) {
  EXPECT_EQ(midi_of(with_midi({5, 0x90, 0x3C, 0x40})), V{"90 3C 40"});
  EXPECT_EQ(midi_of(with_midi({0, 0xC0, 0x05, 0xFF})), V{"C0 05"});  // unused byte ignored
  EXPECT_EQ(midi_of(with_midi({0, 0xD3, 0x05, 0x00})), V{"D3 05"});
  EXPECT_EQ(midi_of(with_midi({0, 0xE0, 0x00, 0x40})), V{"E0 00 40"});
  EXPECT_EQ(midi_of(with_midi({0, 0xF1, 0x25, 0x00})), V{"F1 25"});
  EXPECT_EQ(midi_of(with_midi({0, 0xF2, 0x01, 0x02})), V{"F2 01 02"});
  EXPECT_EQ(midi_of(with_midi({0, 0xF3, 0x05, 0x99})), V{"F3 05"});
  EXPECT_EQ(midi_of(with_midi({0, 0xF6, 0x00, 0x00})), V{"F6"});
  EXPECT_EQ(midi_of(with_midi({0, 0xF8, 0x00, 0x00})), V{"F8"});
  EXPECT_EQ(midi_of(with_midi({0, 0xFE, 0x00, 0x00})), V{"FE"});
  EXPECT_EQ(midi_of(with_midi({0, 0xFF, 0x00, 0x00})), V{"FF"});
}

TEST(EncoderTest, ValuesAreTakenLoosely) {
  auto cc = [](auto add) {
    OscMessage m("/midi/1/cc/7", add);
    return encode(m.message);
  };
  EXPECT_EQ(midi_of(cc([](osc::MessageBuilder& b) { b.add_int64(64); })), V{"B0 07 40"});
  EXPECT_EQ(midi_of(cc([](osc::MessageBuilder& b) { b.add_float(63.5f); })), V{"B0 07 40"});
  EXPECT_EQ(midi_of(cc([](osc::MessageBuilder& b) { b.add_double(63.4); })), V{"B0 07 3F"});
  EXPECT_EQ(midi_of(cc([](osc::MessageBuilder& b) { b.add_float(-0.4f); })), V{"B0 07 00"});
  EXPECT_EQ(midi_of(cc([](osc::MessageBuilder& b) { b.add_bool(true); })), V{"B0 07 01"});
  EXPECT_EQ(midi_of(cc([](osc::MessageBuilder& b) { b.add_bool(false); })), V{"B0 07 00"});
  OscMessage bend("/midi/1/pitchbend", [](osc::MessageBuilder& b) { b.add_double(-1.5); });
  EXPECT_EQ(midi_of(encode(bend.message)), V{"E0 7E 3F"});  // -2: half away from zero
  for (auto e : {cc([](osc::MessageBuilder& b) { b.add_float(-0.4f); }),
                 cc([](osc::MessageBuilder& b) { b.add_bool(true); })}) {
    EXPECT_EQ(e.result.clamped, 0);
  }
}

TEST(EncoderTest, ValuesOutOfRangeAreClampedAndCounted) {
  struct Case {
    std::string address;
    std::function<void(osc::MessageBuilder&)> add;
    std::string midi;  // the last message
    int clamped;
  };
  const std::vector<Case> cases = {
      {"/midi/1/cc/7", [](auto& b) { b.add_int32(200); }, "B0 07 7F", 1},
      {"/midi/1/cc/7", [](auto& b) { b.add_int32(-5); }, "B0 07 00", 1},
      {"/midi/1/cc/7", [](auto& b) { b.add_int32(127); }, "B0 07 7F", 0},
      {"/midi/1/cc/7", [](auto& b) { b.add_float(127.4f); }, "B0 07 7F", 0},
      {"/midi/1/cc/7", [](auto& b) { b.add_float(127.5f); }, "B0 07 7F", 1},
      {"/midi/1/cc/7", [](auto& b) { b.add_float(1e10f); }, "B0 07 7F", 1},
      {"/midi/1/cc/7", [](auto& b) { b.add_double(-std::numeric_limits<double>::infinity()); },
       "B0 07 00", 1},
      {"/midi/1/cc/7", [](auto& b) { b.add_int64(std::int64_t{1} << 40); }, "B0 07 7F", 1},
      {"/midi/1/note/60", [](auto& b) { b.add_int32(128); }, "90 3C 7F", 1},
      {"/midi/1/note_off/60", [](auto& b) { b.add_int32(-1); }, "80 3C 00", 1},
      {"/midi/1/program", [](auto& b) { b.add_int32(128); }, "C0 7F", 1},
      {"/midi/1/pressure", [](auto& b) { b.add_int32(300); }, "D0 7F", 1},
      {"/midi/1/poly_pressure/1", [](auto& b) { b.add_int32(-3); }, "A0 01 00", 1},
      {"/midi/1/pitchbend", [](auto& b) { b.add_int32(9000); }, "E0 7F 7F", 1},
      {"/midi/1/pitchbend", [](auto& b) { b.add_int32(-9000); }, "E0 00 00", 1},
      {"/midi/1/cc14/1", [](auto& b) { b.add_int32(20000); }, "B0 21 7F", 1},
      {"/midi/1/nrpn/1", [](auto& b) { b.add_int32(-1); }, "B0 26 00", 1},
      {"/midi/1/rpn/1", [](auto& b) { b.add_int32(16384); }, "B0 26 7F", 1},
  };
  for (const Case& c : cases) {
    OscMessage m(c.address, c.add);
    const Encoded e = encode(m.message);
    ASSERT_TRUE(e.result.ok()) << c.address;
    EXPECT_EQ(e.midi.back(), c.midi) << c.address;
    EXPECT_EQ(e.result.clamped, c.clamped) << c.address << " " << c.midi;
  }
}

TEST(EncoderTest, AddressesThatAreNotMidiOrUnknown) {
  const V not_midi = {"drop:not_midi"};
  EXPECT_EQ(midi_of(with_int("/mid/1/cc/7", 1)), not_midi);
  EXPECT_EQ(midi_of(with_int("/midi", 1)), not_midi);
  EXPECT_EQ(midi_of(with_int("/x/midi/1/cc/7", 1)), not_midi);
  const V unknown = {"drop:unknown_address"};
  for (const char* address :
       {"/midi/1/foo/3", "/midi/1/cc", "/midi/1/cc/", "/midi/1/cc/7/8", "/midi/1/program/3",
        "/midi/1", "/midi/1/", "/midi/foo", "/midi/clock/x", "/midi/sysex/", "/midi/x1/cc/7",
        "/midi/1x/cc/7", "/midi/", "/midi/0/foo"}) {
    EXPECT_EQ(midi_of(with_int(address, 1)), unknown) << address;
  }
}

TEST(EncoderTest, ChannelAndNumbersInTheAddressAreNeverClamped) {
  for (const char* address : {"/midi/0/cc/7", "/midi/17/cc/7", "/midi/1000000/cc/7",
                              "/midi/0/program", "/midi/17/pitchbend"}) {
    EXPECT_EQ(midi_of(with_int(address, 1)), V{"drop:bad_channel"}) << address;
  }
  for (const char* address :
       {"/midi/1/note/128", "/midi/1/note_off/128", "/midi/1/cc/128", "/midi/1/cc14/32",
        "/midi/1/nrpn/16383", "/midi/1/rpn/16383", "/midi/1/rpn/99999999",
        "/midi/1/poly_pressure/128", "/midi/1/note/x", "/midi/1/note/-1", "/midi/1/note/6a"}) {
    EXPECT_EQ(midi_of(with_int(address, 1)), V{"drop:bad_number"}) << address;
  }
}

TEST(EncoderTest, WrongArity) {
  const V arity = {"drop:bad_arity"};
  EXPECT_EQ(midi_of(bare("/midi/1/cc/7")), arity);
  EXPECT_EQ(midi_of(bare("/midi/1/pitchbend")), arity);
  OscMessage two("/midi/1/cc/7", [](auto& b) { b.add_int32(1).add_int32(2); });
  EXPECT_EQ(midi_of(encode(two.message)), arity);
  OscMessage array("/midi/1/cc/7", [](auto& b) { b.begin_array().add_int32(1).end_array(); });
  EXPECT_EQ(midi_of(encode(array.message)), arity);
  EXPECT_EQ(midi_of(with_int("/midi/clock", 1)), arity);  // a button's press and release
  EXPECT_EQ(midi_of(with_int("/midi/start", 1)), arity);
  EXPECT_EQ(midi_of(bare("/midi/sysex")), arity);
  EXPECT_EQ(midi_of(bare("/midi/raw")), arity);
}

TEST(EncoderTest, ArgumentsOfTypesNotAccepted) {
  const V bad = {"drop:bad_argument"};
  EXPECT_EQ(midi_of(encode(OscMessage("/midi/1/cc/7", [](auto& b) { b.add_string("1"); }).message)),
            bad);
  EXPECT_EQ(midi_of(with_blob("/midi/1/cc/7", {1})), bad);
  EXPECT_EQ(midi_of(encode(OscMessage("/midi/1/cc/7", [](auto& b) { b.add_nil(); }).message)), bad);
  EXPECT_EQ(midi_of(encode(
                OscMessage("/midi/1/cc/7",
                           [](auto& b) { b.add_float(std::numeric_limits<float>::quiet_NaN()); })
                    .message)),
            bad);
  EXPECT_EQ(midi_of(with_int("/midi/sysex", 0xF0)), bad);
  EXPECT_EQ(midi_of(with_int("/midi/raw", 0x903C40)), bad);
  EXPECT_EQ(midi_of(with_midi({0, 0x90, 0x3C, 0x40})).size(), 1u);
}

TEST(EncoderTest, SysexMustBeF0DataF7) {
  const V bad = {"drop:bad_sysex"};
  EXPECT_EQ(midi_of(with_blob("/midi/sysex", {0x7E, 0xF7})), bad);
  EXPECT_EQ(midi_of(with_blob("/midi/sysex", {0xF0, 0x7E})), bad);
  EXPECT_EQ(midi_of(with_blob("/midi/sysex", {0xF0})), bad);
  EXPECT_EQ(midi_of(with_blob("/midi/sysex", {0xF7})), bad);
  EXPECT_EQ(midi_of(with_blob("/midi/sysex", {})), bad);
  EXPECT_EQ(midi_of(with_blob("/midi/sysex", {0xF0, 0x01, 0x80, 0xF7})), bad);
  EXPECT_EQ(midi_of(with_blob("/midi/sysex", {0xF0, 0xF8, 0xF7})), bad);
}

TEST(EncoderTest, RawMustBeAWholeMessage) {
  const V bad = {"drop:bad_raw"};
  for (std::uint8_t status : {0x00, 0x3C, 0x7F, 0xF0, 0xF7, 0xF4, 0xF5, 0xF9, 0xFD}) {
    EXPECT_EQ(midi_of(with_midi({0, status, 0, 0})), bad) << int{status};
  }
  EXPECT_EQ(midi_of(with_midi({0, 0x90, 0x80, 0x00})), bad);
  EXPECT_EQ(midi_of(with_midi({0, 0x90, 0x3C, 0x80})), bad);
  EXPECT_EQ(midi_of(with_midi({0, 0xC0, 0x80, 0x00})), bad);
  EXPECT_EQ(midi_of(with_midi({0, 0xF2, 0x00, 0xFF})), bad);
}

TEST(EncoderTest, TheEncoderCarriesNothingFromOneMessageToTheNext) {
  Encoder encoder;
  std::vector<std::string> midi;
  auto collect = [&](std::span<const std::uint8_t> bytes) { midi.push_back(testing::hex(bytes)); };
  OscMessage nrpn("/midi/1/nrpn/1", [](auto& b) { b.add_int32(1); });
  OscMessage sysex("/midi/sysex", [](auto& b) { b.add_blob("\xF0\x01\xF7"); });
  OscMessage cc("/midi/2/cc/1", [](auto& b) { b.add_int32(1); });
  OscMessage bad("/midi/1/cc/1");
  EXPECT_EQ(encoder.encode(nrpn.message, collect).messages, 4u);
  EXPECT_EQ(encoder.encode(sysex.message, collect).messages, 1u);
  EXPECT_FALSE(encoder.encode(bad.message, collect).ok());
  EXPECT_EQ(encoder.encode(cc.message, collect).messages, 1u);
  EXPECT_EQ(midi, (V{"B0 63 00", "B0 62 01", "B0 06 00", "B0 26 01", "F0 01 F7", "B1 01 01"}));
}

}  // namespace
}  // namespace oscbridge::midi

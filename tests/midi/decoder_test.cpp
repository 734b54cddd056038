// MIDI in -> OSC: every row of the DESIGN.md table, running status, realtime bytes inside other
// messages, sysex across chunks and over the limit, 14-bit pairs, (N)RPN, and every drop.
#include <gtest/gtest.h>

#include <random>

#include "midi/decoder.h"
#include "tests/midi/midi_test_util.h"

namespace oscbridge::midi {
namespace {

using testing::Bytes;
using testing::DecodeLog;
using V = std::vector<std::string>;
using D = std::vector<DropReason>;

TEST(DecoderTest, ChannelMessages) {
  DecodeLog log;
  EXPECT_EQ(log.feed("90 3C 40"), V{"/midi/1/note/60 64"});
  EXPECT_EQ(log.feed("9F 00 7F"), V{"/midi/16/note/0 127"});
  EXPECT_EQ(log.feed("81 3C 40"), V{"/midi/2/note_off/60 64"});
  EXPECT_EQ(log.feed("B0 07 64"), V{"/midi/1/cc/7 100"});
  EXPECT_EQ(log.feed("BF 7F 00"), V{"/midi/16/cc/127 0"});
  EXPECT_EQ(log.feed("C5 0A"), V{"/midi/6/program 10"});
  EXPECT_EQ(log.feed("D0 33"), V{"/midi/1/pressure 51"});
  EXPECT_EQ(log.feed("A2 3C 22"), V{"/midi/3/poly_pressure/60 34"});
  EXPECT_EQ(log.feed("E0 00 40"), V{"/midi/1/pitchbend 0"});
  EXPECT_EQ(log.feed("E0 00 00"), V{"/midi/1/pitchbend -8192"});
  EXPECT_EQ(log.feed("E0 7F 7F"), V{"/midi/1/pitchbend 8191"});
  EXPECT_EQ(log.feed("E0 01 40"), V{"/midi/1/pitchbend 1"});  // LSB first on the wire
  EXPECT_TRUE(log.drops.empty());
}

TEST(DecoderTest, NoteOnWithVelocityZeroIsANoteOff) {
  DecodeLog log;
  EXPECT_EQ(log.feed("90 3C 00"), V{"/midi/1/note_off/60 0"});
  EXPECT_EQ(log.feed("80 3C 00"), V{"/midi/1/note_off/60 0"});
}

TEST(DecoderTest, SystemMessages) {
  DecodeLog log;
  EXPECT_EQ(log.feed("F8"), V{"/midi/clock"});
  EXPECT_EQ(log.feed("FA"), V{"/midi/start"});
  EXPECT_EQ(log.feed("FB"), V{"/midi/continue"});
  EXPECT_EQ(log.feed("FC"), V{"/midi/stop"});
  EXPECT_EQ(log.feed("F0 7E 7F 06 01 F7"), V{"/midi/sysex b:F0 7E 7F 06 01 F7"});
  EXPECT_EQ(log.feed("F0 F7"), V{"/midi/sysex b:F0 F7"});
  // No canonical address: /midi/raw with an m (port 0, status, data, unused data 0).
  EXPECT_EQ(log.feed("F1 25"), V{"/midi/raw m:00 F1 25 00"});
  EXPECT_EQ(log.feed("F2 10 20"), V{"/midi/raw m:00 F2 10 20"});
  EXPECT_EQ(log.feed("F3 05"), V{"/midi/raw m:00 F3 05 00"});
  EXPECT_EQ(log.feed("F6"), V{"/midi/raw m:00 F6 00 00"});
  EXPECT_EQ(log.feed("FF"), V{"/midi/raw m:00 FF 00 00"});
  EXPECT_TRUE(log.drops.empty());
}

TEST(DecoderTest, ActiveSensingIsConsumedSilently) {
  DecodeLog log;
  EXPECT_EQ(log.feed("FE FE 90 3C FE 40"), V{"/midi/1/note/60 64"});
  EXPECT_TRUE(log.drops.empty());
}

TEST(DecoderTest, RunningStatus) {
  DecodeLog log;
  EXPECT_EQ(log.feed("90 3C 40 3E 41 3C 00"),
            (V{"/midi/1/note/60 64", "/midi/1/note/62 65", "/midi/1/note_off/60 0"}));
  // ... across chunks, and for one-data-byte messages.
  EXPECT_EQ(log.feed("40 7F"), V{"/midi/1/note/64 127"});
  EXPECT_EQ(log.feed("C1 01 02"), (V{"/midi/2/program 1", "/midi/2/program 2"}));
  EXPECT_TRUE(log.drops.empty());
}

TEST(DecoderTest, AMessageSplitAcrossChunks) {
  DecodeLog log;
  EXPECT_EQ(log.feed("90"), V{});
  EXPECT_EQ(log.feed("3C"), V{});
  EXPECT_EQ(log.feed("40 3E"), V{"/midi/1/note/60 64"});
  EXPECT_EQ(log.feed("41"), V{"/midi/1/note/62 65"});
}

TEST(DecoderTest, RealtimeBytesInsideMessagesLeaveThemWhole) {
  DecodeLog log;
  EXPECT_EQ(log.feed("90 F8 3C FA 40 FC 3E F8 41"),
            (V{"/midi/clock", "/midi/start", "/midi/1/note/60 64", "/midi/stop", "/midi/clock",
               "/midi/1/note/62 65"}));
  EXPECT_TRUE(log.drops.empty());
}

TEST(DecoderTest, SystemCommonCancelsRunningStatus) {
  DecodeLog log;
  EXPECT_EQ(log.feed("90 3C 40 F6 3E 41 3F"), (V{"/midi/1/note/60 64", "/midi/raw m:00 F6 00 00"}));
  EXPECT_EQ(log.drops, D{DropReason::stray_data});  // one report for the run of stray bytes
  EXPECT_EQ(log.feed("90 3C 40 F2 01 02 3C 40"),
            (V{"/midi/1/note/60 64", "/midi/raw m:00 F2 01 02"}));
  EXPECT_EQ(log.drops, (D{DropReason::stray_data, DropReason::stray_data}));
}

TEST(DecoderTest, StrayDataIsReportedOncePerRun) {
  DecodeLog log;
  EXPECT_EQ(log.feed("3C 40 41"), V{});
  EXPECT_EQ(log.feed("42"), V{});
  EXPECT_EQ(log.drops, D{DropReason::stray_data});
  EXPECT_EQ(log.feed("90 3C 40"), V{"/midi/1/note/60 64"});
  EXPECT_EQ(log.feed("F7"), V{});  // EOX with no sysex to end
  EXPECT_EQ(log.drops, (D{DropReason::stray_data, DropReason::stray_data}));
}

TEST(DecoderTest, AMessageCutShortIsDropped) {
  DecodeLog log;
  EXPECT_EQ(log.feed("90 3C 80 3C 00"), V{"/midi/1/note_off/60 0"});
  EXPECT_EQ(log.feed("90 B0 07 01"), V{"/midi/1/cc/7 1"});
  EXPECT_EQ(log.feed("F2 01 90 3C 40"), V{"/midi/1/note/60 64"});
  EXPECT_EQ(log.drops, D(3, DropReason::truncated));
}

TEST(DecoderTest, UndefinedStatusBytesAreDropped) {
  DecodeLog log;
  // F9 and FD are realtime: the note around them goes on. F4 and F5 are system common: they
  // end running status, so the bytes after them are stray.
  EXPECT_EQ(log.feed("90 3C F9 40 FD"), V{"/midi/1/note/60 64"});
  EXPECT_EQ(log.feed("F4 3C 40 F5"), V{});
  EXPECT_EQ(log.drops, (D{DropReason::undefined_status, DropReason::undefined_status,
                          DropReason::undefined_status, DropReason::stray_data,
                          DropReason::undefined_status}));
}

TEST(DecoderTest, SysexSplitAcrossThreeChunks) {
  DecodeLog log;
  EXPECT_EQ(log.feed("F0 43 12"), V{});
  EXPECT_TRUE(log.decoder.in_sysex());
  EXPECT_EQ(log.feed("00 01 02"), V{});
  EXPECT_EQ(log.feed("03 F7 90 3C 40"),
            (V{"/midi/sysex b:F0 43 12 00 01 02 03 F7", "/midi/1/note/60 64"}));
  EXPECT_FALSE(log.decoder.in_sysex());
  EXPECT_TRUE(log.drops.empty());
}

TEST(DecoderTest, SysexInterruptedByRealtimeBytes) {
  DecodeLog log;
  EXPECT_EQ(log.feed("F0 43 F8 12"), V{"/midi/clock"});
  EXPECT_EQ(log.feed("FE 00 FC F7"), (V{"/midi/stop", "/midi/sysex b:F0 43 12 00 F7"}));
  EXPECT_TRUE(log.drops.empty());
}

TEST(DecoderTest, SysexCutOffByAStatusByteIsDropped) {
  DecodeLog log;
  EXPECT_EQ(log.feed("F0 43 12 90 3C 40"), V{"/midi/1/note/60 64"});
  EXPECT_EQ(log.drops, D{DropReason::truncated});
  EXPECT_EQ(log.feed("F0 01 F0 02 F7"), V{"/midi/sysex b:F0 02 F7"});
  EXPECT_EQ(log.drops, (D{DropReason::truncated, DropReason::truncated}));
}

DecoderOptions sysex_limit(std::size_t size) {
  DecoderOptions options;
  options.max_sysex_size = size;
  return options;
}

TEST(DecoderTest, SysexOverTheLimitIsDroppedAndTheStreamGoesOn) {
  DecodeLog log(sysex_limit(8));
  EXPECT_EQ(log.feed("F0 01 02 03 04 05 06 F7"), V{"/midi/sysex b:F0 01 02 03 04 05 06 F7"});
  EXPECT_TRUE(log.drops.empty());
  // Nine bytes: reported once, when it crosses the limit; the rest up to F7 is skipped quietly,
  // realtime bytes inside still count.
  EXPECT_EQ(log.feed("F0 01 02 03 04 05 06 07"), V{});
  EXPECT_EQ(log.drops, D{DropReason::sysex_too_large});
  EXPECT_EQ(log.feed("08 F8 09 F7"), V{"/midi/clock"});
  EXPECT_EQ(log.drops, D{DropReason::sysex_too_large});
  EXPECT_EQ(log.feed("F0 01 F7 90 3C 40"), (V{"/midi/sysex b:F0 01 F7", "/midi/1/note/60 64"}));
  // Ended by a status byte instead: no second report.
  EXPECT_EQ(log.feed("F0 01 02 03 04 05 06 07 08 90 3C 40"), V{"/midi/1/note/60 64"});
  EXPECT_EQ(log.drops, (D{DropReason::sysex_too_large, DropReason::sysex_too_large}));
}

TEST(DecoderTest, SysexLimitIsClamped) {
  DecodeLog log(sysex_limit(0));
  EXPECT_EQ(log.decoder.options().max_sysex_size, 2u);
  EXPECT_EQ(log.feed("F0 F7 F0 01 F7"), V{"/midi/sysex b:F0 F7"});
  EXPECT_EQ(log.drops, D{DropReason::sysex_too_large});
}

DecoderOptions cc14(std::initializer_list<int> controllers, bool nrpn = false) {
  DecoderOptions options;
  for (int c : controllers) options.cc14.set(static_cast<std::size_t>(c));
  options.nrpn = nrpn;
  return options;
}

TEST(DecoderTest, ControllersNotConfiguredAs14BitArePlain) {
  DecodeLog log(cc14({10}));
  EXPECT_EQ(log.feed("B0 07 10 B0 27 05"), (V{"/midi/1/cc/7 16", "/midi/1/cc/39 5"}));
}

TEST(DecoderTest, Cc14MsbThenLsb) {
  DecodeLog log(cc14({7, 10}));
  // An MSB is reported at once (with the last LSB, 0 at first), then again with its LSB.
  EXPECT_EQ(log.feed("B0 07 10"), V{"/midi/1/cc14/7 2048"});
  EXPECT_EQ(log.feed("B0 27 05"), V{"/midi/1/cc14/7 2053"});
  EXPECT_EQ(log.feed("B0 07 11 27 06"), (V{"/midi/1/cc14/7 2181", "/midi/1/cc14/7 2182"}));
  // A fine change may send the LSB alone; a coarse one the MSB alone, keeping the last LSB.
  EXPECT_EQ(log.feed("B0 27 7F"), V{"/midi/1/cc14/7 2303"});
  EXPECT_EQ(log.feed("B0 07 00"), V{"/midi/1/cc14/7 127"});
  EXPECT_EQ(log.feed("B0 0A 7F 2A 7F"), (V{"/midi/1/cc14/10 16256", "/midi/1/cc14/10 16383"}));
  EXPECT_TRUE(log.drops.empty());
}

TEST(DecoderTest, Cc14LsbThenMsb) {
  DecodeLog log(cc14({7}));
  EXPECT_EQ(log.feed("B0 27 05"), V{});  // no MSB yet: nothing to report a value with
  EXPECT_EQ(log.feed("B0 07 10"), V{"/midi/1/cc14/7 2053"});
  EXPECT_EQ(log.feed("B0 27 06 07 11"), (V{"/midi/1/cc14/7 2054", "/midi/1/cc14/7 2182"}));
  EXPECT_TRUE(log.drops.empty());
}

TEST(DecoderTest, Cc14PairsArePerChannel) {
  DecodeLog log(cc14({7}));
  EXPECT_EQ(log.feed("B0 07 10 B1 27 05"), V{"/midi/1/cc14/7 2048"});  // channel 2: no MSB yet
  EXPECT_EQ(log.feed("B1 07 01"), V{"/midi/2/cc14/7 133"});
  EXPECT_EQ(log.feed("B0 27 01"), V{"/midi/1/cc14/7 2049"});
}

TEST(DecoderTest, NrpnControllersArePlainWhenNrpnIsOff) {
  DecodeLog log;
  EXPECT_EQ(log.feed("B0 63 01 62 02 06 10 26 05 60 00 65 00 64 00"),
            (V{"/midi/1/cc/99 1", "/midi/1/cc/98 2", "/midi/1/cc/6 16", "/midi/1/cc/38 5",
               "/midi/1/cc/96 0", "/midi/1/cc/101 0", "/midi/1/cc/100 0"}));
}

TEST(DecoderTest, Nrpn) {
  DecodeLog log(cc14({}, true));
  EXPECT_EQ(log.feed("B0 63 01 62 02 06 10"), V{"/midi/1/nrpn/130 2048"});
  EXPECT_EQ(log.feed("B0 26 05"), V{"/midi/1/nrpn/130 2053"});
  EXPECT_EQ(log.feed("B0 07 64"), V{"/midi/1/cc/7 100"});  // other controllers stay plain
  EXPECT_TRUE(log.drops.empty());
}

TEST(DecoderTest, Rpn) {
  DecodeLog log(cc14({}, true));
  // Pitch bend sensitivity (RPN 0), 2 semitones, as synths are usually told.
  EXPECT_EQ(log.feed("B3 65 00 64 00 06 02 26 00"), (V{"/midi/4/rpn/0 256", "/midi/4/rpn/0 256"}));
  // A new selection of the other kind redirects data entry.
  EXPECT_EQ(log.feed("B3 63 00 62 05 06 01"), V{"/midi/4/nrpn/5 128"});
  EXPECT_EQ(log.feed("B3 65 00 64 01 06 40"), V{"/midi/4/rpn/1 8192"});
}

TEST(DecoderTest, NrpnDataLsbBeforeMsbWaitsForTheMsb) {
  DecodeLog log(cc14({}, true));
  EXPECT_EQ(log.feed("B0 63 00 62 07 26 05"), V{});
  EXPECT_EQ(log.feed("B0 06 10"), V{"/midi/1/nrpn/7 2053"});
  EXPECT_TRUE(log.drops.empty());
}

TEST(DecoderTest, NrpnIncrementAndDecrement) {
  DecodeLog log(cc14({}, true));
  EXPECT_EQ(log.feed("B0 63 01 62 02 06 10 26 7F"),
            (V{"/midi/1/nrpn/130 2048", "/midi/1/nrpn/130 2175"}));
  // One step of the 14-bit value each; the data byte is ignored.
  EXPECT_EQ(log.feed("B0 60 00"), V{"/midi/1/nrpn/130 2176"});
  EXPECT_EQ(log.feed("B0 60 05"), V{"/midi/1/nrpn/130 2177"});
  EXPECT_EQ(log.feed("B0 61 7F 61 00"), (V{"/midi/1/nrpn/130 2176", "/midi/1/nrpn/130 2175"}));
  // At the ends of the range the value stays.
  EXPECT_EQ(log.feed("B0 06 7F 26 7F 60 00"),
            (V{"/midi/1/nrpn/130 16383", "/midi/1/nrpn/130 16383", "/midi/1/nrpn/130 16383"}));
  EXPECT_EQ(log.feed("B0 06 00 26 00 61 00"),
            (V{"/midi/1/nrpn/130 127", "/midi/1/nrpn/130 0", "/midi/1/nrpn/130 0"}));
  // Selecting the same parameter again keeps its value; another one starts unknown.
  EXPECT_EQ(log.feed("B0 63 01 62 02 60 00"), V{"/midi/1/nrpn/130 1"});
  EXPECT_TRUE(log.drops.empty());
  EXPECT_EQ(log.feed("B0 63 01 62 03 60 00"), V{});
  EXPECT_EQ(log.drops, D{DropReason::no_parameter});
}

TEST(DecoderTest, NullParameterAndNoSelectionDropDataEntry) {
  DecodeLog log(cc14({}, true));
  EXPECT_EQ(log.feed("B0 06 10 26 01 60 00"), V{});  // nothing selected yet
  EXPECT_EQ(log.drops, D(3, DropReason::no_parameter));
  EXPECT_EQ(log.feed("B0 65 00 64 00 06 02 65 7F 64 7F 06 03 60 00"), V{"/midi/1/rpn/0 256"});
  EXPECT_EQ(log.drops, D(5, DropReason::no_parameter));
  EXPECT_EQ(log.feed("B0 63 7F 62 7F 06 03"), V{});  // the NRPN null as well
  EXPECT_EQ(log.drops, D(6, DropReason::no_parameter));
  EXPECT_EQ(log.feed("B1 06 03"), V{});  // selections are per channel
  EXPECT_EQ(log.drops, D(7, DropReason::no_parameter));
}

TEST(DecoderTest, NrpnTakesDataEntryBeforeCc14) {
  DecodeLog log(cc14({6, 7}, true));
  EXPECT_EQ(log.feed("B0 63 00 62 01 06 01 B0 07 01"),
            (V{"/midi/1/nrpn/1 128", "/midi/1/cc14/7 128"}));
}

TEST(DecoderTest, ResetForgetsTheStream) {
  DecodeLog log(cc14({7}));
  EXPECT_EQ(log.feed("B0 07 10 90 3C 40"), (V{"/midi/1/cc14/7 2048", "/midi/1/note/60 64"}));
  log.decoder.reset();
  EXPECT_EQ(log.feed("3E 40"), V{});     // no running status any more
  EXPECT_EQ(log.feed("B0 27 05"), V{});  // the MSB was forgotten
  EXPECT_EQ(log.feed("F0 01"), V{});
  log.decoder.reset();
  EXPECT_FALSE(log.decoder.in_sysex());
  EXPECT_EQ(log.feed("02 F7"), V{});
  EXPECT_EQ(log.drops, (D{DropReason::stray_data, DropReason::stray_data, DropReason::stray_data}));
}

TEST(DecoderTest, SetOptionsKeepsRunningStatusAndForgetsPairs) {
  DecodeLog log(cc14({7}));
  EXPECT_EQ(log.feed("B0 07 10"), V{"/midi/1/cc14/7 2048"});
  log.decoder.set_options(cc14({7}));
  EXPECT_EQ(log.feed("27 05"), V{});  // running status still B0; the MSB forgotten
  log.decoder.set_options(cc14({}));
  EXPECT_EQ(log.feed("27 05"), V{"/midi/1/cc/39 5"});
  EXPECT_TRUE(log.drops.empty());
}

// Whatever the bytes and however they are split into chunks, the decoder produces the same
// messages and drops, each a valid OSC message.
TEST(DecoderTest, RandomStreamsDecodeTheSameInAnyChunks) {
  std::mt19937 random(20261201);
  for (int round = 0; round < 200; ++round) {
    Bytes stream(static_cast<std::size_t>(random() % 400));
    // Mostly data bytes, some status bytes, so that messages complete as well as break.
    for (std::uint8_t& b : stream) {
      b = static_cast<std::uint8_t>(random() % 4 == 0 ? 0x80 + random() % 0x80 : random() % 0x80);
    }
    const DecoderOptions options = cc14({0, 7, 31}, round % 2 == 0);
    DecodeLog whole(options);
    whole.feed_bytes(stream);
    DecodeLog pieces(options);
    for (std::size_t at = 0; at < stream.size();) {
      const std::size_t size = std::min<std::size_t>(1 + random() % 5, stream.size() - at);
      pieces.feed_bytes(Bytes(stream.begin() + at, stream.begin() + at + size));
      at += size;
    }
    ASSERT_EQ(whole.messages, pieces.messages) << testing::hex(stream);
    ASSERT_EQ(whole.drops, pieces.drops) << testing::hex(stream);
    for (const std::string& m : whole.messages) ASSERT_NE(m, "<not an OSC message>");
  }
}

}  // namespace
}  // namespace oscbridge::midi

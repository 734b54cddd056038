// Proves the per-message path allocates nothing in steady state: this executable replaces the
// global operator new (tests/support/allocation_counter.h) and counts calls made while a
// Counting scope is active. Its own executable, so the replacement affects no other test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "midi/decoder.h"
#include "midi/encoder.h"
#include "osc/packet.h"
#include "tests/midi/midi_test_util.h"
#include "tests/support/allocation_counter.h"

namespace oscbridge::midi {
namespace {

using test::Counting;

TEST(NoAllocationTest, TheCounterSeesAllocations) {
  Counting scope;
  std::vector<int>* v = new std::vector<int>(100);
  delete v;
  EXPECT_EQ(scope.count(), 2);
}

// Every kind of message, running status, pairs, (N)RPN, a sysex split in chunks with a realtime
// byte inside, and some drops.
const std::vector<testing::Bytes>& sample_chunks() {
  static const std::vector<testing::Bytes> chunks = {
      testing::parse_hex("90 3C 40 3E 41 80 3C 00 A0 3C 10 C0 05 D0 06 E0 00 40"),
      testing::parse_hex("B0 07 10 27 05 63 01 62 02 06 10 26 05 60 00 65 00 64 00 06 02"),
      testing::parse_hex("B0 0A 01 F8 FA FB FC FE FF F1 01 F2 01 02 F3 03 F6"),
      testing::parse_hex("F0 43 12 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10"),
      testing::parse_hex("11 12 13 F8 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F 20 21 22 23"),
      testing::parse_hex("24 25 F7 3C 40 F7 F4 90 90 3C 40"),
  };
  return chunks;
}

TEST(NoAllocationTest, DecodingAndEncodingInSteadyState) {
  DecoderOptions options;
  options.cc14.set(7);
  options.nrpn = true;
  Decoder decoder(options);
  Encoder encoder;
  std::size_t messages = 0;
  std::size_t midi_bytes = 0;
  std::size_t drops = 0;
  auto on_message = [&](std::string_view osc) {
    ++messages;
    osc::Result<osc::Packet> packet = osc::parse_packet(osc);
    const EncodeResult r =
        encoder.encode(packet->message(),
                       [&](std::span<const std::uint8_t> bytes) { midi_bytes += bytes.size(); });
    ASSERT_TRUE(r.ok());
  };
  auto on_drop = [&](const Drop&) { ++drops; };
  // Warm up: the first sysex sizes the decoder's buffers.
  for (const testing::Bytes& chunk : sample_chunks()) decoder.feed(chunk, on_message, on_drop);
  const std::size_t messages_per_round = messages;
  const std::size_t drops_per_round = drops;
  ASSERT_GT(messages_per_round, 20u);
  ASSERT_GT(drops_per_round, 2u);
  Counting scope;
  for (int i = 0; i < 100; ++i) {
    for (const testing::Bytes& chunk : sample_chunks()) decoder.feed(chunk, on_message, on_drop);
  }
  EXPECT_EQ(scope.count(), 0);
  EXPECT_EQ(messages, 101 * messages_per_round);
  EXPECT_EQ(drops, 101 * drops_per_round);
  EXPECT_GT(midi_bytes, 0u);
}

}  // namespace
}  // namespace oscbridge::midi

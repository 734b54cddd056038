// Proves the hot path allocates nothing: this executable replaces the global operator new and
// counts calls made while a Counting scope is active on this thread. Its own executable, so the
// replacement affects no other test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "osc/encoder.h"
#include "osc/length_prefix.h"
#include "osc/packet.h"
#include "osc/slip.h"
#include "tests/osc/osc_test_util.h"
#include "tests/support/allocation_counter.h"

namespace oscbridge::osc {
namespace {

using testing::be32;
using testing::be64;
using testing::blob;
using testing::bundle;
using testing::message;
using testing::padded;

using test::Counting;

TEST(NoAllocationTest, TheCounterSeesAllocations) {
  Counting scope;
  std::vector<int>* v = new std::vector<int>(100);
  delete v;
  EXPECT_EQ(scope.count(), 2);  // the vector object and its storage
}

const std::string& sample_packet() {
  static const std::string packet =
      bundle({message("/mixer/ch/01/fader", "fisb",
                      be32(0x3f000000) + be32(3) + padded("name") + blob("xyz")),
              bundle({message("/a", "hdtScmTFNI[ii]",
                              be64(1) + be64(2) + be64(3) + padded("S") + be32('c') +
                                  be32(0x00903c40) + be32(1) + be32(2))},
                     5)},
             7);
  return packet;
}

TEST(NoAllocationTest, ParsingAndWalking) {
  const std::string& packet = sample_packet();
  double sum = 0;
  std::size_t bytes = 0;
  Counting scope;
  for (int i = 0; i < 100; ++i) {
    Result<Packet> parsed = parse_packet(packet);
    ASSERT_TRUE(parsed.ok());
    Status status = for_each_message(packet, [&](const Message& m, TimeTag t) {
      bytes += m.address().size() + t.seconds();
      for (const Argument& a : m.arguments()) {
        sum += a.numeric_value().value_or(0) + a.as_string().size() + a.as_blob().size() +
               a.as_midi()[1] + a.as_char() + static_cast<double>(a.as_timetag().ntp()) +
               a.raw().size();
      }
    });
    ASSERT_TRUE(status.ok());
    Result<Packet> bad = parse_packet(std::string_view("/a\0\0,s\0\0abcd", 12));
    ASSERT_FALSE(bad.ok());
  }
  EXPECT_EQ(scope.count(), 0);
  EXPECT_GT(sum + static_cast<double>(bytes), 0);
}

TEST(NoAllocationTest, Encoding) {
  const std::string& packet = sample_packet();
  Result<Packet> parsed = parse_packet(packet);
  ASSERT_TRUE(parsed.ok());
  const Message first = (*parsed->bundle().elements().begin()).message();
  std::array<char, 1024> out;
  std::array<char, 2048> framed;
  Counting scope;
  for (int i = 0; i < 100; ++i) {
    MessageBuilder m(out, "/encode/me");
    m.add_int32(i).add_float(0.5f).add_string("text").add_blob("blob").add_int64(9).add_double(1.0);
    m.add_timetag(TimeTag(3)).add_symbol("s").add_char('c').add_rgba(1).add_midi({1, 2, 3, 4});
    m.add_bool(true).add_nil().add_infinitum().begin_array().add_int32(1).end_array();
    for (const Argument& a : first.arguments()) m.add_argument(a);
    ASSERT_TRUE(m.finish().ok());
    ASSERT_TRUE(rewrite_address(first, "/new/address", out).ok());
    BundleBuilder b(out, TimeTag::immediately());
    MessageBuilder element(b.element_space(), "/in/bundle");
    element.add_int32(1);
    b.commit_element(element.finish());
    b.add_element(first.bytes());
    Result<std::size_t> size = b.finish();
    ASSERT_TRUE(size.ok());
    ASSERT_TRUE(slip_encode(std::string_view(out.data(), *size), framed).ok());
    ASSERT_TRUE(length_prefix_encode(std::string_view(out.data(), *size), framed).ok());
  }
  EXPECT_EQ(scope.count(), 0);
}

TEST(NoAllocationTest, DeframingInSteadyState) {
  const std::string& packet = sample_packet();
  std::string slip_stream;
  std::string length_stream;
  {
    std::vector<char> out(slip_max_encoded_size(packet.size()));
    slip_stream.append(out.data(), *slip_encode(packet, out));
    out.resize(packet.size() + 4);
    length_stream.append(out.data(), *length_prefix_encode(packet, out));
  }
  SlipDecoder slip;
  LengthPrefixDecoder length;
  std::size_t frames = 0;
  auto on_frame = [&](std::string_view f) { frames += f.size() == packet.size() ? 1 : 0; };
  auto on_error = [](const Error&) { FAIL(); };
  auto feed_in_pieces = [&](auto& decoder, const std::string& stream) {
    for (std::size_t at = 0; at < stream.size(); at += 7) {
      decoder.feed(std::string_view(stream).substr(at, 7), on_frame, on_error);
    }
  };
  // Warm up: the first split frame sizes the decoders' buffers.
  feed_in_pieces(slip, slip_stream);
  feed_in_pieces(length, length_stream);
  Counting scope;
  for (int i = 0; i < 100; ++i) {
    feed_in_pieces(slip, slip_stream);
    feed_in_pieces(length, length_stream);
    slip.feed(slip_stream, on_frame, on_error);
    length.feed(length_stream, on_frame, on_error);
  }
  EXPECT_EQ(scope.count(), 0);
  EXPECT_EQ(frames, 2u + 400u);
}

}  // namespace
}  // namespace oscbridge::osc

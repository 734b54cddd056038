#include "osc/length_prefix.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/osc/osc_test_util.h"

namespace oscbridge::osc {
namespace {

using testing::be32;
using testing::ExactBuffer;

struct Collected {
  std::vector<std::string> frames;
  std::vector<Error> errors;
};

Collected feed(LengthPrefixDecoder& decoder, std::string_view stream, std::size_t piece) {
  Collected out;
  for (std::size_t at = 0; at < stream.size() && !decoder.unusable(); at += piece) {
    const ExactBuffer chunk(stream.substr(at, piece));
    decoder.feed(
        chunk.view(), [&](std::string_view frame) { out.frames.emplace_back(frame); },
        [&](const Error& error) { out.errors.push_back(error); });
  }
  return out;
}

std::string framed(std::string_view frame) {
  return be32(static_cast<std::uint32_t>(frame.size())) + std::string(frame);
}

TEST(LengthPrefixTest, Encodes) {
  std::vector<char> out(16);
  Result<std::size_t> size = length_prefix_encode("abcd", out);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(std::string_view(out.data(), *size), framed("abcd"));
  EXPECT_EQ(length_prefix_encode(std::string(13, 'x'), out).error().reason,
            "output buffer too small");
  EXPECT_EQ(length_prefix_encode("", std::span<char>(out.data(), 3)).error().reason,
            "output buffer too small");
  const std::array<char, 4> header = length_prefix_header(0x01020304);
  EXPECT_EQ(std::string_view(header.data(), 4), "\x01\x02\x03\x04");
}

TEST(LengthPrefixTest, EverySplitGivesTheSameFrames) {
  const std::vector<std::string> expected = {std::string("/a\0\0,i\0\0\0\0\0\x07", 12), "xyzw",
                                             std::string(300, 'q')};
  std::string stream;
  for (const std::string& frame : expected) stream += framed(frame);
  for (std::size_t first = 0; first <= stream.size(); ++first) {
    for (std::size_t second = first; second <= stream.size(); second += 7) {
      LengthPrefixDecoder decoder;
      std::vector<std::string> frames;
      for (auto [from, to] : {std::pair{std::size_t{0}, first}, std::pair{first, second},
                              std::pair{second, stream.size()}}) {
        const ExactBuffer chunk(std::string_view(stream).substr(from, to - from));
        decoder.feed(
            chunk.view(), [&](std::string_view f) { frames.emplace_back(f); },
            [&](const Error& e) { FAIL() << e.reason; });
      }
      ASSERT_EQ(frames, expected) << first << "," << second;
      EXPECT_FALSE(decoder.has_partial_frame());
    }
  }
  LengthPrefixDecoder one_by_one;
  EXPECT_EQ(feed(one_by_one, stream, 1).frames, expected);
}

TEST(LengthPrefixTest, PartialFramesAreReported) {
  LengthPrefixDecoder decoder;
  EXPECT_FALSE(decoder.has_partial_frame());
  feed(decoder, std::string("\0\0", 2), 10);
  EXPECT_TRUE(decoder.has_partial_frame());
  feed(decoder, std::string("\0\x08", 2) + "abc", 10);
  EXPECT_TRUE(decoder.has_partial_frame());
  Collected got = feed(decoder, "defgh", 10);
  EXPECT_EQ(got.frames, std::vector<std::string>{"abcdefgh"});
  EXPECT_FALSE(decoder.has_partial_frame());
}

TEST(LengthPrefixTest, WholeFrameInTheChunkIsAView) {
  LengthPrefixDecoder decoder;
  const std::string stream = framed("abcd");
  std::string_view input = stream;
  DecodeEvent event = decoder.next(input);
  ASSERT_EQ(event.status, DecodeStatus::frame);
  EXPECT_EQ(event.frame.data(), stream.data() + 4);
  EXPECT_TRUE(input.empty());
}

TEST(LengthPrefixTest, ZeroLengthFramesAreSkippedSilently) {
  LengthPrefixDecoder decoder;
  Collected got = feed(decoder, framed("") + framed("") + framed("data") + framed(""), 3);
  EXPECT_EQ(got.frames, std::vector<std::string>{"data"});
  EXPECT_TRUE(got.errors.empty());
  EXPECT_FALSE(decoder.has_partial_frame());
}

TEST(LengthPrefixTest, OverLimitLengthsMakeTheStreamUnusable) {
  for (std::uint32_t length : {0x7FFFFFFFu, 0xFFFFFFFCu, 0x80000000u, 0xFFFFFFFFu, 65537u}) {
    for (std::size_t piece : {1, 3, 100}) {
      LengthPrefixDecoder decoder;
      const std::string stream =
          framed("ok!!") + be32(length) + std::string(64, 'z') + framed("late");
      Collected got = feed(decoder, stream, piece);
      EXPECT_EQ(got.frames, std::vector<std::string>{"ok!!"}) << length;
      ASSERT_EQ(got.errors.size(), 1u) << length;
      EXPECT_EQ(got.errors[0].reason, "length prefix over the maximum frame size");
      EXPECT_EQ(got.errors[0].offset, 8u);
      EXPECT_TRUE(decoder.unusable());
      // Stays unusable, consuming input without producing frames, until reset.
      const std::string next = framed("next");
      std::string_view more = next;
      EXPECT_EQ(decoder.next(more).status, DecodeStatus::unusable);
      EXPECT_TRUE(more.empty());
      decoder.reset();
      EXPECT_FALSE(decoder.unusable());
      EXPECT_EQ(feed(decoder, framed("next"), 2).frames, std::vector<std::string>{"next"});
    }
  }
}

TEST(LengthPrefixTest, ConfiguredLimit) {
  LengthPrefixDecoder decoder(8);
  Collected got = feed(decoder, framed("12345678") + framed("123456789"), 5);
  EXPECT_EQ(got.frames, std::vector<std::string>{"12345678"});
  EXPECT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(LengthPrefixDecoder(0).max_frame_size(), 1u);
  EXPECT_EQ(LengthPrefixDecoder(std::size_t{1} << 40).max_frame_size(), kMaxFrameSizeLimit);
  LengthPrefixDecoder big(kMaxFrameSizeLimit);
  const std::string large(kMaxFrameSizeLimit, 'L');
  got = feed(big, framed(large), 65536);
  ASSERT_EQ(got.frames.size(), 1u);
  EXPECT_EQ(got.frames[0].size(), kMaxFrameSizeLimit);
}

TEST(LengthPrefixTest, RandomFramesRoundTripThroughRandomChunks) {
  std::mt19937 rng(99);
  std::vector<std::string> frames;
  std::string stream;
  for (int i = 0; i < 300; ++i) {
    std::string frame(1 + rng() % 300, '\0');
    for (char& c : frame) c = static_cast<char>(rng());
    frames.push_back(frame);
    std::vector<char> out(frame.size() + 4);
    Result<std::size_t> size = length_prefix_encode(frame, out);
    ASSERT_TRUE(size.ok());
    stream.append(out.data(), *size);
  }
  LengthPrefixDecoder decoder;
  std::vector<std::string> got;
  for (std::size_t at = 0; at < stream.size();) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % 97, stream.size() - at);
    const ExactBuffer chunk(std::string_view(stream).substr(at, n));
    decoder.feed(
        chunk.view(), [&](std::string_view f) { got.emplace_back(f); },
        [&](const Error& e) { FAIL() << e.reason; });
    at += n;
  }
  EXPECT_EQ(got, frames);
}

}  // namespace
}  // namespace oscbridge::osc

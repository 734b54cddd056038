#include "osc/slip.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/osc/osc_test_util.h"

namespace oscbridge::osc {
namespace {

using testing::ExactBuffer;

const std::string kEnd(1, kSlipEnd);
const std::string kEsc(1, kSlipEsc);

struct Collected {
  std::vector<std::string> frames;
  std::vector<std::string> errors;
};

// Feeds `stream` in pieces of the given sizes (cycled), each piece in its own exact buffer.
Collected feed(SlipDecoder& decoder, std::string_view stream, std::vector<std::size_t> pieces) {
  Collected out;
  std::size_t at = 0;
  for (std::size_t i = 0; at < stream.size(); ++i) {
    const std::size_t n = std::min(pieces[i % pieces.size()], stream.size() - at);
    const ExactBuffer chunk(stream.substr(at, n));
    decoder.feed(
        chunk.view(), [&](std::string_view frame) { out.frames.emplace_back(frame); },
        [&](const Error& error) { out.errors.emplace_back(error.reason); });
    at += n;
  }
  return out;
}

Collected feed_all(std::string_view stream, std::size_t max = kDefaultMaxFrameSize) {
  SlipDecoder decoder(max);
  return feed(decoder, stream, {stream.size() + 1});
}

std::string encode(std::string_view frame) {
  std::string out(slip_encoded_size(frame), '\0');
  Result<std::size_t> size = slip_encode(frame, out);
  EXPECT_TRUE(size.ok());
  EXPECT_EQ(*size, out.size());
  return out;
}

TEST(SlipTest, EncodesWithEndBeforeAndAfterAndEscapes) {
  EXPECT_EQ(encode("abc"), kEnd + "abc" + kEnd);
  EXPECT_EQ(encode(""), kEnd + kEnd);
  EXPECT_EQ(encode(kEnd + "x" + kEsc), kEnd + kEsc + kSlipEscEnd + "x" + kEsc + kSlipEscEsc + kEnd);
  EXPECT_EQ(slip_max_encoded_size(3), 8u);
  std::vector<char> small(4);
  Result<std::size_t> too_small = slip_encode("abc", small);
  ASSERT_FALSE(too_small.ok());
  EXPECT_EQ(too_small.error().reason, "output buffer too small");
}

TEST(SlipTest, DecodesFramesAndSkipsEmptyOnes) {
  const std::string stream = kEnd + kEnd + "one" + kEnd + kEnd + kEnd + "two" + kEnd + kEnd;
  Collected got = feed_all(stream);
  EXPECT_EQ(got.frames, (std::vector<std::string>{"one", "two"}));
  EXPECT_TRUE(got.errors.empty());
  EXPECT_TRUE(feed_all(std::string(1000, kSlipEnd)).frames.empty());
  EXPECT_EQ(feed_all("lead" + kEnd).frames, std::vector<std::string>{"lead"});
}

TEST(SlipTest, EverySplitOfAStreamGivesTheSameFrames) {
  const std::string a("/a\0\0,b\0\0\0\0\0\x02\xc0\xdb\0\0", 16);
  const std::string b = "plain";
  const std::string stream = encode(a) + encode(b) + encode(kEsc + kEsc) + encode(kEnd);
  const std::vector<std::string> expected = {a, b, kEsc + kEsc, kEnd};
  for (std::size_t first = 0; first <= stream.size(); ++first) {
    for (std::size_t second = first; second <= stream.size(); ++second) {
      SlipDecoder decoder;
      Collected got;
      for (auto [from, to] : {std::pair{std::size_t{0}, first}, std::pair{first, second},
                              std::pair{second, stream.size()}}) {
        const ExactBuffer chunk(std::string_view(stream).substr(from, to - from));
        decoder.feed(
            chunk.view(), [&](std::string_view f) { got.frames.emplace_back(f); },
            [&](const Error& e) { got.errors.emplace_back(e.reason); });
      }
      ASSERT_EQ(got.frames, expected) << first << "," << second;
      ASSERT_TRUE(got.errors.empty());
      EXPECT_FALSE(decoder.has_partial_frame());
    }
  }
  SlipDecoder one_by_one;
  EXPECT_EQ(feed(one_by_one, stream, {1}).frames, expected);
}

TEST(SlipTest, EscapeAtAChunkBoundary) {
  SlipDecoder decoder;
  Collected got = feed(decoder, kEnd + "a" + kEsc, {100});
  EXPECT_TRUE(got.frames.empty());
  EXPECT_TRUE(decoder.has_partial_frame());
  got = feed(decoder, std::string(1, kSlipEscEnd) + "b" + kEnd, {100});
  EXPECT_EQ(got.frames, std::vector<std::string>{"a" + kEnd + "b"});
  EXPECT_FALSE(decoder.has_partial_frame());
}

TEST(SlipTest, WholeUnescapedFrameIsAViewIntoTheInput) {
  SlipDecoder decoder;
  const std::string stream = kEnd + "frame" + kEnd;
  std::string_view input = stream;
  DecodeEvent event = decoder.next(input);
  ASSERT_EQ(event.status, DecodeStatus::frame);
  EXPECT_EQ(event.frame, "frame");
  EXPECT_EQ(event.frame.data(), stream.data() + 1);
  EXPECT_TRUE(input.empty());
  EXPECT_EQ(decoder.next(input).status, DecodeStatus::need_more);
}

TEST(SlipTest, InvalidEscapeDropsThatFrameOnly) {
  Collected got = feed_all(kEnd + "bad" + kEsc + "A" + "more" + kEnd + "good" + kEnd);
  EXPECT_EQ(got.frames, std::vector<std::string>{"good"});
  EXPECT_EQ(got.errors, std::vector<std::string>{"SLIP ESC followed by an invalid byte"});

  // ESC END: the END both ends the dropped frame and lets the next one start.
  got = feed_all(kEnd + "bad" + kEsc + kEnd + "good" + kEnd);
  EXPECT_EQ(got.frames, std::vector<std::string>{"good"});
  EXPECT_EQ(got.errors.size(), 1u);

  SlipDecoder split;
  got = feed(split, kEnd + "bad" + kEsc + "x" + kEnd + "good" + kEnd, {4, 1});
  EXPECT_EQ(got.frames, std::vector<std::string>{"good"});
  EXPECT_EQ(got.errors.size(), 1u);
}

TEST(SlipTest, OverLimitFrameIsDroppedAndDecodingResynchronises) {
  const std::size_t max = 16;
  const std::string exact(max, 'x');
  const std::string over(max + 1, 'y');
  const std::string stream = encode(exact) + encode(over) + encode("after") +
                             encode(std::string(max, kSlipEnd)) +
                             encode(std::string(max + 1, kSlipEsc));
  for (std::vector<std::size_t> pieces :
       {std::vector<std::size_t>{stream.size()}, std::vector<std::size_t>{1},
        std::vector<std::size_t>{3, 5}}) {
    SlipDecoder decoder(max);
    Collected got = feed(decoder, stream, pieces);
    EXPECT_EQ(got.frames, (std::vector<std::string>{exact, "after", std::string(max, kSlipEnd)}));
    EXPECT_EQ(got.errors,
              (std::vector<std::string>{"SLIP frame larger than the maximum frame size",
                                        "SLIP frame larger than the maximum frame size"}));
  }
}

TEST(SlipTest, NoEndEverStaysBounded) {
  SlipDecoder decoder;  // 65,536 bytes
  const std::string flood(4096, 'z');
  int errors = 0;
  for (int i = 0; i < 64; ++i) {  // 256 KiB without an END
    decoder.feed(
        flood, [&](std::string_view) { FAIL() << "no frame expected"; },
        [&](const Error&) { ++errors; });
  }
  EXPECT_EQ(errors, 1);  // reported once, when the frame crossed the limit
  EXPECT_TRUE(decoder.has_partial_frame());
  Collected got = feed(decoder, kEnd + "ok" + kEnd, {100});
  EXPECT_EQ(got.frames, std::vector<std::string>{"ok"});
}

TEST(SlipTest, ErrorOffsetsCountStreamBytes) {
  SlipDecoder decoder;
  std::vector<Error> errors;
  decoder.feed(
      kEnd + "abc", [](std::string_view) {}, [&](const Error& e) { errors.push_back(e); });
  decoder.feed(
      kEsc + "Q", [](std::string_view) {}, [&](const Error& e) { errors.push_back(e); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].offset, 5u);  // the byte after the ESC
}

TEST(SlipTest, MaximumIsClamped) {
  EXPECT_EQ(SlipDecoder(0).max_frame_size(), 1u);
  EXPECT_EQ(SlipDecoder(std::size_t{1} << 40).max_frame_size(), kMaxFrameSizeLimit);
  EXPECT_EQ(SlipDecoder(kMaxFrameSizeLimit).max_frame_size(), kMaxFrameSizeLimit);
}

TEST(SlipTest, RandomFramesRoundTripThroughRandomChunks) {
  std::mt19937 rng(1234);
  std::vector<std::string> frames;
  std::string stream;
  for (int i = 0; i < 300; ++i) {
    std::string frame(1 + rng() % 200, '\0');
    for (char& c : frame) {
      const unsigned pick = rng() % 8;
      c = pick == 0 ? kSlipEnd : pick == 1 ? kSlipEsc : static_cast<char>(rng());
    }
    frames.push_back(frame);
    stream += encode(frame);
  }
  SlipDecoder decoder;
  std::size_t at = 0;
  Collected got;
  while (at < stream.size()) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % 97, stream.size() - at);
    const ExactBuffer chunk(std::string_view(stream).substr(at, n));
    decoder.feed(
        chunk.view(), [&](std::string_view f) { got.frames.emplace_back(f); },
        [&](const Error& e) { got.errors.emplace_back(e.reason); });
    at += n;
  }
  EXPECT_EQ(got.frames, frames);
  EXPECT_TRUE(got.errors.empty());
}

}  // namespace
}  // namespace oscbridge::osc

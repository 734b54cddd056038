// The committed seed corpora double as regression tests: every ok-* file must parse (or deframe)
// cleanly and every bad-* file must give an error with a reason. The daemon's end-to-end test
// sends the same packet files as datagrams, so they must keep meaning what their names say.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "osc/length_prefix.h"
#include "osc/packet.h"
#include "osc/slip.h"
#include "tests/osc/osc_test_util.h"

namespace oscbridge::osc {
namespace {

namespace fs = std::filesystem;
using testing::ExactBuffer;
using testing::read_file;

std::vector<fs::path> corpus_files(const char* directory) {
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(fs::path(OSCBRIDGE_CORPUS_DIR) / directory)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool starts_with(const fs::path& path, std::string_view prefix) {
  return path.filename().string().starts_with(prefix);
}

TEST(CorpusTest, PacketFilesParseAsTheirNamesSay) {
  int ok_count = 0;
  int bad_count = 0;
  for (const fs::path& path : corpus_files("packet")) {
    const std::string name = path.filename().string();
    const ExactBuffer bytes(read_file(path));
    Result<Packet> parsed = parse_packet(bytes.view());
    int messages = 0;
    Status walked = for_each_message(bytes.view(), [&](const Message& m, TimeTag) {
      ++messages;
      for (const Argument& a : m.arguments()) EXPECT_LE(a.raw().size(), bytes.view().size());
    });
    EXPECT_EQ(walked.ok(), parsed.ok()) << name;
    if (starts_with(path, "ok-")) {
      ++ok_count;
      EXPECT_TRUE(parsed.ok()) << name << ": " << parsed.error().reason << " at "
                               << parsed.error().offset;
    } else if (starts_with(path, "bad-")) {
      ++bad_count;
      EXPECT_FALSE(parsed.ok()) << name;
      EXPECT_FALSE(parsed.error().reason.empty()) << name;
      EXPECT_LE(parsed.error().offset, bytes.view().size()) << name;
      EXPECT_EQ(messages, 0) << name;
      EXPECT_LE(bytes.view().size(), 65507u) << name << " must fit in one UDP datagram";
    }
  }
  // Guards against an empty or misplaced corpus directory making this test vacuous.
  EXPECT_GE(ok_count, 20);
  EXPECT_GE(bad_count, 200);
}

struct DeframeOutcome {
  int frames = 0;
  int errors = 0;
  bool partial = false;
  bool unusable = false;
};

template <class Decoder>
DeframeOutcome deframe(std::string_view stream, std::size_t chunk_size) {
  Decoder decoder;
  DeframeOutcome outcome;
  for (std::size_t at = 0; at < stream.size(); at += chunk_size) {
    if constexpr (std::is_same_v<Decoder, LengthPrefixDecoder>) {
      if (decoder.unusable()) break;  // the daemon closes the connection here
    }
    const ExactBuffer chunk(stream.substr(at, chunk_size));
    decoder.feed(
        chunk.view(),
        [&](std::string_view frame) {
          ++outcome.frames;
          EXPECT_LE(frame.size(), decoder.max_frame_size());
        },
        [&](const Error& error) {
          ++outcome.errors;
          EXPECT_FALSE(error.reason.empty());
        });
  }
  outcome.partial = decoder.has_partial_frame();
  if constexpr (std::is_same_v<Decoder, LengthPrefixDecoder>) outcome.unusable = decoder.unusable();
  return outcome;
}

template <class Decoder>
void check_stream_corpus(const char* directory) {
  int ok_count = 0;
  int bad_count = 0;
  for (const fs::path& path : corpus_files(directory)) {
    const std::string name = path.filename().string();
    const std::string stream = read_file(path);
    const DeframeOutcome whole = deframe<Decoder>(stream, std::max<std::size_t>(stream.size(), 1));
    for (std::size_t chunk : {1, 2, 3, 7}) {  // any split gives the same frames and errors
      const DeframeOutcome split = deframe<Decoder>(stream, chunk);
      EXPECT_EQ(split.frames, whole.frames) << name << " in chunks of " << chunk;
      EXPECT_EQ(split.errors, whole.errors) << name << " in chunks of " << chunk;
      EXPECT_EQ(split.partial, whole.partial) << name << " in chunks of " << chunk;
    }
    if (starts_with(path, "ok-")) {
      ++ok_count;
      EXPECT_EQ(whole.errors, 0) << name;
      EXPECT_FALSE(whole.partial) << name;
    } else if (starts_with(path, "bad-")) {
      ++bad_count;
      EXPECT_TRUE(whole.errors > 0 || whole.partial) << name;
    }
  }
  EXPECT_GE(ok_count, 4);
  EXPECT_GE(bad_count, 5);
}

TEST(CorpusTest, SlipStreamsDeframeAsTheirNamesSay) {
  check_stream_corpus<SlipDecoder>("slip");
}

TEST(CorpusTest, LengthPrefixStreamsDeframeAsTheirNamesSay) {
  check_stream_corpus<LengthPrefixDecoder>("length");
}

TEST(CorpusTest, NamedStreamCasesBehaveAsSpecified) {
  const fs::path dir(OSCBRIDGE_CORPUS_DIR);
  DeframeOutcome ends = deframe<SlipDecoder>(read_file(dir / "slip/ok-stream-of-ends.slip"), 5);
  EXPECT_EQ(ends.frames, 0);
  EXPECT_EQ(ends.errors, 0);
  DeframeOutcome no_end = deframe<SlipDecoder>(read_file(dir / "slip/bad-no-end-ever.slip"), 5);
  EXPECT_EQ(no_end.frames, 0);
  EXPECT_TRUE(no_end.partial);
  DeframeOutcome escape =
      deframe<SlipDecoder>(read_file(dir / "slip/bad-esc-invalid-byte.slip"), 5);
  EXPECT_EQ(escape.errors, 1);
  EXPECT_EQ(escape.frames, 1);  // the frame after the bad one survives
  for (const char* name : {"length/bad-length-7fffffff.len", "length/bad-length-fffffffc.len"}) {
    DeframeOutcome huge = deframe<LengthPrefixDecoder>(read_file(dir / name), 3);
    EXPECT_TRUE(huge.unusable) << name;
    EXPECT_EQ(huge.frames, 0) << name;
  }
  DeframeOutcome keepalive =
      deframe<LengthPrefixDecoder>(read_file(dir / "length/ok-zero-length-keepalive.len"), 2);
  EXPECT_EQ(keepalive.frames, 1);
}

}  // namespace
}  // namespace oscbridge::osc

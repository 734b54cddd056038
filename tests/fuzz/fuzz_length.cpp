// libFuzzer target for the length-prefix decoder. The input's length picks a chunk size and the
// frame limit. Checks: frames respect the limit, decoding stops for good once unusable, and the
// frames re-encoded form a stream that decodes to the same frames in one piece.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "osc/length_prefix.h"

using namespace oscbridge::osc;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Split and limit vary with the input's length, so the seeds stay plain streams.
  const std::size_t chunk = 1 + size % 13;
  const std::size_t max_frame = size % 2 == 1 ? 64 : kDefaultMaxFrameSize;
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  LengthPrefixDecoder decoder(max_frame);
  std::vector<std::string> frames;
  std::string reencoded;
  bool failed = false;
  while (!stream.empty()) {
    const std::string_view piece = stream.substr(0, chunk);
    stream.remove_prefix(piece.size());
    decoder.feed(
        piece,
        [&](std::string_view frame) {
          check(!failed && !frame.empty() && frame.size() <= max_frame);
          frames.emplace_back(frame);
          std::vector<char> out(frame.size() + 4);
          Result<std::size_t> n = length_prefix_encode(frame, out);
          check(n.ok());
          reencoded.append(out.data(), *n);
        },
        [&](const Error& error) {
          check(!error.reason.empty());
          failed = true;
        });
    check(failed == decoder.unusable());
  }
  LengthPrefixDecoder again(max_frame);
  std::size_t index = 0;
  again.feed(
      reencoded,
      [&](std::string_view frame) {
        check(index < frames.size() && frame == frames[index]);
        ++index;
      },
      [](const Error&) { check(false); });
  check(index == frames.size());
  return 0;
}

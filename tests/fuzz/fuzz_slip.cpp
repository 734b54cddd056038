// libFuzzer target for the SLIP decoder. The input's length picks a chunk size and the
// frame limit, so splits and limits vary. Checks: frames respect the limit, and every frame
// re-encoded and decoded in one piece comes back unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "osc/slip.h"

using namespace oscbridge::osc;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void check_round_trip(std::string_view frame) {
  static std::vector<char> encoded;
  encoded.resize(slip_max_encoded_size(frame.size()));
  Result<std::size_t> size = slip_encode(frame, encoded);
  check(size.ok() && *size == slip_encoded_size(frame));
  SlipDecoder decoder(frame.size());
  int frames = 0;
  decoder.feed(
      std::string_view(encoded.data(), *size),
      [&](std::string_view decoded) {
        ++frames;
        check(decoded == frame);
      },
      [](const Error&) { check(false); });
  check(frames == 1 && !decoder.has_partial_frame());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Split and limit vary with the input's length, so the seeds stay plain streams.
  const std::size_t chunk = 1 + size % 13;
  const std::size_t max_frame = size % 2 == 1 ? 64 : kDefaultMaxFrameSize;
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  SlipDecoder decoder(max_frame);
  while (!stream.empty()) {
    const std::string_view piece = stream.substr(0, chunk);
    stream.remove_prefix(piece.size());
    decoder.feed(
        piece,
        [&](std::string_view frame) {
          check(!frame.empty() && frame.size() <= max_frame);
          check_round_trip(frame);
        },
        [](const Error& error) { check(!error.reason.empty()); });
  }
  return 0;
}

// libFuzzer target for the MIDI decoder (MIDI in, from any device, is untrusted input). The
// first byte picks the options (cc14 pairs, nrpn, a small sysex limit) and the input's length a
// chunk size. Checks: every message the decoder emits is valid OSC that the encoder takes back
// without a drop or a clamp, and the output does not depend on how the stream is split.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "midi/decoder.h"
#include "midi/encoder.h"
#include "osc/packet.h"

using namespace oscbridge;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

// Decodes the stream in chunks of `chunk` bytes; returns every OSC message and drop, in order.
std::vector<std::string> decode(const midi::DecoderOptions& options,
                                std::span<const std::uint8_t> stream, std::size_t chunk) {
  midi::Decoder decoder(options);
  std::vector<std::string> out;
  while (!stream.empty()) {
    const auto piece = stream.first(std::min(chunk, stream.size()));
    stream = stream.subspan(piece.size());
    decoder.feed(
        piece, [&](std::string_view message) { out.emplace_back(message); },
        [&](const midi::Drop& drop) {
          out.push_back("drop " + std::string(to_string(drop.reason)));
        });
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  midi::DecoderOptions options;
  options.nrpn = (data[0] & 1) != 0;
  if ((data[0] & 2) != 0) options.cc14.set(7).set(0).set(31);
  if ((data[0] & 4) != 0) options.max_sysex_size = 16;
  const std::span<const std::uint8_t> stream(data + 1, size - 1);

  const std::vector<std::string> whole = decode(options, stream, stream.size() + 1);
  check(decode(options, stream, 1 + size % 7) == whole);

  midi::Encoder encoder;
  for (const std::string& item : whole) {
    if (item.starts_with("drop ")) continue;
    auto packet = osc::parse_packet(item);
    check(packet.ok() && !packet->is_bundle());
    const auto result = encoder.encode(packet->message(), [](std::span<const std::uint8_t> midi) {
      check(!midi.empty() && (midi[0] & 0x80) != 0);
    });
    check(result.ok() && result.clamped == 0);
  }
  return 0;
}

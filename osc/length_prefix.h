// OSC 1.0 stream framing: every frame is preceded by its size as a big-endian int32.
// The encoders are pure functions writing into caller buffers. LengthPrefixDecoder is a
// stateful, bounded decoder owned by one connection and used from one thread; in steady state
// it does not allocate (its buffer grows to the largest frame seen, at most max_frame_size).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "osc/deframer.h"
#include "osc/error.h"
#include "osc/limits.h"

namespace oscbridge::osc {

// The 4-byte header for a frame of `frame_size` bytes, for gathered writes (header, payload).
// frame_size must not exceed INT32_MAX (length_prefix_encode checks; this does not).
std::array<char, 4> length_prefix_header(std::uint32_t frame_size);
// Writes the header and the frame. Errors: "output buffer too small", "frame too large".
Result<std::size_t> length_prefix_encode(std::string_view frame, std::span<char> out);

// Feed it arbitrary chunks; it emits each frame whole. A length above max_frame_size (or
// negative as an int32, e.g. 0xFFFFFFFC) makes the stream unusable: the sizes that follow cannot
// be trusted, so the daemon closes the connection. Once unusable, next() consumes everything and
// reports unusable again until reset(). A zero-length frame carries no packet: it is skipped
// silently (some senders use it as a keep-alive), producing neither a frame nor an error.
class LengthPrefixDecoder {
 public:
  // Clamped to [1, kMaxFrameSizeLimit].
  explicit LengthPrefixDecoder(std::size_t max_frame_size = kDefaultMaxFrameSize);
  LengthPrefixDecoder(const LengthPrefixDecoder&) = delete;
  LengthPrefixDecoder& operator=(const LengthPrefixDecoder&) = delete;

  // Consumes bytes from the front of `input` up to the next event and returns it. A frame
  // lying entirely in `input` is returned as a view into `input` (no copy).
  DecodeEvent next(std::string_view& input);

  template <class OnFrame, class OnError>
  void feed(std::string_view chunk, OnFrame&& on_frame, OnError&& on_error) {
    feed_chunk(*this, chunk, on_frame, on_error);
  }

  bool unusable() const { return unusable_; }
  // True while a header or a frame body has begun but not completed.
  bool has_partial_frame() const;
  std::size_t max_frame_size() const { return max_frame_size_; }
  // Back to the start of a stream: forgets partial data and the unusable state.
  void reset();

 private:
  void consume(std::string_view& input, std::size_t count);

  std::size_t max_frame_size_;
  std::vector<char> buffer_;
  std::array<char, 4> header_{};
  std::size_t header_filled_ = 0;
  std::size_t frame_size_ = 0;  // body size of the frame being read, once the header is whole
  bool in_body_ = false;
  bool buffer_emitted_ = false;  // buffer_ holds the frame returned last; cleared on next()
  bool unusable_ = false;
  Error error_{};
  std::uint64_t stream_offset_ = 0;
};

}  // namespace oscbridge::osc

// SLIP framing (RFC 1055) as OSC 1.1 uses it over TCP: each frame is sent between two ENDs.
// slip_encode is a pure function writing into a caller buffer. SlipDecoder is a stateful,
// bounded decoder owned by one connection and used from one thread; in steady state it does not
// allocate (its buffer grows to the largest frame seen, at most max_frame_size, and is reused).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "osc/deframer.h"
#include "osc/error.h"
#include "osc/limits.h"

namespace oscbridge::osc {

inline constexpr char kSlipEnd = static_cast<char>(0xC0);
inline constexpr char kSlipEsc = static_cast<char>(0xDB);
inline constexpr char kSlipEscEnd = static_cast<char>(0xDC);
inline constexpr char kSlipEscEsc = static_cast<char>(0xDD);

// Exact encoded size of `frame`, both ENDs included.
std::size_t slip_encoded_size(std::string_view frame);
// An upper bound that needs no scan: every byte escaped, plus two ENDs.
constexpr std::size_t slip_max_encoded_size(std::size_t frame_size) {
  return 2 * frame_size + 2;
}
// Writes END, the escaped frame, END. Returns the bytes written or "output buffer too small".
Result<std::size_t> slip_encode(std::string_view frame, std::span<char> out);

// Feed it arbitrary chunks; it emits the frames between ENDs. Empty frames (END END) are skipped
// silently. A frame growing past max_frame_size is dropped with an error as soon as it crosses
// the limit and the decoder resynchronises at the next END. ESC followed by anything but
// ESC_END or ESC_ESC drops that frame (resynchronising at the next END, which may be the byte
// after the ESC). Bytes before the first END count as a frame, as RFC 1055 receivers do.
class SlipDecoder {
 public:
  // Clamped to [1, kMaxFrameSizeLimit].
  explicit SlipDecoder(std::size_t max_frame_size = kDefaultMaxFrameSize);
  SlipDecoder(const SlipDecoder&) = delete;
  SlipDecoder& operator=(const SlipDecoder&) = delete;

  // Consumes bytes from the front of `input` up to the next event and returns it. A frame
  // that lies entirely in `input` without escapes is returned as a view into `input` (no copy).
  DecodeEvent next(std::string_view& input);

  template <class OnFrame, class OnError>
  void feed(std::string_view chunk, OnFrame&& on_frame, OnError&& on_error) {
    feed_chunk(*this, chunk, on_frame, on_error);
  }

  // True while a frame has begun but not ended (for the daemon's partial-frame idle timeout).
  bool has_partial_frame() const;
  std::size_t max_frame_size() const { return max_frame_size_; }
  // Forgets any partial frame; keeps the buffer's capacity.
  void reset();

 private:
  enum class State { in_frame, after_escape, discarding };

  DecodeEvent drop(std::string_view reason, std::uint64_t offset);
  void consume(std::string_view& input, std::size_t count);

  std::size_t max_frame_size_;
  std::vector<char> buffer_;
  bool buffer_emitted_ = false;  // buffer_ holds the frame returned last; cleared on next()
  State state_ = State::in_frame;
  std::uint64_t stream_offset_ = 0;  // bytes consumed since the stream began, for error offsets
};

}  // namespace oscbridge::osc

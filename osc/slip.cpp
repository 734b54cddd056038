#include "osc/slip.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace oscbridge::osc {

namespace {

constexpr std::string_view kOverLimit = "SLIP frame larger than the maximum frame size";

// Index of the first END or ESC in `input`, or input.size(). Eight bytes per step: OSC frames
// are mostly plain bytes, and negative floats (0xC0...) make escapes common enough that this
// scan, not the copying, would otherwise dominate.
std::size_t find_special(std::string_view input) {
  constexpr std::uint64_t kOnes = 0x0101010101010101u;
  constexpr std::uint64_t kHigh = 0x8080808080808080u;
  constexpr std::uint64_t kEnds = kOnes * 0xC0;
  constexpr std::uint64_t kEscs = kOnes * 0xDB;
  const char* data = input.data();
  std::size_t i = 0;
  if constexpr (std::endian::native == std::endian::little) {
    for (; input.size() - i >= 8; i += 8) {
      std::uint64_t word;
      std::memcpy(&word, data + i, 8);
      const std::uint64_t ends = word ^ kEnds;  // zero bytes where word has END
      const std::uint64_t escs = word ^ kEscs;
      // The lowest flag of each zero-byte mask is exact, so the lowest of both is too.
      const std::uint64_t found =
          ((ends - kOnes) & ~ends & kHigh) | ((escs - kOnes) & ~escs & kHigh);
      if (found != 0) return i + static_cast<std::size_t>(std::countr_zero(found) / 8);
    }
  }
  for (; i < input.size(); ++i) {
    if (data[i] == kSlipEnd || data[i] == kSlipEsc) return i;
  }
  return input.size();
}

std::size_t find_end(std::string_view input) {
  const void* end = std::memchr(input.data(), kSlipEnd, input.size());
  return end == nullptr ? input.size() : static_cast<const char*>(end) - input.data();
}

}  // namespace

std::size_t slip_encoded_size(std::string_view frame) {
  std::size_t size = frame.size() + 2;
  for (const char c : frame) size += (c == kSlipEnd || c == kSlipEsc) ? 1 : 0;
  return size;
}

Result<std::size_t> slip_encode(std::string_view frame, std::span<char> out) {
  if (out.size() < slip_encoded_size(frame)) return Error{"output buffer too small", 0};
  char* at = out.data();
  *at++ = kSlipEnd;
  while (!frame.empty()) {
    const std::size_t run = find_special(frame);
    if (run > 0) std::memcpy(at, frame.data(), run);
    at += run;
    if (run == frame.size()) break;
    *at++ = kSlipEsc;
    *at++ = frame[run] == kSlipEnd ? kSlipEscEnd : kSlipEscEsc;
    frame.remove_prefix(run + 1);
  }
  *at++ = kSlipEnd;
  return static_cast<std::size_t>(at - out.data());
}

SlipDecoder::SlipDecoder(std::size_t max_frame_size)
    : max_frame_size_(std::clamp<std::size_t>(max_frame_size, 1, kMaxFrameSizeLimit)) {}

bool SlipDecoder::has_partial_frame() const {
  return state_ != State::in_frame || (!buffer_.empty() && !buffer_emitted_);
}

void SlipDecoder::reset() {
  buffer_.clear();
  buffer_emitted_ = false;
  state_ = State::in_frame;
}

DecodeEvent SlipDecoder::drop(std::string_view reason, std::uint64_t offset) {
  buffer_.clear();
  DecodeEvent event;
  event.status = DecodeStatus::dropped;
  event.error = Error{reason, static_cast<std::size_t>(offset)};
  return event;
}

void SlipDecoder::consume(std::string_view& input, std::size_t count) {
  input.remove_prefix(count);
  stream_offset_ += count;
}

DecodeEvent SlipDecoder::next(std::string_view& input) {
  if (buffer_emitted_) {  // the caller is done with the frame handed out last time
    buffer_.clear();
    buffer_emitted_ = false;
  }
  while (!input.empty()) {
    switch (state_) {
      case State::discarding: {
        const std::size_t end = find_end(input);
        if (end == input.size()) {
          consume(input, end);
          return {};
        }
        consume(input, end + 1);
        state_ = State::in_frame;
        break;
      }
      case State::after_escape: {
        const char escaped = input.front();
        const std::uint64_t offset = stream_offset_;
        consume(input, 1);
        if (escaped != kSlipEscEnd && escaped != kSlipEscEsc) {
          // An END right after the ESC ends the dropped frame; anything else needs one.
          state_ = escaped == kSlipEnd ? State::in_frame : State::discarding;
          return drop("SLIP ESC followed by an invalid byte", offset);
        }
        if (buffer_.size() == max_frame_size_) {
          state_ = State::discarding;
          return drop(kOverLimit, offset);
        }
        buffer_.push_back(escaped == kSlipEscEnd ? kSlipEnd : kSlipEsc);
        state_ = State::in_frame;
        break;
      }
      case State::in_frame: {
        const std::size_t run = find_special(input);
        if (buffer_.empty() && run < input.size() && input[run] == kSlipEnd) {
          // A whole frame without escapes lies in this chunk: hand it out in place.
          const std::string_view frame = input.substr(0, run);
          const std::uint64_t offset = stream_offset_;
          consume(input, run + 1);
          if (frame.empty()) break;  // END END: an empty frame, skipped
          if (frame.size() > max_frame_size_) return drop(kOverLimit, offset + max_frame_size_);
          return DecodeEvent{DecodeStatus::frame, frame, {}};
        }
        if (run > max_frame_size_ - buffer_.size()) {
          const std::uint64_t offset = stream_offset_ + (max_frame_size_ - buffer_.size());
          consume(input, run);
          state_ = State::discarding;
          return drop(kOverLimit, offset);
        }
        buffer_.insert(buffer_.end(), input.data(), input.data() + run);
        consume(input, run);
        if (input.empty()) return {};
        const char special = input.front();
        consume(input, 1);
        if (special == kSlipEsc) {
          state_ = State::after_escape;
          break;
        }
        if (buffer_.empty()) break;  // END END: an empty frame, skipped
        buffer_emitted_ = true;
        return DecodeEvent{
            DecodeStatus::frame, std::string_view(buffer_.data(), buffer_.size()), {}};
      }
    }
  }
  return {};
}

}  // namespace oscbridge::osc

#include "osc/slip.h"

#include <algorithm>
#include <cstring>

namespace oscbridge::osc {

namespace {

constexpr std::string_view kOverLimit = "SLIP frame larger than the maximum frame size";

// Index of the first END or ESC in `input`, or input.size().
std::size_t find_special(std::string_view input) {
  for (std::size_t i = 0; i < input.size(); ++i) {
    if (input[i] == kSlipEnd || input[i] == kSlipEsc) return i;
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
        if (buffer_.empty()) {
          // Fast path: a whole frame without escapes in this chunk is handed out in place.
          const std::size_t end = find_end(input);
          if (end < input.size() && std::memchr(input.data(), kSlipEsc, end) == nullptr) {
            const std::string_view frame = input.substr(0, end);
            const std::uint64_t offset = stream_offset_;
            consume(input, end + 1);
            if (frame.empty()) break;  // END END: an empty frame, skipped
            if (frame.size() > max_frame_size_) return drop(kOverLimit, offset + max_frame_size_);
            return DecodeEvent{DecodeStatus::frame, frame, {}};
          }
        }
        const std::size_t run = find_special(input);
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

#include "osc/length_prefix.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "osc/byte_order.h"

namespace oscbridge::osc {

std::array<char, 4> length_prefix_header(std::uint32_t frame_size) {
  std::array<char, 4> header;
  detail::store_be32(header.data(), frame_size);
  return header;
}

Result<std::size_t> length_prefix_encode(std::string_view frame, std::span<char> out) {
  if (frame.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    return Error{"frame too large for a length prefix", 0};
  }
  if (out.size() < 4 || frame.size() > out.size() - 4) return Error{"output buffer too small", 0};
  detail::store_be32(out.data(), static_cast<std::uint32_t>(frame.size()));
  if (!frame.empty()) std::memcpy(out.data() + 4, frame.data(), frame.size());
  return frame.size() + 4;
}

LengthPrefixDecoder::LengthPrefixDecoder(std::size_t max_frame_size)
    : max_frame_size_(std::clamp<std::size_t>(max_frame_size, 1, kMaxFrameSizeLimit)) {}

bool LengthPrefixDecoder::has_partial_frame() const {
  return header_filled_ > 0 || in_body_;
}

void LengthPrefixDecoder::reset() {
  buffer_.clear();
  buffer_emitted_ = false;
  header_filled_ = 0;
  in_body_ = false;
  unusable_ = false;
}

void LengthPrefixDecoder::consume(std::string_view& input, std::size_t count) {
  input.remove_prefix(count);
  stream_offset_ += count;
}

DecodeEvent LengthPrefixDecoder::next(std::string_view& input) {
  if (buffer_emitted_) {  // the caller is done with the frame handed out last time
    buffer_.clear();
    buffer_emitted_ = false;
  }
  if (unusable_) {
    consume(input, input.size());
    return DecodeEvent{DecodeStatus::unusable, {}, error_};
  }
  while (!input.empty()) {
    if (in_body_) {
      const std::size_t take = std::min(frame_size_ - buffer_.size(), input.size());
      buffer_.insert(buffer_.end(), input.data(), input.data() + take);
      consume(input, take);
      if (buffer_.size() < frame_size_) return {};
      in_body_ = false;
      buffer_emitted_ = true;
      return DecodeEvent{DecodeStatus::frame, std::string_view(buffer_.data(), buffer_.size()), {}};
    }
    const std::uint64_t header_offset = stream_offset_ - header_filled_;
    const std::size_t take = std::min(header_.size() - header_filled_, input.size());
    std::memcpy(header_.data() + header_filled_, input.data(), take);
    header_filled_ += take;
    consume(input, take);
    if (header_filled_ < header_.size()) return {};
    header_filled_ = 0;
    const std::uint32_t size = detail::load_be32(header_.data());
    // An int32 length, so 0x80000000 and up are negative: as much garbage as one over the limit.
    if (size > max_frame_size_) {
      unusable_ = true;
      error_ = Error{"length prefix over the maximum frame size", header_offset};
      consume(input, input.size());
      return DecodeEvent{DecodeStatus::unusable, {}, error_};
    }
    if (size == 0) continue;     // an empty frame carries no packet: a keep-alive at most
    if (input.size() >= size) {  // the whole frame is here: hand it out in place
      const std::string_view frame = input.substr(0, size);
      consume(input, size);
      return DecodeEvent{DecodeStatus::frame, frame, {}};
    }
    frame_size_ = size;
    in_body_ = true;
  }
  return {};
}

}  // namespace oscbridge::osc

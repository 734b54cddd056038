// SLIP framing (RFC 1055, END at both ends of each packet, as OSC 1.1 sends it
// over TCP) for the load tool's TCP runs.
//
// Deliberately independent of osc/slip.h, the code under test, for the same
// reason as load_codec.h: a framing bug in the router must show up here as a
// malformed or missing message, not cancel out against the same bug on the
// measuring side.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace oscbridge::load {

inline constexpr std::byte kSlipEnd{0xC0};
inline constexpr std::byte kSlipEsc{0xDB};
inline constexpr std::byte kSlipEscEnd{0xDC};
inline constexpr std::byte kSlipEscEsc{0xDD};

// Appends END, `packet` with END and ESC escaped, END.
void append_slip_frame(std::vector<std::byte>& out, std::span<const std::byte> packet);

// Cuts a byte stream into the packets between ENDs. Empty frames (END END) are
// skipped. A frame longer than max_frame, or with ESC followed by anything but
// ESC_END or ESC_ESC, is dropped and counted in malformed(); decoding resumes
// at the next END. Used by one thread.
class SlipDeframer {
 public:
  explicit SlipDeframer(std::size_t max_frame) : max_frame_(max_frame) {
    frame_.reserve(max_frame);
  }

  // Calls on_frame(std::span<const std::byte>) for every packet completed by
  // `chunk`; the span is valid only during the call.
  template <typename OnFrame>
  void feed(std::span<const std::byte> chunk, OnFrame&& on_frame) {
    for (std::byte byte : chunk) {
      if (byte == kSlipEnd) {
        if (broken_ || escaped_) {
          ++malformed_;
        } else if (!frame_.empty()) {
          on_frame(std::span<const std::byte>(frame_));
        }
        frame_.clear();
        escaped_ = false;
        broken_ = false;
        continue;
      }
      if (broken_) continue;
      if (escaped_) {
        escaped_ = false;
        if (byte == kSlipEscEnd) {
          byte = kSlipEnd;
        } else if (byte == kSlipEscEsc) {
          byte = kSlipEsc;
        } else {
          broken_ = true;
          continue;
        }
      } else if (byte == kSlipEsc) {
        escaped_ = true;
        continue;
      }
      if (frame_.size() == max_frame_) {
        broken_ = true;
        continue;
      }
      frame_.push_back(byte);
    }
  }

  // Forgets any partial frame (a new connection), counting it as malformed.
  void reset() {
    if (partial()) ++malformed_;
    frame_.clear();
    escaped_ = false;
    broken_ = false;
  }

  std::uint64_t malformed() const { return malformed_; }
  // True while a frame has begun but not ended.
  bool partial() const { return !frame_.empty() || escaped_ || broken_; }

 private:
  std::size_t max_frame_;
  std::vector<std::byte> frame_;
  bool escaped_ = false;
  bool broken_ = false;
  std::uint64_t malformed_ = 0;
};

}  // namespace oscbridge::load

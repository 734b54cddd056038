#include "bench/load/slip_frames.h"

namespace oscbridge::load {

void append_slip_frame(std::vector<std::byte>& out, std::span<const std::byte> packet) {
  out.push_back(kSlipEnd);
  for (std::byte byte : packet) {
    if (byte == kSlipEnd) {
      out.push_back(kSlipEsc);
      out.push_back(kSlipEscEnd);
    } else if (byte == kSlipEsc) {
      out.push_back(kSlipEsc);
      out.push_back(kSlipEscEsc);
    } else {
      out.push_back(byte);
    }
  }
  out.push_back(kSlipEnd);
}

}  // namespace oscbridge::load

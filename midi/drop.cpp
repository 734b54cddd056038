#include "midi/drop.h"

#include <array>

namespace oscbridge::midi {

namespace {
constexpr std::array<std::string_view, kDropReasonCount> kNames = {
    "truncated",    "stray_data",      "undefined_status", "sysex_too_large", "no_parameter",
    "not_midi",     "unknown_address", "bad_channel",      "bad_number",      "bad_arity",
    "bad_argument", "bad_sysex",       "bad_raw",
};
static_assert(static_cast<std::size_t>(DropReason::bad_raw) + 1 == kDropReasonCount);
}  // namespace

std::string_view to_string(DropReason reason) {
  const auto index = static_cast<std::size_t>(reason);
  return index < kNames.size() ? kNames[index] : std::string_view("unknown");
}

}  // namespace oscbridge::midi

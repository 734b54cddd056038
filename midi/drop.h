// Why the MIDI mapping turned something into nothing: a MIDI message the Decoder could not map
// to OSC, or an OSC message the Encoder could not map to MIDI. Plain values: `detail` always
// points at a string literal (static storage), so a Drop may be kept anywhere and owns nothing.
// Code compares reasons; details are for people (logs), never compared by code.
#pragma once

#include <cstddef>
#include <string_view>

namespace oscbridge::midi {

enum class DropReason {
  // MIDI in (Decoder)
  truncated,         // a message (sysex included) cut short by a status byte that is not realtime
  stray_data,        // data bytes with no status to belong to, or F7 without F0
  undefined_status,  // F4 F5 F9 FD: undefined by MIDI 1.0, ignored as the spec asks
  sysex_too_large,   // a sysex grew past DecoderOptions::max_sysex_size
  no_parameter,      // (N)RPN data entry or increment with no parameter (or value) to apply to
  // OSC to MIDI out (Encoder)
  not_midi,         // the address is not under /midi/
  unknown_address,  // under /midi/ but not one of the addresses of docs/midi.md
  bad_channel,      // the channel in the address is not 1..16
  bad_number,       // a note, controller or parameter number in the address is out of range
  bad_arity,        // the wrong number of arguments for the address
  bad_argument,     // an argument of a type that is not accepted, or NaN
  bad_sysex,        // the blob is not F0, data bytes (0..127), F7
  bad_raw,          // a /midi/raw `m` that is not one whole MIDI message
};
inline constexpr std::size_t kDropReasonCount = 13;

struct Drop {
  DropReason reason = DropReason::truncated;
  std::string_view detail;  // a literal for logs, e.g. "channel must be 1..16"
};

// "truncated", "stray_data", ...: the enumerator's name, for counters and logs.
std::string_view to_string(DropReason reason);

}  // namespace oscbridge::midi

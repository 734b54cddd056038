// OSC messages on the canonical /midi/... addresses -> MIDI bytes (docs/midi.md has the table
// and the rules). One OSC message becomes one MIDI message, or a few (/cc14/ two control
// changes, /nrpn/ and /rpn/ four), or nothing and a Drop saying why.
//
// What is in the address must be exact: a channel outside 1..16 or a note, controller or
// parameter number out of range drops the message (it names a different target, and guessing
// one would play the wrong note). The value arguments are taken loosely (i h f d rounded, T F as
// 1 0) and clamped to their MIDI range; each value clamped is counted in the result.
//
// Ownership and threading: an Encoder keeps no state between messages; one per MIDI output,
// used from one thread (the daemon's loop). It never allocates. The bytes it hands out point into
// the Encoder or into the OSC message (a sysex blob) and are valid only during the callback.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>

#include "midi/drop.h"
#include "osc/packet.h"

namespace oscbridge::midi {

struct EncodeResult {
  std::optional<Drop> dropped;  // set: nothing was produced, this is why
  int clamped = 0;              // value arguments brought into their MIDI range
  std::size_t messages = 0;     // MIDI messages handed to on_midi
  bool ok() const { return !dropped.has_value(); }
};

class Encoder {
 public:
  // Calls on_midi(std::span<const std::uint8_t> bytes) once per MIDI message, in the order to
  // send them, each one complete (status byte first; no running status, since a port API such as
  // RtMidi's sends one message per call). All checks are made first: on a drop, on_midi is never
  // called.
  template <class OnMidi>
  EncodeResult encode(const osc::Message& message, OnMidi&& on_midi) {
    EncodeResult result = prepare(message);
    if (!result.ok()) return result;
    if (!sysex_.empty()) {
      on_midi(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(sysex_.data()),
                                            sysex_.size()));
      return result;
    }
    std::size_t at = 0;
    for (std::size_t i = 0; i < result.messages; ++i) {
      on_midi(std::span<const std::uint8_t>(bytes_.data() + at, sizes_[i]));
      at += sizes_[i];
    }
    return result;
  }

 private:
  // Checks `message` and lays its MIDI bytes out in bytes_/sizes_ or sysex_.
  EncodeResult prepare(const osc::Message& message);
  void add(std::initializer_list<std::uint8_t> bytes);

  std::array<std::uint8_t, 12> bytes_{};  // up to four 3-byte messages, back to back
  std::array<std::uint8_t, 4> sizes_{};
  std::size_t count_ = 0;
  std::size_t used_ = 0;
  std::string_view sysex_;  // the blob of the message being encoded
};

}  // namespace oscbridge::midi

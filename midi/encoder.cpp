#include "midi/encoder.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>

namespace oscbridge::midi {

namespace {

constexpr std::string_view kPrefix = "/midi/";

// The next '/'-separated level of `rest`, removed from it.
std::string_view next_level(std::string_view& rest) {
  const std::size_t slash = rest.find('/');
  const std::string_view level = rest.substr(0, slash);
  rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  return level;
}

// A decimal number of at most 6 digits (leading zeros allowed), or -1. Longer runs of digits
// come out as 999999: out of range for every use, without overflow.
int parse_number(std::string_view text) {
  if (text.empty()) return -1;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return -1;
    value = std::min(value * 10 + (c - '0'), 999999);
  }
  return value;
}

Drop drop(DropReason reason, std::string_view detail) {
  return Drop{reason, detail};
}

// What one value argument of `message` says, clamped to [lo, hi]; nullopt for a type not
// accepted. Floating values are rounded half away from zero.
std::optional<int> value_argument(const osc::Argument& argument, int lo, int hi, int& clamped) {
  double value = 0;
  switch (argument.tag()) {
    case 'i':
    case 'h': {
      const std::int64_t integer = *argument.integer_value();
      const std::int64_t in_range = std::clamp<std::int64_t>(integer, lo, hi);
      if (in_range != integer) ++clamped;
      return static_cast<int>(in_range);
    }
    case 'f':
    case 'd':
      value = *argument.numeric_value();
      if (std::isnan(value)) return std::nullopt;
      value = std::round(value);
      break;
    case 'T':
      value = 1;
      break;
    case 'F':
      value = 0;
      break;
    default:
      return std::nullopt;
  }
  const double in_range = std::clamp(value, static_cast<double>(lo), static_cast<double>(hi));
  if (in_range != value) ++clamped;
  return static_cast<int>(in_range);
}

enum class Kind { note, note_off, cc, cc14, nrpn, rpn, program, pressure, poly_pressure, bend };

struct ChannelKind {
  std::string_view name;
  Kind kind;
  int max_number;  // -1: the address has no number level
  int lo;          // range of the value argument
  int hi;
};

constexpr std::array<ChannelKind, 10> kChannelKinds = {{
    {"note", Kind::note, 127, 0, 127},
    {"note_off", Kind::note_off, 127, 0, 127},
    {"cc", Kind::cc, 127, 0, 127},
    {"cc14", Kind::cc14, 31, 0, 16383},
    // 16383 is 127/127, the null parameter: it selects nothing, so it cannot be set.
    {"nrpn", Kind::nrpn, 16382, 0, 16383},
    {"rpn", Kind::rpn, 16382, 0, 16383},
    {"program", Kind::program, -1, 0, 127},
    {"pressure", Kind::pressure, -1, 0, 127},
    {"poly_pressure", Kind::poly_pressure, 127, 0, 127},
    {"pitchbend", Kind::bend, -1, -8192, 8191},
}};

// Data bytes after `status` in a whole MIDI message; -1 for status bytes that cannot travel
// in an `m` (sysex, which has its own address, and the undefined ones).
int raw_data_size(std::uint8_t status) {
  if (status < 0xF0) return (status & 0xF0) == 0xC0 || (status & 0xF0) == 0xD0 ? 1 : 2;
  switch (status) {
    case 0xF1:
    case 0xF3:
      return 1;
    case 0xF2:
      return 2;
    case 0xF6:
    case 0xF8:
    case 0xFA:
    case 0xFB:
    case 0xFC:
    case 0xFE:
    case 0xFF:
      return 0;
    default:  // F0 F4 F5 F7 F9 FD
      return -1;
  }
}

}  // namespace

void Encoder::add(std::initializer_list<std::uint8_t> bytes) {
  std::copy(bytes.begin(), bytes.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(used_));
  used_ += bytes.size();
  sizes_[count_++] = static_cast<std::uint8_t>(bytes.size());
}

EncodeResult Encoder::prepare(const osc::Message& message) {
  count_ = 0;
  used_ = 0;
  sysex_ = {};
  EncodeResult result;
  const std::string_view address = message.address();
  const std::string_view tags = message.type_tags();
  if (!address.starts_with(kPrefix)) {
    result.dropped = drop(DropReason::not_midi, "address is not under /midi/");
    return result;
  }
  std::string_view rest = address.substr(kPrefix.size());
  const std::string_view first = next_level(rest);
  if (first.empty() || first[0] < '0' || first[0] > '9') {
    // Messages of no channel: /midi/sysex, /midi/raw, /midi/clock ...
    if (!rest.empty() || address.back() == '/') {
      result.dropped = drop(DropReason::unknown_address, "no such /midi/ address");
      return result;
    }
    std::uint8_t realtime = 0;
    if (first == "clock") realtime = 0xF8;
    if (first == "start") realtime = 0xFA;
    if (first == "continue") realtime = 0xFB;
    if (first == "stop") realtime = 0xFC;
    if (realtime != 0) {
      if (!tags.empty()) {
        result.dropped = drop(DropReason::bad_arity, "clock, start, stop, continue take none");
        return result;
      }
      add({realtime});
    } else if (first == "sysex") {
      if (tags.size() != 1) {
        result.dropped = drop(DropReason::bad_arity, "sysex takes one blob");
        return result;
      }
      if (tags[0] != 'b') {
        result.dropped = drop(DropReason::bad_argument, "sysex takes a blob");
        return result;
      }
      const std::string_view blob = message.argument(0)->as_blob();
      if (blob.size() < 2 || static_cast<std::uint8_t>(blob.front()) != 0xF0 ||
          static_cast<std::uint8_t>(blob.back()) != 0xF7) {
        result.dropped = drop(DropReason::bad_sysex, "sysex without F0..F7");
        return result;
      }
      const bool status_inside = std::any_of(blob.begin() + 1, blob.end() - 1, [](char c) {
        return static_cast<std::uint8_t>(c) >= 0x80;
      });
      if (status_inside) {
        result.dropped = drop(DropReason::bad_sysex, "sysex with a byte over 127 inside");
        return result;
      }
      sysex_ = blob;
      count_ = 1;
    } else if (first == "raw") {
      if (tags.size() != 1) {
        result.dropped = drop(DropReason::bad_arity, "raw takes one m");
        return result;
      }
      if (tags[0] != 'm') {
        result.dropped = drop(DropReason::bad_argument, "raw takes an m");
        return result;
      }
      const std::array<std::uint8_t, 4> m = message.argument(0)->as_midi();  // port ignored
      const int size = raw_data_size(m[1]);
      if (m[1] < 0x80 || size < 0) {
        result.dropped = drop(DropReason::bad_raw, "raw status is not a status byte it can send");
        return result;
      }
      if ((size >= 1 && m[2] > 127) || (size == 2 && m[3] > 127)) {
        result.dropped = drop(DropReason::bad_raw, "raw data byte over 127");
        return result;
      }
      // Data bytes the status does not take are ignored, as senders leave them 0 or anything.
      if (size == 0) add({m[1]});
      if (size == 1) add({m[1], m[2]});
      if (size == 2) add({m[1], m[2], m[3]});
    } else {
      result.dropped = drop(DropReason::unknown_address, "no such /midi/ address");
      return result;
    }
    result.messages = count_;
    return result;
  }

  const int channel = parse_number(first);
  const std::string_view kind_name = next_level(rest);
  const auto kind = std::find_if(kChannelKinds.begin(), kChannelKinds.end(),
                                 [&](const ChannelKind& k) { return k.name == kind_name; });
  if (channel < 0 || kind == kChannelKinds.end()) {
    result.dropped = drop(DropReason::unknown_address, "no such /midi/CH/ address");
    return result;
  }
  int number = -1;
  if (kind->max_number >= 0) {
    if (rest.empty()) {
      result.dropped = drop(DropReason::unknown_address, "the address needs a number level");
      return result;
    }
    number = parse_number(next_level(rest));
  }
  if (!rest.empty() || address.back() == '/') {
    result.dropped = drop(DropReason::unknown_address, "no such /midi/CH/ address");
    return result;
  }
  if (channel < 1 || channel > 16) {
    result.dropped = drop(DropReason::bad_channel, "channel must be 1..16");
    return result;
  }
  if (kind->max_number >= 0 && (number < 0 || number > kind->max_number)) {
    result.dropped = drop(DropReason::bad_number, "note, controller or parameter out of range");
    return result;
  }
  if (tags.size() != 1) {
    result.dropped = drop(DropReason::bad_arity, "takes one value");
    return result;
  }
  const std::optional<int> value =
      value_argument(*message.argument(0), kind->lo, kind->hi, result.clamped);
  if (!value) {
    result.dropped = drop(DropReason::bad_argument, "value must be i, h, f, d, T or F (not NaN)");
    return result;
  }
  const int v = *value;
  const auto ch = static_cast<std::uint8_t>(channel - 1);
  const auto n = static_cast<std::uint8_t>(number & 0x7F);
  auto byte = [](int x) { return static_cast<std::uint8_t>(x); };
  switch (kind->kind) {
    case Kind::note:  // velocity 0 stays a note on with 0, as given (receivers treat it as off)
      add({byte(0x90 | ch), n, byte(v)});
      break;
    case Kind::note_off:
      add({byte(0x80 | ch), n, byte(v)});
      break;
    case Kind::cc:
      add({byte(0xB0 | ch), n, byte(v)});
      break;
    case Kind::cc14:  // MSB first, as MIDI 1.0 orders a pair
      add({byte(0xB0 | ch), n, byte(v >> 7)});
      add({byte(0xB0 | ch), byte(n + 32), byte(v & 0x7F)});
      break;
    case Kind::nrpn:
    case Kind::rpn: {
      const bool nrpn = kind->kind == Kind::nrpn;
      add({byte(0xB0 | ch), byte(nrpn ? 99 : 101), byte(number >> 7)});
      add({byte(0xB0 | ch), byte(nrpn ? 98 : 100), byte(number & 0x7F)});
      add({byte(0xB0 | ch), 6, byte(v >> 7)});
      add({byte(0xB0 | ch), 38, byte(v & 0x7F)});
      break;
    }
    case Kind::program:
      add({byte(0xC0 | ch), byte(v)});
      break;
    case Kind::pressure:
      add({byte(0xD0 | ch), byte(v)});
      break;
    case Kind::poly_pressure:
      add({byte(0xA0 | ch), n, byte(v)});
      break;
    case Kind::bend: {
      const int u = v + 8192;
      add({byte(0xE0 | ch), byte(u & 0x7F), byte(u >> 7)});
      break;
    }
  }
  result.messages = count_;
  return result;
}

}  // namespace oscbridge::midi

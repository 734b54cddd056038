#include "midi/decoder.h"

#include <algorithm>
#include <charconv>

#include "osc/encoder.h"

namespace oscbridge::midi {

namespace {

// Room for the longest short message, "/midi/16/poly_pressure/127" with one int argument.
constexpr std::size_t kShortMessageCapacity = 64;

constexpr std::uint8_t kSysexStart = 0xF0;
constexpr std::uint8_t kSysexEnd = 0xF7;
constexpr std::uint8_t kNull = 127;  // (N)RPN 127/127 deselects the parameter

DecoderOptions clamped(DecoderOptions options) {
  options.max_sysex_size = std::clamp<std::size_t>(options.max_sysex_size, 2, kMaxSysexSizeLimit);
  return options;
}

// Data bytes that follow a channel status (0x80..0xEF).
std::size_t channel_data_size(std::uint8_t status) {
  const std::uint8_t type = status & 0xF0;
  return type == 0xC0 || type == 0xD0 ? 1 : 2;
}

// Writes "/midi/CH/KIND[/NUMBER]" into `at`; returns its length. `at` holds 40 characters.
std::size_t format_address(char* at, int channel, std::string_view kind, int number) {
  char* p = at;
  constexpr std::string_view kPrefix = "/midi/";
  p = std::copy(kPrefix.begin(), kPrefix.end(), p);
  p = std::to_chars(p, at + 40, channel).ptr;
  *p++ = '/';
  p = std::copy(kind.begin(), kind.end(), p);
  if (number >= 0) {
    *p++ = '/';
    p = std::to_chars(p, at + 40, number).ptr;
  }
  return static_cast<std::size_t>(p - at);
}

}  // namespace

Decoder::Decoder(const DecoderOptions& options) : options_(clamped(options)) {
  out_.resize(kShortMessageCapacity);
}

void Decoder::reset() {
  state_ = State::idle;
  status_ = 0;
  expected_ = 0;
  have_ = 0;
  running_ = false;
  stray_reported_ = false;
  sysex_.clear();
  cc14_ = {};
  params_ = {};
}

void Decoder::set_options(const DecoderOptions& options) {
  options_ = clamped(options);
  cc14_ = {};
  params_ = {};
}

void Decoder::feed_bytes(std::span<const std::uint8_t> bytes, Sink& sink) {
  for (const std::uint8_t byte : bytes) {
    if (byte >= 0xF8) {
      realtime_byte(byte, sink);  // may sit inside any other message, which goes on after it
    } else if (byte >= 0x80) {
      status_byte(byte, sink);
    } else {
      data_byte(byte, sink);
    }
  }
}

void Decoder::realtime_byte(std::uint8_t byte, Sink& sink) {
  switch (byte) {
    case 0xF8:
      emit_global(sink, "/midi/clock");
      break;
    case 0xFA:
      emit_global(sink, "/midi/start");
      break;
    case 0xFB:
      emit_global(sink, "/midi/continue");
      break;
    case 0xFC:
      emit_global(sink, "/midi/stop");
      break;
    case 0xFE:
      break;  // active sensing: a link keep-alive three times a second, not a message to route
    case 0xFF:
      emit_raw(sink, byte, 0, 0);  // system reset
      break;
    default:  // F9 FD
      sink.drop({DropReason::undefined_status, "undefined realtime status byte"});
      break;
  }
}

void Decoder::status_byte(std::uint8_t byte, Sink& sink) {
  // MIDI 1.0: any status byte but a realtime one ends a sysex, and F7 is its proper end.
  if (state_ == State::sysex || state_ == State::sysex_discard) {
    const bool was_discarding = state_ == State::sysex_discard;
    state_ = State::idle;
    if (byte == kSysexEnd) {
      if (!was_discarding) finish_sysex(sink);
      return;
    }
    // A sysex cut off is most likely a broken transfer; closing it with an F7 of our own would
    // hand a device a corrupt dump, so it is dropped (one over the limit was reported already).
    if (!was_discarding) sink.drop({DropReason::truncated, "sysex cut off by a status byte"});
  } else if (state_ == State::data) {
    state_ = State::idle;
    sink.drop({DropReason::truncated, "message cut off by a status byte"});
  }
  stray_reported_ = false;
  have_ = 0;
  if (byte < 0xF0) {
    status_ = byte;
    expected_ = channel_data_size(byte);
    running_ = true;
    state_ = State::data;
    return;
  }
  running_ = false;  // system common messages cancel running status
  switch (byte) {
    case kSysexStart:
      sysex_.clear();
      sysex_.push_back(kSysexStart);
      state_ = State::sysex;
      break;
    case 0xF1:  // MTC quarter frame
    case 0xF3:  // song select
      status_ = byte;
      expected_ = 1;
      state_ = State::data;
      break;
    case 0xF2:  // song position pointer
      status_ = byte;
      expected_ = 2;
      state_ = State::data;
      break;
    case 0xF6:  // tune request
      emit_raw(sink, byte, 0, 0);
      break;
    case kSysexEnd:
      sink.drop({DropReason::stray_data, "F7 without F0"});
      break;
    default:  // F4 F5
      sink.drop({DropReason::undefined_status, "undefined system common status byte"});
      break;
  }
}

void Decoder::data_byte(std::uint8_t byte, Sink& sink) {
  switch (state_) {
    case State::sysex:
      // Room must remain for the F7, so the limit applies to the sysex as it will be sent.
      if (sysex_.size() + 2 > options_.max_sysex_size) {
        state_ = State::sysex_discard;
        sysex_.clear();
        sink.drop({DropReason::sysex_too_large, "sysex over the size limit"});
        return;
      }
      sysex_.push_back(byte);
      return;
    case State::sysex_discard:
      return;
    case State::idle:
      if (!running_) {
        if (!stray_reported_) {
          stray_reported_ = true;
          sink.drop({DropReason::stray_data, "data bytes without a status byte"});
        }
        return;
      }
      state_ = State::data;  // running status: the same status again
      expected_ = channel_data_size(status_);
      have_ = 0;
      break;
    case State::data:
      break;
  }
  data_[have_++] = byte;
  if (have_ == expected_) {
    state_ = State::idle;
    have_ = 0;
    complete_message(sink);
  }
}

void Decoder::complete_message(Sink& sink) {
  if (status_ < 0xF0) {
    channel_message(sink);
    return;
  }
  // System common messages with no canonical address (MTC quarter frame, song position, song
  // select) go out as /midi/raw, unused data bytes 0.
  emit_raw(sink, status_, data_[0], expected_ == 2 ? data_[1] : 0);
}

void Decoder::channel_message(Sink& sink) {
  const int channel = (status_ & 0x0F) + 1;
  const int d1 = data_[0];
  const int d2 = data_[1];
  switch (status_ & 0xF0) {
    case 0x80:
      emit_channel(sink, channel, "note_off", d1, d2);
      break;
    case 0x90:
      // A note on with velocity 0 is a note off (MIDI 1.0): reported as one, so that every
      // release arrives on note_off whichever way the device sends it.
      emit_channel(sink, channel, d2 == 0 ? "note_off" : "note", d1, d2);
      break;
    case 0xA0:
      emit_channel(sink, channel, "poly_pressure", d1, d2);
      break;
    case 0xB0:
      control_change(channel, d1, d2, sink);
      break;
    case 0xC0:
      emit_channel(sink, channel, "program", -1, d1);
      break;
    case 0xD0:
      emit_channel(sink, channel, "pressure", -1, d1);
      break;
    default:  // 0xE0
      emit_channel(sink, channel, "pitchbend", -1, ((d2 << 7) | d1) - 8192);
      break;
  }
}

void Decoder::control_change(int channel, int controller, int value, Sink& sink) {
  if (options_.nrpn && parameter_control(channel, controller, value, sink)) return;
  // 14-bit pairs: each half updates its half and reports the combined value, so either order of
  // arrival ends on the right value, and an MSB sent alone is reported at once (with the last
  // LSB, not 0 as MIDI 1.0 suggests: the pair usually follows back to back, and the last LSB
  // keeps the value in between within 127 steps of both). An LSB before any MSB waits for it.
  if (controller < 32 && options_.cc14.test(static_cast<std::size_t>(controller))) {
    Pair& pair = cc14_[channel - 1][controller];
    pair.msb = static_cast<std::uint8_t>(value);
    pair.msb_known = true;
    emit_channel(sink, channel, "cc14", controller, pair.value());
    return;
  }
  if (controller >= 32 && controller < 64 &&
      options_.cc14.test(static_cast<std::size_t>(controller - 32))) {
    Pair& pair = cc14_[channel - 1][controller - 32];
    pair.lsb = static_cast<std::uint8_t>(value);
    if (pair.msb_known) emit_channel(sink, channel, "cc14", controller - 32, pair.value());
    return;
  }
  emit_channel(sink, channel, "cc", controller, value);
}

bool Decoder::parameter_control(int channel, int controller, int value, Sink& sink) {
  ParamState& p = params_[channel - 1];
  const auto byte = static_cast<std::uint8_t>(value);
  auto select = [&](ParamKind kind, std::array<std::uint8_t, 2>& number, std::size_t half) {
    const bool same = p.kind == kind && number[half] == byte;
    p.kind = kind;
    number[half] = byte;
    // Devices resend the selection before every value: the same parameter keeps its value (for
    // increments); another one starts unknown.
    if (!same) p.value = {};
  };
  switch (controller) {
    case 99:
      select(ParamKind::nrpn, p.nrpn, 0);
      return true;
    case 98:
      select(ParamKind::nrpn, p.nrpn, 1);
      return true;
    case 101:
      select(ParamKind::rpn, p.rpn, 0);
      return true;
    case 100:
      select(ParamKind::rpn, p.rpn, 1);
      return true;
    case 6:
    case 38:
    case 96:
    case 97:
      break;
    default:
      return false;
  }
  const std::array<std::uint8_t, 2>& number = p.kind == ParamKind::rpn ? p.rpn : p.nrpn;
  if (p.kind == ParamKind::none || (number[0] == kNull && number[1] == kNull)) {
    sink.drop({DropReason::no_parameter, "(N)RPN data with no parameter selected"});
    return true;
  }
  Pair& pair = p.value;
  if (controller == 6) {
    pair.msb = byte;
    pair.msb_known = true;
  } else if (controller == 38) {
    pair.lsb = byte;
    if (!pair.msb_known) return true;  // waits for its MSB, as for cc14
  } else {
    if (!pair.msb_known) {
      sink.drop({DropReason::no_parameter, "(N)RPN increment before any value"});
      return true;
    }
    // The data byte of 96/97 is ignored: one step of the 14-bit value, at its ends nothing.
    const int stepped = std::clamp(pair.value() + (controller == 96 ? 1 : -1), 0, 16383);
    pair.msb = static_cast<std::uint8_t>(stepped >> 7);
    pair.lsb = static_cast<std::uint8_t>(stepped & 0x7F);
  }
  emit_channel(sink, channel, p.kind == ParamKind::rpn ? "rpn" : "nrpn",
               (number[0] << 7) | number[1], pair.value());
  return true;
}

void Decoder::finish_sysex(Sink& sink) {
  sysex_.push_back(kSysexEnd);
  emit_sysex(sink);
}

void Decoder::emit_channel(Sink& sink, int channel, std::string_view kind, int number, int value) {
  std::array<char, 40> address;
  const std::size_t length = format_address(address.data(), channel, kind, number);
  osc::MessageBuilder builder(out_, std::string_view(address.data(), length));
  builder.add_int32(value);
  emit_built(sink, builder.finish().value());
}

void Decoder::emit_global(Sink& sink, std::string_view address) {
  osc::MessageBuilder builder(out_, address);
  emit_built(sink, builder.finish().value());
}

void Decoder::emit_raw(Sink& sink, std::uint8_t status, std::uint8_t data1, std::uint8_t data2) {
  osc::MessageBuilder builder(out_, "/midi/raw");
  builder.add_midi({0, status, data1, data2});  // port 0: the endpoint is the port
  emit_built(sink, builder.finish().value());
}

void Decoder::emit_sysex(Sink& sink) {
  constexpr std::string_view kAddress = "/midi/sysex";
  const std::size_t needed = osc::padded_string_size(kAddress.size()) + 4 + 4 + sysex_.size() + 3;
  if (out_.size() < needed) out_.resize(needed);
  osc::MessageBuilder builder(out_, kAddress);
  builder.add_blob(std::string_view(reinterpret_cast<const char*>(sysex_.data()), sysex_.size()));
  emit_built(sink, builder.finish().value());
}

void Decoder::emit_built(Sink& sink, std::size_t size) {
  // The buffer is sized for every message built above, so size is never 0 (an error).
  if (size != 0) sink.message(std::string_view(out_.data(), size));
}

}  // namespace oscbridge::midi

// MIDI in -> canonical OSC messages (docs/midi.md has the table and every choice made here).
// A Decoder is the state of one MIDI input: running status, a message or sysex in progress,
// 14-bit controller pairs and (N)RPN parameter selection per channel. Feed it the byte chunks
// the port delivers, in order; it calls back with one encoded OSC message per MIDI message.
//
// Ownership and threading: one Decoder per MIDI input, used from one thread (the daemon's loop,
// which takes the chunks from the port's callback thread through a bounded queue). Not
// copyable. In steady state it does not allocate: its buffers grow to the largest sysex seen
// (at most max_sysex_size) and are reused.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "midi/drop.h"

namespace oscbridge::midi {

// A sysex larger than this (F0 and F7 included) is dropped unless configured otherwise: it then
// fits, with its OSC address and blob header, in the default 64 KiB UDP datagram or TCP frame.
inline constexpr std::size_t kDefaultMaxSysexSize = 32 * 1024;
// Configured sizes are clamped to [2, kMaxSysexSizeLimit] (16 MiB, osc's largest frame, minus
// room for the address and the blob header).
inline constexpr std::size_t kMaxSysexSizeLimit = 16 * 1024 * 1024 - 64;

struct DecoderOptions {
  // Controllers (MSB numbers 0..31) whose value pairs with controller N+32 into one 14-bit
  // value, /midi/CH/cc14/N. Both N and N+32 are then reported only as cc14, never as /cc/.
  // Empty: every controller is a plain 7-bit /cc/ (a controller that sends CC 0..31 alone
  // must not be mistaken for 14-bit, hence opt-in per controller).
  std::bitset<32> cc14;
  // True: CC 99/98 (NRPN) and 101/100 (RPN) select a parameter, 6/38 set its value and 96/97
  // step it, reported as /midi/CH/nrpn/N and /midi/CH/rpn/N; those controllers are then never
  // reported as /cc/. False: they are plain controllers like any other.
  bool nrpn = false;
  // The largest sysex passed on, F0 and F7 included; clamped as said above.
  std::size_t max_sysex_size = kDefaultMaxSysexSize;
};

class Decoder {
 public:
  explicit Decoder(const DecoderOptions& options = {});
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Consumes `bytes` (any split of the MIDI stream: whole messages, pieces of a sysex, running
  // status, realtime bytes between or inside other messages). For each MIDI message completed
  // calls on_message(std::string_view osc_message): the encoded OSC message, a view into the
  // decoder's buffer valid only during the call. For each MIDI message (or run of bytes) that
  // maps to nothing calls on_drop(const Drop&). A message split across calls is completed by
  // a later call, so the output does not depend on how the stream is split. The callbacks must
  // not call feed() on the same decoder; one that throws loses the rest of `bytes`, and the
  // decoder stays usable.
  template <class OnMessage, class OnDrop>
  void feed(std::span<const std::uint8_t> bytes, OnMessage&& on_message, OnDrop&& on_drop) {
    struct Adapter final : Sink {
      Adapter(OnMessage& m, OnDrop& d) : on_message(m), on_drop(d) {}
      void message(std::string_view osc) override { on_message(osc); }
      void drop(const Drop& drop) override { on_drop(drop); }
      OnMessage& on_message;
      OnDrop& on_drop;
    } adapter(on_message, on_drop);
    feed_bytes(bytes, adapter);
  }

  // Forgets everything learnt from the stream (running status, a partial message or sysex,
  // pairs and parameter selections), as after reopening the port. Keeps buffer capacity.
  void reset();
  // New options (a reload): also forgets pairs and parameter selections, which depend on them;
  // running status and a message in progress survive.
  void set_options(const DecoderOptions& options);
  const DecoderOptions& options() const { return options_; }
  // True while a sysex has begun and not ended.
  bool in_sysex() const { return state_ == State::sysex || state_ == State::sysex_discard; }

 private:
  class Sink {
   public:
    virtual void message(std::string_view osc) = 0;
    virtual void drop(const Drop& drop) = 0;

   protected:
    ~Sink() = default;
  };

  enum class State {
    idle,           // between messages; a data byte uses running status
    data,           // collecting the data bytes of status_
    sysex,          // collecting a sysex into sysex_
    sysex_discard,  // a sysex over the limit: skipping to its end
  };
  enum class ParamKind : std::uint8_t { none, nrpn, rpn };

  // One 14-bit value assembled from two 7-bit halves (a cc14 pair or (N)RPN data entry).
  struct Pair {
    std::uint8_t msb = 0;
    std::uint8_t lsb = 0;
    bool msb_known = false;  // no value is reported before its MSB is known
    int value() const { return (msb << 7) | lsb; }
  };
  struct ParamState {
    ParamKind kind = ParamKind::none;    // which selection data entry applies to
    std::array<std::uint8_t, 2> nrpn{};  // 99, 98
    std::array<std::uint8_t, 2> rpn{};   // 101, 100
    Pair value;                          // of the selected parameter
  };

  void feed_bytes(std::span<const std::uint8_t> bytes, Sink& sink);
  void status_byte(std::uint8_t byte, Sink& sink);
  void realtime_byte(std::uint8_t byte, Sink& sink);
  void data_byte(std::uint8_t byte, Sink& sink);
  void complete_message(Sink& sink);
  void channel_message(Sink& sink);
  void control_change(int channel, int controller, int value, Sink& sink);
  bool parameter_control(int channel, int controller, int value, Sink& sink);
  void finish_sysex(Sink& sink);

  // Encodes into out_ and hands it to the sink.
  void emit_channel(Sink& sink, int channel, std::string_view kind, int number, int value);
  void emit_global(Sink& sink, std::string_view address);
  void emit_raw(Sink& sink, std::uint8_t status, std::uint8_t data1, std::uint8_t data2);
  void emit_sysex(Sink& sink);
  void emit_built(Sink& sink, std::size_t size);

  DecoderOptions options_;
  State state_ = State::idle;
  std::uint8_t status_ = 0;   // running status (channel messages) or the system common
  std::size_t expected_ = 0;  // data bytes status_ takes
  std::array<std::uint8_t, 2> data_{};
  std::size_t have_ = 0;         // data bytes collected
  bool running_ = false;         // status_ may be reused by the next data bytes
  bool stray_reported_ = false;  // a run of stray data bytes is reported once
  std::vector<std::uint8_t> sysex_;
  std::array<std::array<Pair, 32>, 16> cc14_{};
  std::array<ParamState, 16> params_{};
  std::vector<char> out_;  // the OSC message being handed out
};

}  // namespace oscbridge::midi

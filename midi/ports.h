// The system's MIDI ports, through RtMidi on the ALSA sequencer or JACK: what ports there are,
// and one connection (an input or an output) opened on a system port or as a virtual port for
// other software to connect to. Nothing here maps MIDI to OSC (decoder.h, encoder.h do).
//
// An API that cannot be used (no /dev/snd/seq, no JACK server) is reported as a reason, never
// as an exception or as lines the libraries print on stderr: probing happens before RtMidi is
// asked, and libjack's own messages are silenced (a daemon polling every 2 s for a missing
// server would otherwise fill the journal).
//
// Ownership and threading: a PortConnection owns its RtMidi object (one ALSA or JACK client).
// Its methods are called from one thread (the daemon's loop); an input's OnBytes runs on
// RtMidi's thread (the ALSA input thread or JACK's process thread), from open() until close()
// or destruction returns.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

class RtMidi;
class RtMidiIn;
class RtMidiOut;

namespace oscbridge::midi {

enum class PortApi { alsa, jack };
enum class Direction { input, output };
std::string_view to_string(PortApi api);

// "" when the API can be used right now; else why not, in words for a log line that say what
// to do ("ALSA sequencer not available (/dev/snd/seq: No such file or directory); use api: jack
// or load snd-seq").
std::string unavailable_reason(PortApi api);

// The system's ports a connection of `direction` can open (for an input: ports that send MIDI),
// in the system's order; nullopt with `why` set when the API is unavailable.
std::optional<std::vector<std::string>> list_ports(PortApi api, Direction direction,
                                                   std::string& why);

// The first of `names` that `pattern` (ECMAScript) finds anywhere in, or nullopt. A plain
// name such as "nanoKONTROL2" thus finds "nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0"; anchors
// (^...$) ask for the whole name.
std::optional<std::size_t> find_port(const std::vector<std::string>& names,
                                     const std::string& pattern);

class PortConnection {
 public:
  // One MIDI message, or part of a long sysex, as the system delivered it.
  using OnBytes = std::function<void(std::span<const std::uint8_t> bytes)>;

  // Creates the ALSA or JACK client named client_name. Returns nullptr with `why` set when
  // the API is unavailable. An input delivers to on_bytes (ignored for an output).
  static std::unique_ptr<PortConnection> create(PortApi api, Direction direction,
                                                const std::string& client_name, OnBytes on_bytes,
                                                std::string& why);
  ~PortConnection();
  PortConnection(const PortConnection&) = delete;
  PortConnection& operator=(const PortConnection&) = delete;

  Direction direction() const { return direction_; }
  // The system's ports this connection could open now (see list_ports); empty when the
  // client lost its server (a JACK server that stopped).
  std::vector<std::string> port_names();
  // Connects to the system port called `name` (as port_names() gave it), through a port of
  // ours called own_name. "" on success, else why not.
  std::string open(const std::string& name, const std::string& own_name);
  // Creates a port called `name` that other software connects to. "" or why not.
  std::string open_virtual(const std::string& name);
  void close();
  bool is_open() const { return open_; }
  // Output only: sends one complete MIDI message. "" or why not.
  std::string send(std::span<const std::uint8_t> bytes);

 private:
  PortConnection(Direction direction, OnBytes on_bytes);
  // Calls the RtMidi operation and returns the error it reported ("" when none).
  template <class Operation>
  std::string checked(Operation&& operation);
  static void on_input(double, std::vector<unsigned char>* message, void* self);

  Direction direction_;
  OnBytes on_bytes_;
  // One of the two, by direction (RtMidi's base class cannot be deleted through).
  std::unique_ptr<RtMidiIn> input_;
  std::unique_ptr<RtMidiOut> output_;
  RtMidi* rtmidi_ = nullptr;  // whichever of the two is set
  std::string last_error_;    // set by RtMidi's error callback during checked()
  bool open_ = false;         // a port (system or virtual) is open
};

}  // namespace oscbridge::midi

// A MIDI endpoint: a system MIDI port (found by name or regular expression) or a pair of
// virtual ports, through RtMidi on ALSA or JACK. MIDI that arrives becomes OSC messages on the
// canonical /midi/... addresses (midi/decoder.h) and is routed like any other packet; OSC routed
// to it becomes MIDI (midi/encoder.h). docs/configuration.md ("midi") is the user's view.
//
// Nothing fails the daemon: an API that is unavailable, or a port that is absent at start or
// unplugged later, is looked for again every `rescan` (a poll of the port names on the loop's
// timer, since RtMidi tells no changes) and connected when it appears; each change is logged
// once. Meanwhile what is routed to it is dropped as `disconnected`.
//
// Threading: input arrives on RtMidi's thread and is only copied into a BoundedQueue there (a
// full queue is a `queue_full` drop); decoding and routing happen on the loop thread, like
// everything else here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/endpoint.h"
#include "midi/decoder.h"
#include "midi/encoder.h"
#include "midi/ports.h"
#include "socket/bounded_queue.h"

namespace oscbridge::daemon {

class MidiEndpoint final : public Endpoint {
 public:
  MidiEndpoint(const config::Endpoint& settings, EndpointContext& context);
  ~MidiEndpoint() override;

  std::string open() override;
  bool send(const OutgoingPacket& packet) override;
  EndpointState state() const override;
  // The ports stay when only the mapping (cc14, nrpn) or rescan changes.
  bool can_update_to(const config::Endpoint& next) const override;
  void update_settings(const config::Endpoint& next) override;

  // How many MIDI messages from RtMidi's thread may wait for the loop.
  static constexpr std::size_t kInputQueueCapacity = 4096;

 private:
  const config::MidiSettings& midi() const { return *settings_.midi(); }

  // One direction: its RtMidi client and the port it is connected to.
  struct Side {
    explicit Side(midi::Direction direction) : direction(direction) {}
    midi::Direction direction;
    std::unique_ptr<midi::PortConnection> connection;  // null while the API is unavailable
    std::string port;  // the port connected to (or created, virtual); "" when none
    std::string problem = "not looked for yet";  // why none, as last logged
    bool gone = false;  // the port was there and went: "is gone" says it until it is back
  };
  struct InputChunk {
    std::vector<std::uint8_t> bytes;
  };

  void rescan();
  void connect(Side& side);
  void report(Side& side, std::string problem);
  std::string own_port_name(const Side& side) const;
  void on_input(InputChunk& chunk);

  // Declared before the sides: the input connection (whose thread pushes into the queue) is
  // destroyed first.
  std::unique_ptr<socket::BoundedQueue<InputChunk>> input_queue_;
  std::uint64_t refused_counted_ = 0;
  Side input_{midi::Direction::input};
  Side output_{midi::Direction::output};
  midi::Decoder decoder_;
  midi::Encoder encoder_;
  std::string detail_;  // reused for drop details
  socket::EventLoop::TimerId rescan_timer_ = 0;
};

}  // namespace oscbridge::daemon

#include "daemon/midi_endpoint.h"

#include <spdlog/spdlog.h>

#include "osc/packet.h"

namespace oscbridge::daemon {

namespace {

midi::DecoderOptions decoder_options(const config::MidiSettings& midi) {
  midi::DecoderOptions options;
  for (int controller : midi.cc14) options.cc14.set(static_cast<std::size_t>(controller));
  options.nrpn = midi.nrpn;
  return options;
}

midi::PortApi port_api(config::MidiApi api) {
  return api == config::MidiApi::jack ? midi::PortApi::jack : midi::PortApi::alsa;
}

std::string_view side_name(midi::Direction direction) {
  return direction == midi::Direction::input ? "input" : "output";
}

// MIDI that arrives and maps to nothing is broken input, like a malformed OSC packet; a sysex
// over the limit is too large, like an oversized datagram.
DropReason incoming_reason(midi::DropReason reason) {
  return reason == midi::DropReason::sysex_too_large ? DropReason::too_large
                                                     : DropReason::malformed;
}

}  // namespace

MidiEndpoint::MidiEndpoint(const config::Endpoint& settings, EndpointContext& context)
    : Endpoint(settings, context), decoder_(decoder_options(*settings.midi())) {}

MidiEndpoint::~MidiEndpoint() {
  if (rescan_timer_ != 0) context_.loop.cancel(rescan_timer_);
  // RtMidi's input thread stops before the queue it pushes into goes.
  input_.connection.reset();
  output_.connection.reset();
}

std::string MidiEndpoint::open() {
  if (midi().input) {
    input_queue_ = std::make_unique<socket::BoundedQueue<InputChunk>>(
        context_.loop, kInputQueueCapacity, [this](InputChunk& chunk) { on_input(chunk); });
    connect(input_);
  }
  if (midi().output) connect(output_);
  // Ports come and go (and the API's server with them); RtMidi tells no changes, so look.
  rescan_timer_ = context_.loop.run_every(midi().rescan, [this] { rescan(); });
  // A missing port is no reason to refuse the configuration: it is looked for until it comes.
  return "";
}

std::string MidiEndpoint::own_port_name(const Side& side) const {
  return midi().virtual_port ? name() : std::string(side_name(side.direction));
}

void MidiEndpoint::connect(Side& side) {
  const auto api = port_api(midi().api);
  if (!side.connection) {
    std::string why;
    std::string client =
        "oscbridge-" + name() + (side.direction == midi::Direction::input ? "-in" : "-out");
    midi::PortConnection::OnBytes on_bytes;
    if (side.direction == midi::Direction::input) {
      // RtMidi's thread: copy and hand over, nothing more.
      on_bytes = [queue = input_queue_.get()](std::span<const std::uint8_t> bytes) {
        queue->push(InputChunk{std::vector<std::uint8_t>(bytes.begin(), bytes.end())});
      };
    }
    side.connection =
        midi::PortConnection::create(api, side.direction, client, std::move(on_bytes), why);
    if (!side.connection) return report(side, why);
  }
  if (midi().virtual_port) {
    std::string error = side.connection->open_virtual(own_port_name(side));
    if (!error.empty()) return report(side, "cannot create virtual port: " + error);
    side.port = own_port_name(side);
    return report(side, "");
  }
  std::vector<std::string> names = side.connection->port_names();
  auto found = midi::find_port(names, midi().port);
  if (!found) {
    // No port, or no server behind the client any more: start again from the API.
    std::string why = midi::unavailable_reason(api);
    if (!why.empty()) {
      side.connection.reset();
      side.gone = false;
      return report(side, why);
    }
    if (side.gone) return;  // still gone, as logged
    return report(side, "no " + std::string(side_name(side.direction)) + " port matches '" +
                            midi().port + "' (" + std::to_string(names.size()) + " " +
                            std::string(midi::to_string(api)) +
                            " ports; see oscbridge midi-ports)");
  }
  std::string error = side.connection->open(names[*found], own_port_name(side));
  if (!error.empty()) return report(side, "cannot open port '" + names[*found] + "': " + error);
  side.port = names[*found];
  side.gone = false;
  // A new port is a new stream: a message half-received from the old one is not continued.
  if (side.direction == midi::Direction::input) decoder_.reset();
  report(side, "");
}

void MidiEndpoint::report(Side& side, std::string problem) {
  if (!problem.empty()) side.port.clear();
  if (problem == side.problem) return;
  if (problem.empty()) {
    spdlog::info("{}: MIDI {} {} port '{}' ({})", name(), side_name(side.direction),
                 midi().virtual_port ? "created" : "connected to", side.port,
                 midi::to_string(port_api(midi().api)));
  } else {
    spdlog::warn("{}: MIDI {}: {}; looking again every {} ms", name(), side_name(side.direction),
                 problem, midi().rescan.count());
  }
  side.problem = std::move(problem);
}

void MidiEndpoint::rescan() {
  for (Side* side : {&input_, &output_}) {
    const bool wanted = side->direction == midi::Direction::input ? midi().input : midi().output;
    if (!wanted) continue;
    if (side->connection && side->connection->is_open() && !midi().virtual_port) {
      // Still there? An unplugged device's port disappears from the list.
      auto names = side->connection->port_names();
      if (std::find(names.begin(), names.end(), side->port) != names.end()) continue;
      side->connection->close();
      report(*side, "port '" + side->port + "' is gone");
      side->gone = true;
    }
    if (!side->connection || !side->connection->is_open()) connect(*side);
  }
}

void MidiEndpoint::on_input(InputChunk& chunk) {
  // Chunks RtMidi's thread could not queue, counted here where counters live.
  const std::uint64_t refused = input_queue_->refused();
  if (refused != refused_counted_) {
    drop(DropReason::queue_full, refused - refused_counted_,
         "MIDI input came faster than it could be routed");
    counters_.received += refused - refused_counted_;
    refused_counted_ = refused;
  }
  decoder_.feed(
      chunk.bytes, [this](std::string_view osc) { deliver(osc, nullptr); },
      [this](const midi::Drop& dropped) {
        detail_.assign("MIDI in: ").append(midi::to_string(dropped.reason));
        detail_.append(": ").append(dropped.detail);
        drop_incoming(incoming_reason(dropped.reason), detail_);
      });
}

bool MidiEndpoint::send(const OutgoingPacket& packet) {
  if (!midi().output) {
    drop(DropReason::no_peer, packet.messages, "output: false");
    return false;
  }
  if (!output_.connection || !output_.connection->is_open()) {
    drop(DropReason::disconnected, packet.messages,
         output_.problem.empty() ? "no MIDI output port" : output_.problem);
    return false;
  }
  bool taken = false;
  std::string error;
  // The router built the packet, so it parses; its bundles may nest as deep as the source
  // endpoint allowed.
  osc::ParseOptions options;
  options.max_bundle_depth = osc::kMaxBundleDepthLimit;
  auto parsed = osc::for_each_message(
      packet.bytes,
      [&](const osc::Message& message, osc::TimeTag) {
        auto result = encoder_.encode(message, [&](std::span<const std::uint8_t> bytes) {
          if (error.empty()) error = output_.connection->send(bytes);
        });
        if (!result.ok()) {
          detail_.assign(message.address()).append(": ");
          detail_.append(midi::to_string(result.dropped->reason));
          detail_.append(": ").append(result.dropped->detail);
          return drop(DropReason::not_midi, detail_);
        }
        counters_.clamped += static_cast<std::uint64_t>(result.clamped);
        if (!error.empty()) {
          drop(DropReason::send_failed, error);
          error.clear();
          return;
        }
        ++counters_.sent;
        taken = true;
      },
      options);
  if (!parsed) drop(DropReason::malformed, packet.messages, parsed.error().reason);
  return taken;
}

EndpointState MidiEndpoint::state() const {
  EndpointState state;
  auto describe = [&](const Side& side) {
    std::string text = std::string(side_name(side.direction)) + " ";
    if (!side.port.empty()) return text + "'" + side.port + "'";
    return text + (side.problem.empty() ? "not connected" : side.problem);
  };
  std::string api(midi::to_string(port_api(midi().api)));
  state.summary = "midi (" + api + ")";
  if (midi().input) state.summary += ", " + describe(input_);
  if (midi().output) state.summary += ", " + describe(output_);
  const bool missing =
      (midi().input && input_.port.empty()) || (midi().output && output_.port.empty());
  state.word = missing ? "port_missing" : "connected";
  return state;
}

bool MidiEndpoint::can_update_to(const config::Endpoint& next) const {
  const config::MidiSettings* other = next.midi();
  return other != nullptr && other->port == midi().port && other->api == midi().api &&
         other->virtual_port == midi().virtual_port && other->input == midi().input &&
         other->output == midi().output;
}

void MidiEndpoint::update_settings(const config::Endpoint& next) {
  const auto rescan_before = midi().rescan;
  Endpoint::update_settings(next);
  decoder_.set_options(decoder_options(midi()));
  if (midi().rescan != rescan_before && rescan_timer_ != 0) {
    context_.loop.cancel(rescan_timer_);
    rescan_timer_ = context_.loop.run_every(midi().rescan, [this] { rescan(); });
  }
}

}  // namespace oscbridge::daemon

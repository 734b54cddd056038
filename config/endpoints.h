// Internal to oscbridge_config: reads the `endpoints:` mapping. Single-threaded; the YAML nodes
// must outlive the call, the results own their data.
#pragma once

#include <vector>

#include "config/config.h"
#include "config/diagnostics.h"
#include "config/yaml_reader.h"

namespace oscbridge::config::detail {

struct ReadEndpoint {
  Endpoint endpoint;  // filled as far as the file allowed
  Position name_at;
  Position listen_at;             // of listen's value, when written
  Position connect_at;            // of connect's value, when written
  std::vector<Position> send_at;  // of each udp send address read, in send's order
  // False when anything in this endpoint was reported; routes then still know the name (no
  // cascade of "unknown endpoint") but skip checks that depend on its settings.
  bool valid = true;
  // Whether `protocol` was read; the endpoint's kind is only its protocol's when it was.
  bool protocol_known = false;
};

// Every endpoint named under `endpoints:`, in file order, including invalid ones.
std::vector<ReadEndpoint> read_endpoints(const Entry& entry, Diagnostics& diagnostics);

// Reads entry into midi when it is one of a midi endpoint's own keys (port, input, output,
// api, virtual, cc14, nrpn, rescan), reporting what does not fit; false for any other key.
// In midi_settings.cpp, beside the MIDI settings' rules.
bool read_midi_setting(const Entry& entry, MidiSettings& midi, Diagnostics& diagnostics);

// keepalive and on_connect (fixed_messages.cpp): messages written as [/address, args...].
std::optional<std::vector<FixedMessage>> read_fixed_messages(const Located& value,
                                                             Diagnostics& diagnostics);
std::optional<Keepalive> read_keepalive(const Entry& entry, Diagnostics& diagnostics);

// state, state_max, pace, pace_queue (config/state_pace.cpp). read_state_or_pace returns
// whether entry was one of them; check_state_and_pace reports what does not fit together.
bool read_state_or_pace(const Entry& entry, Endpoint& endpoint, Diagnostics& diagnostics);
void check_state_and_pace(const std::vector<Entry>& entries, const Endpoint& endpoint,
                          Diagnostics& diagnostics);

// schedule, schedule_queue, schedule_max, loop_guard (config/schedule_loop.cpp), as above.
bool read_schedule_or_loop_guard(const Entry& entry, Endpoint& endpoint, Diagnostics& diagnostics);
void check_schedule(const std::vector<Entry>& entries, const Endpoint& endpoint,
                    Diagnostics& diagnostics);

// A udp endpoint's literal send addresses its listen socket cannot reach (send_families.cpp);
// send_at: the position of each send address.
void check_send_families(const UdpSettings& udp, const std::vector<Position>& send_at,
                         Diagnostics& diagnostics);

// Why a route could not use the endpoint in that direction ("" when it can): a udp endpoint
// with no send address and no reply peers sends nowhere; a midi endpoint with `output: false`
// plays nothing, one with `input: false` hears nothing. The text completes "to: " or "from: ".
std::string cannot_send(const Endpoint& endpoint);
std::string cannot_receive(const Endpoint& endpoint);

}  // namespace oscbridge::config::detail

// Traffic counters of endpoints and routes, and the reasons a message can be dropped.
// Plain values owned by their endpoint or route and touched only on the loop thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace oscbridge::daemon {

enum class DropReason {
  malformed,       // not a valid OSC packet, or a frame the deframer refused
  too_large,       // over the endpoint's max_frame
  no_route,        // no route matched a message from this endpoint
  acl,             // the source address is not in the endpoint's allow list
  not_applicable,  // a route matched but its templates could not apply (missing argument)
  queue_full,      // a TCP connection's output queue was full
  disconnected,    // a TCP client endpoint had no connection
  max_clients,     // a TCP listen endpoint was full; the new client was closed
  send_failed,     // the system refused to send
  unresolved,      // a destination's host name has not resolved (yet); retried with backoff
  no_peer,         // routed to an endpoint with nobody to send to (no reply peer, no client)
  not_midi,        // routed to a MIDI endpoint but no MIDI message (docs/midi.md says why)
  rate,            // a route's `rate:` held it and a newer value for its address replaced it
  unchanged,       // a route's `on_change: true`: equal to the last value sent to its address
  deadband,        // a route's `deadband:`: too close to the last value sent to its address
  echo,            // arrived from an endpoint within echo_window of the daemon sending it there
  schedule_full,   // `schedule: true`: a future bundle found the endpoint's schedule queue full
  loop,            // loop_guard: an address circulating through this endpoint (loop_guard.h)
  pace_full,       // an endpoint's `pace:` queue (pace_queue messages) had no room
};
inline constexpr std::size_t kDropReasonCount = 19;

std::string_view to_string(DropReason reason);

// Every counter counts messages (docs/configuration.md, "Counters"): a bundle of 3 counts 3,
// a packet that is not valid OSC counts 1. The exceptions are acl and max_clients on a tcp
// listen endpoint, which count refused connections.
struct EndpointCounters {
  // Messages that arrived, including those then dropped as malformed, too_large or acl.
  std::uint64_t received = 0;
  // Messages handed to the system, once per receiver (a destination, a reply peer, a client).
  std::uint64_t sent = 0;
  // udp `reply: true`: new sources not taken as reply peers (table full or over the admission
  // rate). Their messages were routed all the same, so they are not drops.
  std::uint64_t reply_peers_refused = 0;
  // midi: values brought into their MIDI range on the way out (a fader's 1.2 sent as 127).
  // The messages were sent, so they are not drops.
  std::uint64_t clamped = 0;
  // `schedule: true`: bundles due more than schedule_max ahead, routed at once (not drops).
  std::uint64_t schedule_too_far = 0;
  // `state: true`: addresses forgotten to make room for new ones (state_max reached). The
  // messages were sent, so they are not drops; late joiners just do not get those values.
  std::uint64_t state_evicted = 0;
  std::array<std::uint64_t, kDropReasonCount> dropped{};

  std::uint64_t& drops(DropReason reason) { return dropped[static_cast<std::size_t>(reason)]; }
  std::uint64_t drops(DropReason reason) const { return dropped[static_cast<std::size_t>(reason)]; }
  // "received 10, sent 7, dropped 3 (malformed 2, acl 1)", then the other counters not zero"
  std::string describe() const;
};

struct RouteCounters {
  std::uint64_t matched = 0;  // messages whose address the route matched, from its sources
  // Messages a destination endpoint took (counted once per destination endpoint).
  std::uint64_t sent = 0;
  // Matched but not sent: the templates could not apply, a stage held it back for good, or a
  // destination took it from no receiver; by reason in dropped_by_reason, as the endpoint
  // that dropped it counts it too.
  std::uint64_t dropped = 0;
  std::array<std::uint64_t, kDropReasonCount> dropped_by_reason{};

  void drop(DropReason reason) {
    ++dropped;
    ++dropped_by_reason[static_cast<std::size_t>(reason)];
  }
  // "matched 5, sent 3, dropped 2 (rate 2)"
  std::string describe() const;
};

}  // namespace oscbridge::daemon

// The status snapshot in the Prometheus text exposition format (version 0.0.4), for GET
// /metrics. Metric names and labels are documented in docs/http.md; like the status JSON they
// may grow, none is renamed.
//
// Threading: a pure function over values; the HTTP server calls it on its own thread with a
// copy of the snapshot.
#pragma once

#include <cstdint>
#include <string>

#include "daemon/runtime.h"

namespace oscbridge::daemon {

// What the HTTP server itself knows, shown next to the daemon's counters.
struct HttpMetrics {
  std::size_t taps = 0;                      // taps registered (control socket and HTTP)
  std::size_t clients = 0;                   // HTTP requests being served now (streams included)
  std::size_t tap_queue_lines = 0;           // tapped lines waiting in HTTP tap streams' queues
  std::uint64_t tap_lines_dropped = 0;       // lines a full HTTP tap queue refused
  std::uint64_t status_updates_dropped = 0;  // /api/events seconds a slow reader skipped
  std::uint64_t refused_allow = 0;           // requests from outside http.allow
  std::uint64_t refused_max_clients = 0;     // requests over http.max_clients
};

std::string prometheus_text(const StatusSnapshot& status, const HttpMetrics& http);

}  // namespace oscbridge::daemon

#include "daemon/http_metrics.h"

#include <chrono>
#include <cstdio>
#include <string_view>

#include "daemon/counters.h"

namespace oscbridge::daemon {

namespace {

// Label values escape backslash, double quote and newline (the format's only escapes).
std::string escaped(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

class Writer {
 public:
  // HELP and TYPE once, before the family's samples, which follow together.
  void family(std::string_view name, std::string_view type, std::string_view help) {
    name_ = name;
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  // labels: already rendered pairs such as endpoint="desk",reason="acl" (may be empty).
  void sample(const std::string& labels, double value) {
    out_ += name_;
    if (!labels.empty()) out_ += "{" + labels + "}";
    out_ += ' ';
    out_ += number(value);
    out_ += '\n';
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  std::string name_;
};

std::string label(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + escaped(value) + "\"";
}

// Whether an endpoint does its job: bound, sending or connected (not reconnecting, not
// waiting for a name or a MIDI port).
bool is_up(const EndpointStatus& endpoint) {
  if (!endpoint.open) return false;
  const std::string& word = endpoint.state.word;
  return word.empty() || word == "listening" || word == "sending" || word == "connected" ||
         word == "open";
}

}  // namespace

std::string prometheus_text(const StatusSnapshot& status, const HttpMetrics& http) {
  Writer out;
  out.family("oscbridge_up", "gauge", "1 while the daemon runs and answers.");
  out.sample("", 1);
  out.family("oscbridge_uptime_seconds", "gauge", "Seconds since the daemon started.");
  out.sample("", std::chrono::duration<double>(status.uptime).count());
  out.family("oscbridge_loop_failures_total", "counter",
             "Callbacks on the event loop that failed (logged and contained).");
  out.sample("", static_cast<double>(status.loop_failures));
  out.family("oscbridge_last_reload_success", "gauge",
             "1 when the last reload applied (or none was asked for yet), 0 when it failed.");
  out.sample("", status.last_reload.empty() || status.last_reload == "applied" ? 1 : 0);

  auto per_endpoint = [&](std::string_view name, std::string_view type, std::string_view help,
                          auto value) {
    out.family(name, type, help);
    for (const auto& endpoint : status.endpoints) {
      if (endpoint.open) out.sample(label("endpoint", endpoint.name), value(endpoint));
    }
  };
  out.family("oscbridge_endpoint_up", "gauge",
             "1 when the endpoint is listening, sending or connected; 0 when it is closed, "
             "reconnecting, unresolved or its MIDI port is missing.");
  for (const auto& endpoint : status.endpoints) {
    out.sample(
        label("endpoint", endpoint.name) + "," +
            label("protocol", config::to_string(endpoint.protocol)) + "," +
            label("state", endpoint.open ? (endpoint.state.word.empty() ? std::string("open")
                                                                        : endpoint.state.word)
                                         : std::string("closed")),
        is_up(endpoint) ? 1 : 0);
  }
  per_endpoint("oscbridge_endpoint_peers", "gauge",
               "Connected clients or reply peers of the endpoint.",
               [](const EndpointStatus& e) { return static_cast<double>(e.state.peers.size()); });
  per_endpoint("oscbridge_endpoint_received_messages_total", "counter",
               "Messages that arrived at the endpoint, dropped ones included.",
               [](const EndpointStatus& e) { return static_cast<double>(e.counters.received); });
  per_endpoint("oscbridge_endpoint_sent_messages_total", "counter",
               "Messages the endpoint handed to the system, once per receiver.",
               [](const EndpointStatus& e) { return static_cast<double>(e.counters.sent); });
  out.family("oscbridge_endpoint_dropped_messages_total", "counter",
             "Messages the endpoint dropped, by reason (docs/configuration.md, Counters).");
  for (const auto& endpoint : status.endpoints) {
    if (!endpoint.open) continue;
    for (std::size_t i = 0; i < kDropReasonCount; ++i) {
      out.sample(label("endpoint", endpoint.name) + "," +
                     label("reason", to_string(static_cast<DropReason>(i))),
                 static_cast<double>(endpoint.counters.dropped[i]));
    }
  }
  per_endpoint(
      "oscbridge_endpoint_reply_peers_refused_total", "counter",
      "New sources not taken as reply peers (their messages were routed all the same).",
      [](const EndpointStatus& e) { return static_cast<double>(e.counters.reply_peers_refused); });
  per_endpoint("oscbridge_endpoint_clamped_total", "counter",
               "Values a MIDI endpoint brought into their MIDI range on the way out.",
               [](const EndpointStatus& e) { return static_cast<double>(e.counters.clamped); });
  per_endpoint(
      "oscbridge_endpoint_schedule_too_far_total", "counter",
      "Bundles due further ahead than schedule_max, routed at once (schedule: true).",
      [](const EndpointStatus& e) { return static_cast<double>(e.counters.schedule_too_far); });
  per_endpoint(
      "oscbridge_endpoint_state_evicted_total", "counter",
      "Addresses forgotten from the late-joiner snapshot to make room (state: true).",
      [](const EndpointStatus& e) { return static_cast<double>(e.counters.state_evicted); });
  per_endpoint("oscbridge_endpoint_received_per_second", "gauge",
               "Messages received per second over the last second.",
               [](const EndpointStatus& e) { return e.rates.received.last_1s; });
  per_endpoint("oscbridge_endpoint_sent_per_second", "gauge",
               "Messages sent per second over the last second.",
               [](const EndpointStatus& e) { return e.rates.sent.last_1s; });

  // Route names may repeat (or be empty): position, the route's place in the file, keeps
  // every series apart.
  auto per_route = [&](std::string_view name, std::string_view help, auto value) {
    out.family(name, "counter", help);
    for (std::size_t i = 0; i < status.routes.size(); ++i) {
      const auto& route = status.routes[i];
      out.sample(label("route", route.name) + "," + label("position", std::to_string(i)),
                 static_cast<double>(value(route.counters)));
    }
  };
  per_route("oscbridge_route_matched_messages_total",
            "Messages whose address the route matched, from its sources.",
            [](const RouteCounters& c) { return c.matched; });
  per_route("oscbridge_route_sent_messages_total",
            "Messages a destination endpoint took from the route (once per destination).",
            [](const RouteCounters& c) { return c.sent; });
  out.family("oscbridge_route_dropped_messages_total", "counter",
             "Messages the route matched but did not send, by reason.");
  for (std::size_t i = 0; i < status.routes.size(); ++i) {
    const auto& route = status.routes[i];
    for (std::size_t reason = 0; reason < kDropReasonCount; ++reason) {
      out.sample(label("route", route.name) + "," + label("position", std::to_string(i)) + "," +
                     label("reason", to_string(static_cast<DropReason>(reason))),
                 static_cast<double>(route.counters.dropped_by_reason[reason]));
    }
  }

  out.family("oscbridge_taps", "gauge",
             "Live taps (oscbridge tap clients and dashboard tap streams).");
  out.sample("", static_cast<double>(http.taps));
  out.family("oscbridge_http_clients", "gauge",
             "HTTP requests being served now, streams included.");
  out.sample("", static_cast<double>(http.clients));
  out.family("oscbridge_http_tap_queue_lines", "gauge",
             "Tapped lines queued for dashboard tap streams and not yet written.");
  out.sample("", static_cast<double>(http.tap_queue_lines));
  out.family("oscbridge_http_dropped_updates_total", "counter",
             "Updates a slow HTTP reader did not get: tapped lines its full queue refused, "
             "status seconds it skipped.");
  out.sample(label("stream", "tap"), static_cast<double>(http.tap_lines_dropped));
  out.sample(label("stream", "status"), static_cast<double>(http.status_updates_dropped));
  out.family("oscbridge_http_refused_total", "counter",
             "HTTP requests refused: from outside http.allow, or over http.max_clients.");
  out.sample(label("reason", "allow"), static_cast<double>(http.refused_allow));
  out.sample(label("reason", "max_clients"), static_cast<double>(http.refused_max_clients));
  return out.take();
}

}  // namespace oscbridge::daemon

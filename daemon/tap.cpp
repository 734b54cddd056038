#include "daemon/tap.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include "daemon/status_json.h"
#include "socket/resolve.h"

namespace oscbridge::daemon {

namespace {

using nlohmann::json;

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    text.push_back(kDigits[byte >> 4]);
    text.push_back(kDigits[byte & 0xf]);
  }
  return text;
}

json number(double value) {
  // JSON has no NaN or infinity: they become strings, as oscdump prints them.
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

// One argument as JSON, by its tag (docs/control.md: the table of how each type shows).
json argument_json(const osc::Argument& argument) {
  switch (argument.tag()) {
    case 'i':
      return argument.as_int32();
    case 'h':
      return argument.as_int64();
    case 'f':
      return number(argument.as_float());
    case 'd':
      return number(argument.as_double());
    case 's':
    case 'S':
      return std::string(argument.as_string());
    case 'c':
      return std::string(1, argument.as_char());
    case 'b':
      return hex(argument.as_blob());
    case 't':
      return argument.as_timetag().ntp();
    case 'r':
      return argument.as_rgba();
    case 'm': {
      auto bytes = argument.as_midi();
      return json::array({bytes[0], bytes[1], bytes[2], bytes[3]});
    }
    case 'T':
      return true;
    case 'F':
      return false;
    case 'N':
      return nullptr;
    case 'I':
      return "inf";
    default:
      return nullptr;
  }
}

json timetag_json(osc::TimeTag time) {
  if (time.is_immediately()) return "immediately";
  return iso_time(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(time.to_time_point()));
}

// The event line for one message; endpoint and peer already set by the caller.
std::string event_line(json event, const osc::Message& message, osc::TimeTag time, bool in_bundle) {
  event["address"] = std::string(message.address());
  event["types"] = std::string(message.type_tags());
  json args = json::array();
  // Arrays show in types as [ and ]; args lists the values inside them in order.
  for (const osc::Argument& argument : message.arguments()) {
    if (argument.tag() == '[' || argument.tag() == ']') continue;
    args.push_back(argument_json(argument));
  }
  event["args"] = std::move(args);
  if (in_bundle) event["timetag"] = timetag_json(time);
  return event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

bool passes(const TapFilter& filter, std::string_view address, const std::string& endpoint) {
  if (!filter.endpoint.empty() && filter.endpoint != endpoint) return false;
  return !filter.pattern || filter.pattern->matches(address);
}

}  // namespace

TapHub::TapId TapHub::add(TapFilter filter, Writer writer) {
  TapId id = next_id_++;
  taps_.emplace(id, Tap{std::move(filter), std::move(writer), 0});
  return id;
}

void TapHub::remove(TapId id) {
  taps_.erase(id);
}

void TapHub::emit(Tap& tap, const std::string& line) {
  if (tap.missed > 0) {
    json missed{{"event", "missed"}, {"count", tap.missed}};
    if (!tap.writer(missed.dump() + "\n")) {
      ++tap.missed;
      return;
    }
    tap.missed = 0;
  }
  if (!tap.writer(line)) ++tap.missed;
}

void TapHub::received(const Origin& origin, const osc::Message& message, osc::TimeTag time,
                      bool in_bundle) {
  const std::string& endpoint = origin.endpoint->name();
  std::string line;  // made once, for the first tap that wants it
  for (auto& [id, tap] : taps_) {
    if (!tap.filter.in || !tap.filter.route.empty()) continue;
    if (!passes(tap.filter, message.address(), endpoint)) continue;
    if (line.empty()) {
      json event{{"event", "message"},
                 {"time", iso_time(std::chrono::system_clock::now())},
                 {"direction", "in"},
                 {"endpoint", endpoint}};
      if (origin.peer.ss_family != AF_UNSPEC) {
        event["peer"] = socket::format_address(origin.peer);
      }
      line = event_line(std::move(event), message, time, in_bundle);
    }
    emit(tap, line);
  }
}

void TapHub::sent(const Endpoint& destination, const std::string& route, std::string_view message,
                  osc::TimeTag time, bool in_bundle) {
  std::optional<osc::Message> parsed;
  std::string line;
  for (auto& [id, tap] : taps_) {
    if (!tap.filter.out) continue;
    if (!tap.filter.route.empty() && tap.filter.route != route) continue;
    if (!parsed) {
      // The router made these bytes; they parse. Should they not, there is nothing to show.
      auto packet = osc::parse_packet(message);
      if (!packet || !packet->is_message()) return;
      parsed = packet->message();
    }
    if (!passes(tap.filter, parsed->address(), destination.name())) continue;
    if (line.empty()) {
      json event{{"event", "message"},
                 {"time", iso_time(std::chrono::system_clock::now())},
                 {"direction", "out"},
                 {"endpoint", destination.name()},
                 {"route", route}};
      line = event_line(std::move(event), *parsed, time, in_bundle);
    }
    emit(tap, line);
  }
}

}  // namespace oscbridge::daemon

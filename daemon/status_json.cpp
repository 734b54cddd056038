#include "daemon/status_json.h"

#include <time.h>

#include <cstdio>

namespace oscbridge::daemon {

namespace {

using nlohmann::json;

json rate_json(const Rate& rate) {
  return json{{"1s", rate.last_1s}, {"60s", rate.last_60s}};
}

// Every drop reason by name, including those at 0, so that scripts find each key.
json by_reason_json(const std::array<std::uint64_t, kDropReasonCount>& by_reason) {
  json dropped = json::object();
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    dropped[std::string(to_string(static_cast<DropReason>(i)))] = by_reason[i];
  }
  return dropped;
}

json endpoint_json(const EndpointStatus& endpoint, std::chrono::steady_clock::time_point now) {
  json entry{{"name", endpoint.name},
             {"protocol", std::string(config::to_string(endpoint.protocol))},
             {"open", endpoint.open}};
  if (!endpoint.open) {
    entry["state"] = "closed";
    return entry;
  }
  const EndpointState& state = endpoint.state;
  entry["state"] = state.word.empty() ? "open" : state.word;
  entry["summary"] = state.summary;
  entry["peers"] = state.peers;
  if (state.next_attempt) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*state.next_attempt - now);
    entry["next_attempt_in_ms"] = std::max<std::int64_t>(0, wait.count());
  }
  const EndpointCounters& counters = endpoint.counters;
  json dropped = by_reason_json(counters.dropped);
  entry["counters"] = json{{"received", counters.received},
                           {"sent", counters.sent},
                           {"dropped", total_dropped(counters)},
                           {"dropped_by_reason", std::move(dropped)},
                           {"reply_peers_refused", counters.reply_peers_refused},
                           {"clamped", counters.clamped},
                           {"schedule_too_far", counters.schedule_too_far},
                           {"state_evicted", counters.state_evicted}};
  entry["rates"] = json{{"received", rate_json(endpoint.rates.received)},
                        {"sent", rate_json(endpoint.rates.sent)},
                        {"dropped", rate_json(endpoint.rates.dropped)}};
  return entry;
}

json route_json(const RouteStatus& route) {
  return json{{"name", route.name},
              {"counters",
               {{"matched", route.counters.matched},
                {"sent", route.counters.sent},
                {"dropped", route.counters.dropped},
                {"dropped_by_reason", by_reason_json(route.counters.dropped_by_reason)}}},
              {"rates",
               {{"matched", rate_json(route.rates.matched)},
                {"sent", rate_json(route.rates.sent)},
                {"dropped", rate_json(route.rates.dropped)}}}};
}

}  // namespace

std::string iso_time(std::chrono::system_clock::time_point time) {
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  const time_t seconds = static_cast<time_t>(since_epoch.count() / 1000);
  tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[80];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(since_epoch.count() % 1000));
  return text;
}

nlohmann::json status_json(const StatusSnapshot& status,
                           std::chrono::steady_clock::time_point now) {
  json root;
  root["config_file"] = status.config_file.empty() ? json(nullptr) : json(status.config_file);
  root["summary"] = status.summary;
  root["started_at"] = iso_time(status.started_at);
  root["uptime_s"] = std::chrono::duration<double>(status.uptime).count();
  if (status.last_reload_at) {
    root["last_reload"] = json{{"at", iso_time(*status.last_reload_at)},
                               {"applied", status.last_reload == "applied"},
                               {"errors", status.last_reload_errors}};
  } else {
    root["last_reload"] = nullptr;
  }
  root["loop_failures"] = status.loop_failures;
  json endpoints = json::array();
  for (const auto& endpoint : status.endpoints) endpoints.push_back(endpoint_json(endpoint, now));
  root["endpoints"] = std::move(endpoints);
  json routes = json::array();
  for (const auto& route : status.routes) routes.push_back(route_json(route));
  root["routes"] = std::move(routes);
  return root;
}

}  // namespace oscbridge::daemon

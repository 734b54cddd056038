// The human forms of `oscbridge status` and `oscbridge tap`: 80 columns whatever the names,
// peers and numbers, and oscdump-like tap lines.
#include <gtest/gtest.h>

#include <sstream>

#include "daemon/control_client.h"
#include "daemon/status_json.h"

namespace oscbridge::daemon {
namespace {

using nlohmann::json;

StatusSnapshot crowded() {
  StatusSnapshot status;
  status.config_file = "/etc/oscbridge/" + std::string(100, 'c') + ".yaml";
  status.summary = "2 endpoints (1 udp, 1 tcp), 1 route";
  status.uptime = std::chrono::hours(50);
  status.last_reload = "x";
  status.last_reload_at = std::chrono::system_clock::now();
  status.last_reload_errors = {"f.yaml:3:7: unknown key 'lisen' (did you mean 'listen'?)"};
  EndpointStatus endpoint;
  endpoint.name = "a_very_long_endpoint_name_for_the_lighting_desk_in_the_back";
  endpoint.protocol = config::Protocol::tcp;
  endpoint.open = true;
  endpoint.state.word = "listening";
  endpoint.state.summary = "listening on tcp 0.0.0.0:3032, 40 client(s) " + std::string(60, 'z');
  for (int i = 0; i < 40; ++i)
    endpoint.state.peers.push_back("192.168.100." + std::to_string(i) + ":65535");
  endpoint.counters.received = 18446744073709551615ull;
  endpoint.counters.sent = 123456789012;
  endpoint.counters.drops(DropReason::queue_full) = 99999999999;
  endpoint.counters.drops(DropReason::acl) = 5;
  endpoint.rates.received = {123456.7, 98765.4};
  status.endpoints.push_back(endpoint);
  EndpointStatus closed;
  closed.name = "midi";
  closed.protocol = config::Protocol::midi;
  status.endpoints.push_back(closed);
  status.routes.push_back({std::string(90, 'r'), {1, 2, 3}, {}});
  return status;
}

TEST(ControlFormat, StatusFitsEightyColumns) {
  const std::string text = format_status(status_json(crowded(), std::chrono::steady_clock::now()));
  std::istringstream lines(text);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    EXPECT_LE(line.size(), 80u) << line;
  }
  EXPECT_GT(count, 10);
  EXPECT_NE(text.find("192.168.100.39:65535"), std::string::npos) << text;  // wrapped, not cut
  EXPECT_NE(text.find("queue_full 99999999999"), std::string::npos) << text;
  EXPECT_NE(text.find("acl 5"), std::string::npos) << text;
  EXPECT_NE(text.find("up 2d 02h 00m"), std::string::npos) << text;
  EXPECT_NE(text.find("last reload: FAILED"), std::string::npos) << text;
  EXPECT_NE(text.find("  f.yaml:3:7: unknown key"), std::string::npos) << text;
  EXPECT_NE(text.find("midi midi"), std::string::npos) << text;
}

TEST(ControlFormat, RouteDropsAreShownByReason) {
  StatusSnapshot status;
  RouteCounters counters;
  counters.matched = 10;
  counters.sent = 7;
  counters.drop(DropReason::rate);
  counters.drop(DropReason::rate);
  counters.drop(DropReason::echo);
  status.routes.push_back({"faders", counters, {}});
  const json document = status_json(status, std::chrono::steady_clock::now());
  const json& route = document["routes"][0]["counters"];
  EXPECT_EQ(route["dropped"], 3);
  EXPECT_EQ(route["dropped_by_reason"]["rate"], 2);
  EXPECT_EQ(route["dropped_by_reason"]["echo"], 1);
  EXPECT_EQ(route["dropped_by_reason"]["no_route"], 0);  // every reason, for scripts
  EXPECT_EQ(route["dropped_by_reason"].size(), kDropReasonCount);
  const std::string text = format_status(document);
  EXPECT_NE(text.find("\n  dropped: echo 1, rate 2\n"), std::string::npos) << text;
  EXPECT_EQ(counters.describe(), "matched 10, sent 7, dropped 3 (rate 2, echo 1)");
}

TEST(ControlFormat, TapLinesReadLikeOscdump) {
  json event{{"event", "message"},      {"time", "2026-12-02T02:21:41.304Z"},
             {"direction", "out"},      {"endpoint", "daw"},
             {"route", "faders"},       {"address", "/x"},
             {"types", "ib[sc]N"},      {"args", {7, "00ff", "a b", "q", nullptr}},
             {"timetag", "immediately"}};
  EXPECT_EQ(format_tap_event(event),
            "02:21:41.304 out daw [faders] /x ,ib[sc]N 7 0x00ff [ \"a b\" 'q' ] null "
            "(bundle immediately)");
  EXPECT_EQ(format_tap_event(json{{"event", "missed"}, {"count", 12}}),
            "... missed 12 message(s): this terminal read too slowly");
}

}  // namespace
}  // namespace oscbridge::daemon

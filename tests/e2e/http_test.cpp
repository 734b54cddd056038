// The HTTP server against the real daemon over loopback (docs/http.md): /api/status is what
// `oscbridge status --json` prints, /metrics parses as Prometheus text and counts the traffic,
// http.max_clients and http.allow are enforced, nothing but GET is served, a browser that
// never reads does not slow routing, and a reload moves the server all or nothing.
#include <thread>

#include "tests/e2e/control_helpers.h"
#include "tests/e2e/http_helpers.h"
#include "tests/e2e/tcp_helpers.h"

namespace oscbridge::e2e {
namespace {

using nlohmann::json;

// Keys and value kinds of a, recursively, with a's and b's differing values allowed where
// they may change between two snapshots (times and rates); "" when the structure is the same.
std::string structure_difference(const json& a, const json& b, const std::string& path = "") {
  if (a.type() != b.type() && !(a.is_number() && b.is_number())) {
    return path + ": " + a.type_name() + " vs " + b.type_name();
  }
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key())) return path + "/" + it.key() + " missing on the right";
      auto inner = structure_difference(it.value(), b[it.key()], path + "/" + it.key());
      if (!inner.empty()) return inner;
    }
    for (auto it = b.begin(); it != b.end(); ++it) {
      if (!a.contains(it.key())) return path + "/" + it.key() + " missing on the left";
    }
  } else if (a.is_array()) {
    if (a.size() != b.size()) return path + ": sizes differ";
    for (std::size_t i = 0; i < a.size(); ++i) {
      auto inner = structure_difference(a[i], b[i], path + "/" + std::to_string(i));
      if (!inner.empty()) return inner;
    }
  }
  return {};
}

class HttpTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::string socket = dir.file("control.sock");
  std::uint16_t http_port = free_port(SOCK_STREAM);
  std::uint16_t in_port = free_port();
  LoPeer out{free_port()};

  std::string yaml(const std::string& http_extra = "", std::uint16_t port = 0) const {
    return "control: " + socket +
           "\nhttp: { listen: 127.0.0.1:" + port_text(port ? port : http_port) + http_extra +
           " }\n"
           "endpoints:\n"
           "  desk: { protocol: udp, listen: 127.0.0.1:" +
           port_text(in_port) +
           " }\n"
           "  daw: { protocol: udp, send: 127.0.0.1:" +
           port_text(out.port()) +
           " }\n"
           "routes:\n"
           "  - { name: faders, from: desk, to: daw, match: /probe }\n";
  }

  // Sends count /probe messages and waits until the peer has them all.
  void route_probes(std::size_t count) {
    const std::size_t before = out.received().size();
    for (std::size_t i = 0; i < count; ++i) {
      ASSERT_TRUE(send_udp(in_port, std::string("/probe\0\0,i\0\0\0\0\0", 16)));
    }
    out.wait_for(before + count, 5000);
    ASSERT_EQ(out.received().size(), before + count);
  }
};

TEST_F(HttpTest, ApiStatusIsWhatStatusJsonPrints) {
  Daemon daemon(yaml());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  route_probes(3);
  // The counters settle once the peer has the messages; both snapshots see the same ones.
  auto response = http_get(http_port, "/api/status");
  ASSERT_TRUE(response) << daemon.log();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers["content-type"], "application/json");
  auto cli = run_cli({"status", "--json", "--control", socket});
  ASSERT_EQ(cli.code, 0) << cli.output;
  json from_http = json::parse(response->body, nullptr, false);
  json from_cli = json::parse(cli.output, nullptr, false);
  ASSERT_FALSE(from_http.is_discarded()) << response->body;
  ASSERT_FALSE(from_cli.is_discarded()) << cli.output;
  EXPECT_EQ(structure_difference(from_http, from_cli), "");
  // Equal except what moves with time.
  for (json* status : {&from_http, &from_cli}) {
    status->erase("uptime_s");
    for (auto& endpoint : (*status)["endpoints"]) endpoint.erase("rates");
    for (auto& route : (*status)["routes"]) route.erase("rates");
  }
  EXPECT_EQ(from_http, from_cli);
  EXPECT_EQ(from_http["endpoints"][0]["name"], "desk");
  EXPECT_EQ(from_http["routes"][0]["counters"]["sent"], 3);
  // Rendered the same way, byte for byte, up to the numbers that move.
  std::regex moving("\"uptime_s\": [0-9.e+-]+|\"(1|60)s\": [0-9.e+-]+");
  EXPECT_EQ(std::regex_replace(response->body, moving, "#"),
            std::regex_replace(cli.output, moving, "#"));
}

TEST_F(HttpTest, MetricsParseAsPrometheusTextAndCountTheTraffic) {
  Daemon daemon(yaml());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  route_probes(5);
  ASSERT_TRUE(send_udp(in_port, "not osc"));  // a malformed drop
  auto response = http_get(http_port, "/metrics");
  ASSERT_TRUE(response) << daemon.log();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  std::map<std::string, double> samples;
  EXPECT_EQ(check_prometheus_text(response->body, samples), "") << response->body;
  EXPECT_EQ(samples["oscbridge_up{}"], 1);
  EXPECT_EQ(
      samples["oscbridge_endpoint_up{endpoint=\"desk\",protocol=\"udp\",state=\"listening\"}"], 1);
  EXPECT_EQ(samples["oscbridge_endpoint_sent_messages_total{endpoint=\"daw\"}"], 5);
  EXPECT_EQ(samples["oscbridge_route_sent_messages_total{route=\"faders\",position=\"0\"}"], 5);
  // A route's drops by reason, every reason present (at 0 here).
  EXPECT_EQ(samples.count("oscbridge_route_dropped_messages_total{route=\"faders\","
                          "position=\"0\",reason=\"rate\"}"),
            1u);
  EXPECT_EQ(samples.count("oscbridge_endpoint_dropped_messages_total{endpoint=\"desk\","
                          "reason=\"echo\"}"),
            1u);
  // The malformed datagram may still be on its way: poll until the counter shows it.
  auto deadline = deadline_after(5000);
  while (samples["oscbridge_endpoint_dropped_messages_total{endpoint=\"desk\",reason="
                 "\"malformed\"}"] != 1 &&
         ms_left(deadline) > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    samples.clear();
    auto again = http_get(http_port, "/metrics");
    ASSERT_TRUE(again);
    EXPECT_EQ(check_prometheus_text(again->body, samples), "");
  }
  EXPECT_EQ(samples["oscbridge_endpoint_dropped_messages_total{endpoint=\"desk\",reason="
                    "\"malformed\"}"],
            1);
  // The checker itself refuses what a scraper would.
  std::map<std::string, double> ignored;
  EXPECT_NE(check_prometheus_text("x_total 1\n", ignored), "");
  EXPECT_NE(check_prometheus_text("# TYPE x counter\nx 1\n", ignored), "");
  EXPECT_NE(check_prometheus_text("# TYPE x gauge\nx{a=\"b} 1\n", ignored), "");
  EXPECT_NE(check_prometheus_text("# TYPE x gauge\nx 1\nx 2\n", ignored), "");
}

TEST_F(HttpTest, ServesThePageAndRefusesWhatWouldChangeTheDaemon) {
  Daemon daemon(yaml());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  auto page = http_get(http_port, "/");
  ASSERT_TRUE(page) << daemon.log();
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<title>oscbridge</title>"), std::string::npos);
  EXPECT_EQ(page->body.find("http://"), std::string::npos) << "the page fetches nothing else";
  EXPECT_EQ(page->body.find("https://"), std::string::npos) << "the page fetches nothing else";
  for (std::string method : {"POST", "PUT", "DELETE"}) {
    auto refused = http_get(http_port, "/api/status", method);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 405) << method;
  }
  EXPECT_EQ(http_get(http_port, "/etc/passwd")->status, 404);
  EXPECT_EQ(http_get(http_port, "/api/tap?pattern=/%5B")->status, 400);
  EXPECT_EQ(http_get(http_port, "/api/tap?endpoint=nobody")->status, 400);
}

TEST_F(HttpTest, TheTapStreamShowsRoutedMessagesInAndOut) {
  Daemon daemon(yaml());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  HttpConnection tap(http_port);
  ASSERT_TRUE(tap.request("/api/tap?pattern=/pro*"));
  auto head = tap.read_head();
  ASSERT_TRUE(head) << daemon.log();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers["content-type"], "text/event-stream; charset=utf-8");
  // The tap is added on the loop after the headers went out: send until it shows.
  std::optional<std::string> event;
  auto deadline = deadline_after(10000);
  while (!event && ms_left(deadline) > 0) {
    LoMessage("/other").i(1).send_udp(in_port);
    LoMessage("/probe").i(42).send_udp(in_port);
    event = tap.next_event(300);
  }
  ASSERT_TRUE(event) << daemon.log();
  json in = json::parse(*event);
  EXPECT_EQ(in["direction"], "in");
  EXPECT_EQ(in["address"], "/probe");
  EXPECT_EQ(in["args"], json::array({42}));
  auto sent = tap.next_event();
  ASSERT_TRUE(sent);
  json out_event = json::parse(*sent);
  EXPECT_EQ(out_event["direction"], "out");
  EXPECT_EQ(out_event["endpoint"], "daw");
  EXPECT_EQ(out_event["route"], "faders");
}

TEST_F(HttpTest, AtMostMaxClientsAreServedAtOnce) {
  Daemon daemon(yaml(", max_clients: 2"));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  std::vector<std::unique_ptr<HttpConnection>> streams;
  for (int i = 0; i < 2; ++i) {
    streams.push_back(std::make_unique<HttpConnection>(http_port));
    ASSERT_TRUE(streams.back()->request("/api/events"));
    auto head = streams.back()->read_head();
    ASSERT_TRUE(head && head->status == 200) << daemon.log();
  }
  auto refused = http_get(http_port, "/api/status");
  ASSERT_TRUE(refused) << daemon.log();
  EXPECT_EQ(refused->status, 503);
  EXPECT_NE(refused->body.find("max_clients: 2"), std::string::npos) << refused->body;
  // A client that goes makes room.
  streams.pop_back();
  std::optional<HttpResponse> served;
  auto deadline = deadline_after(10000);
  while (ms_left(deadline) > 0) {
    served = http_get(http_port, "/metrics");
    if (served && served->status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(served && served->status == 200);
  std::map<std::string, double> samples;
  EXPECT_EQ(check_prometheus_text(served->body, samples), "");
  EXPECT_GE(samples["oscbridge_http_refused_total{reason=\"max_clients\"}"], 1);
}

TEST_F(HttpTest, TheAllowListRefusesOtherSources) {
  Daemon daemon(yaml(", allow: [127.0.0.2/32]"));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  auto refused = http_get(http_port, "/api/status", "GET", "127.0.0.1");
  ASSERT_TRUE(refused) << daemon.log();
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(refused->body.find("endpoints"), std::string::npos);
  auto allowed = http_get(http_port, "/api/status", "GET", "127.0.0.2");
  ASSERT_TRUE(allowed) << daemon.log();
  EXPECT_EQ(allowed->status, 200);
  // A reload that changes only allow applies in place, on the same socket.
  ASSERT_TRUE(daemon.reload(yaml(", allow: [127.0.0.0/8]"))) << daemon.log();
  auto now_allowed = http_get(http_port, "/api/status", "GET", "127.0.0.1");
  ASSERT_TRUE(now_allowed);
  EXPECT_EQ(now_allowed->status, 200);
}

TEST_F(HttpTest, ABrowserThatNeverReadsDoesNotSlowRouting) {
  Daemon daemon(yaml());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  HttpConnection stuck_tap(http_port), stuck_status(http_port);
  // The tap stream keeps its normal buffer: it fills soon enough, and reading the backlog later
  // through a tiny TCP window would take minutes.
  stuck_status.small_buffer();
  ASSERT_TRUE(stuck_tap.request("/api/tap"));
  ASSERT_TRUE(stuck_status.request("/api/events"));
  ASSERT_TRUE(stuck_tap.read_head());
  // From here on neither reads. Tapped traffic (unrouted: no_route) until the stream's queue
  // (256 KiB) and the socket buffers are full and the queue refuses lines, which is counted:
  // lines of ~550 bytes in paced batches, so that a slow (sanitized) daemon receives them.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the tap is added on the loop
  const std::string dropped_key = "oscbridge_http_dropped_updates_total{stream=\"tap\"}";
  std::string padding(400, 'x');
  std::map<std::string, double> samples;
  auto flood_deadline = deadline_after(60000);
  for (int batch = 0; samples[dropped_key] == 0 && ms_left(flood_deadline) > 0; ++batch) {
    for (int i = 0; i < 250; ++i)
      LoMessage("/flood").i(batch * 250 + i).s(padding).send_udp(in_port);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (batch % 10 != 9) continue;
    samples.clear();
    auto metrics = http_get(http_port, "/metrics");
    ASSERT_TRUE(metrics && metrics->status == 200) << daemon.log();
    EXPECT_EQ(check_prometheus_text(metrics->body, samples), "");
  }
  EXPECT_GT(samples[dropped_key], 0);
  // Routing still flows: each probe arrives (sent again should the kernel have dropped it
  // from a receive buffer the flood filled).
  ASSERT_TRUE(probes_keep_flowing(out, in_port)) << daemon.log();
  // When it reads again, it hears how much it missed.
  bool told = false;
  for (int i = 0; i < 30000 && !told; ++i) {
    auto event = stuck_tap.next_event(5000);
    ASSERT_TRUE(event) << "no missed event";
    json line = json::parse(*event);
    if (line["event"] == "missed") {
      told = true;
      EXPECT_GT(line["count"].get<std::uint64_t>(), 0u);
    }
    if (i % 1000 == 0) send_udp(in_port, std::string("/late\0\0\0,\0\0\0", 12));
  }
  EXPECT_TRUE(told);
  // The daemon stops promptly with a stream still stuck (/api/events never read).
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(daemon.stop(SIGTERM, 10000), 0) << daemon.log();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(HttpTest, AReloadMovesTheServerAllOrNothing) {
  Daemon daemon(yaml());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  // A new address that cannot be bound: the reload fails and the old server keeps serving.
  auto taken_port = free_port(SOCK_STREAM);
  int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(taken_port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(holder, 4), 0);
  EXPECT_FALSE(daemon.reload(yaml("", taken_port)));
  EXPECT_NE(daemon.log().find("http: cannot serve HTTP on 127.0.0.1:" + port_text(taken_port) +
                              ": cannot bind to 127.0.0.1:" + port_text(taken_port)),
            std::string::npos)
      << daemon.log();
  auto still = http_get(http_port, "/api/status");
  ASSERT_TRUE(still) << daemon.log();
  json status = json::parse(still->body);
  EXPECT_EQ(status["last_reload"]["applied"], false);
  EXPECT_NE(status["last_reload"]["errors"][0].get<std::string>().find("http: cannot serve"),
            std::string::npos);
  ::close(holder);
  // A free one: the server moves there, and the old address is closed.
  auto next_port = free_port(SOCK_STREAM);
  ASSERT_TRUE(daemon.reload(yaml("", next_port))) << daemon.log();
  auto moved = http_get(next_port, "/api/status");
  ASSERT_TRUE(moved) << daemon.log();
  EXPECT_EQ(moved->status, 200);
  EXPECT_FALSE(HttpConnection(http_port).connected());
  // http off: nothing serves.
  std::string off = yaml("", next_port);
  off.replace(off.find("http: {"), off.find('\n', off.find("http: {")) - off.find("http: {"),
              "http: off");
  ASSERT_TRUE(daemon.reload(off)) << daemon.log();
  EXPECT_FALSE(HttpConnection(next_port).connected());
  auto code = daemon.stop();
  EXPECT_EQ(code, 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

// The control socket and its commands against the real daemon: `oscbridge status` follows a
// TCP client endpoint through connect and disconnect, `oscbridge tap` shows a routed message
// as received and as sent with its arguments decoded, `oscbridge reload` prints a broken
// file's errors with their positions, a tap client that never reads does not slow routing,
// and a hundred clients at once are all served.
#include <arpa/inet.h>

#include <sys/stat.h>

#include <regex>
#include <sstream>
#include <thread>

#include "osc/encoder.h"
#include "tests/e2e/control_helpers.h"
#include "tests/e2e/tcp_helpers.h"

namespace oscbridge::e2e {
namespace {

using nlohmann::json;

// /in/blob with a blob, true and a string, in a bundle with a timetag in the future.
std::string blob_bundle() {
  std::vector<char> message(256), bundle(512);
  osc::MessageBuilder builder(std::span<char>(message.data(), message.size()), "/in/blob");
  builder.add_blob(std::string_view("\xde\xad\xbe\xef", 4)).add_bool(true).add_string("x y");
  auto size = builder.finish();
  osc::BundleBuilder wrap(std::span<char>(bundle.data(), bundle.size()),
                          osc::TimeTag(std::uint64_t{0xE000000080000000}));
  wrap.add_element(std::string_view(message.data(), *size));
  auto total = wrap.finish();
  return std::string(bundle.data(), *total);
}

// Runs `oscbridge status` until its output matches regex (or the deadline); the last output.
std::string wait_status(const std::string& socket, const std::string& regex,
                        int timeout_ms = 10000) {
  auto deadline = deadline_after(timeout_ms);
  std::string last;
  while (ms_left(deadline) > 0) {
    auto result = run_cli({"status", "--control", socket});
    last = result.output;
    if (result.code == 0 && std::regex_search(last, std::regex(regex))) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "(never matched " + regex + ")\n" + last;
}

class ControlTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::string socket = dir.file("control.sock");
  std::string control_line() const { return "control: " + socket + "\n"; }
};

TEST_F(ControlTest, StatusFollowsATcpClientThroughConnectAndDisconnect) {
  auto server_port = free_port(SOCK_STREAM);
  Daemon daemon(control_line() +
                "endpoints:\n"
                "  desk: { protocol: tcp, connect: 127.0.0.1:" +
                port_text(server_port) +
                ", reconnect_min: 100ms, reconnect_max: 300ms }\n"
                "  in: { protocol: udp, listen: 127.0.0.1:" +
                port_text(free_port()) +
                " }\n"
                "routes:\n"
                "  - { name: to_desk, from: in, to: desk }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  std::string down = wait_status(socket, "desk tcp +reconnecting");
  EXPECT_NE(down.find("next attempt in"), std::string::npos) << down;
  EXPECT_NE(down.find("to_desk"), std::string::npos) << down;
  std::istringstream lines(down);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 80u) << line;

  StreamServer server(server_port);
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_TRUE(server.wait_connected(10000)) << daemon.log();
  std::string up = wait_status(socket, "desk tcp +connected");
  EXPECT_NE(up.find("peers: 127.0.0.1:" + port_text(server_port)), std::string::npos) << up;

  auto json_result = run_cli({"status", "--json", "--control", socket});
  ASSERT_EQ(json_result.code, 0) << json_result.output;
  json status = json::parse(json_result.output);
  EXPECT_EQ(status["endpoints"][0]["name"], "desk");
  EXPECT_EQ(status["endpoints"][0]["state"], "connected");
  EXPECT_FALSE(status["endpoints"][0].contains("next_attempt_in_ms"));

  server.close();
  std::string again = wait_status(socket, "desk tcp +reconnecting");
  EXPECT_NE(again.find("next attempt in"), std::string::npos) << again;
}

TEST_F(ControlTest, TapShowsARoutedMessageAsReceivedAndAsSent) {
  auto in_port = free_port();
  LoPeer out(free_port());
  ASSERT_TRUE(out.ok());
  Daemon daemon(control_line() +
                "endpoints:\n"
                "  surface: { protocol: udp, listen: 127.0.0.1:" +
                port_text(in_port) +
                " }\n"
                "  daw: { protocol: udp, send: 127.0.0.1:" +
                port_text(out.port()) +
                " }\n"
                "routes:\n"
                "  - { name: faders, from: surface, to: daw, match: \"/in/*\", "
                "address: \"/out/{1}\" }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  test::ChildProcess tap({OSCBRIDGE_BINARY, "tap", "/{in,out}/fader", "--control", socket});
  test::ChildProcess tap_in({OSCBRIDGE_BINARY, "tap", "--in", "--control", socket});
  test::ChildProcess tap_route(
      {OSCBRIDGE_BINARY, "tap", "--route", "faders", "--json", "--control", socket});

  // A tap starts when the daemon has read its request, each client in its own time: send
  // until all three show the message, so that none misses the bundle below.
  bool all_live = false;
  for (int i = 0; i < 100 && !all_live; ++i) {
    LoMessage("/in/fader").i(3).f(0.5f).s("hi").send_udp(in_port);
    all_live = tap.wait_for_output("out daw \\[faders\\] /out/fader ,ifs 3 0.5 \"hi\"", 100) &&
               tap_in.wait_for_output("in  surface 127.0.0.1:[0-9]+ /in/fader ", 100) &&
               tap_route.wait_for_output("\"address\":\"/out/fader\"", 100);
  }
  ASSERT_TRUE(all_live) << tap.output() << tap_in.output() << tap_route.output() << daemon.log();
  EXPECT_NE(tap.output().find("in  surface 127.0.0.1:"), std::string::npos) << tap.output();
  EXPECT_NE(tap.output().find(" /in/fader ,ifs 3 0.5 \"hi\""), std::string::npos) << tap.output();

  // A bundle with a blob: hex, and the bundle's timetag; the pattern leaves it out of `tap`.
  ASSERT_TRUE(send_udp(in_port, blob_bundle()));
  auto bundled = tap_in.wait_for_output(
      "in  surface 127.0.0.1:[0-9]+ /in/blob ,bTs 0xdeadbeef true \"x y\" \\(bundle "
      "2019-02-02T11:39:44.500Z\\)",
      5000);
  EXPECT_TRUE(bundled) << tap_in.output();
  EXPECT_EQ(tap_in.output().find("out daw"), std::string::npos) << tap_in.output();
  // The daw got the blob one too, as /out/blob (after the faders sent until the taps showed).
  auto blob_at_daw = [&] {
    for (const auto& message : out.received()) {
      if (message.address == "/out/blob") return true;
    }
    return false;
  };
  for (int i = 0; i < 100 && !blob_at_daw(); ++i) out.serve_for(50);
  EXPECT_TRUE(blob_at_daw());
  EXPECT_EQ(tap.output().find("/blob"), std::string::npos) << tap.output();

  // --route: what the route sent (as JSON lines with --json), never what arrived.
  EXPECT_TRUE(tap_route.wait_for_output(
      R"(\{"address":"/out/blob","args":\["deadbeef",true,"x y"\],"direction":"out",)"
      R"("endpoint":"daw",.*"route":"faders",.*"timetag":"2019-02-02T11:39:44.500Z","types":"bTs"\})",
      5000))
      << tap_route.output();
  EXPECT_EQ(tap_route.output().find("\"direction\":\"in\""), std::string::npos)
      << tap_route.output();

  // A filter naming what does not exist is refused, with the reason.
  auto bad = run_cli({"tap", "--endpoint", "nosuch", "--control", socket});
  EXPECT_EQ(bad.code, 1) << bad.output;
  EXPECT_NE(bad.output.find("no endpoint named 'nosuch'"), std::string::npos) << bad.output;
  bad = run_cli({"tap", "/[oops", "--control", socket});
  EXPECT_EQ(bad.code, 1) << bad.output;
  EXPECT_NE(bad.output.find("pattern '/[oops'"), std::string::npos) << bad.output;
}

TEST_F(ControlTest, StatusShowsTheRatesOfLiveTraffic) {
  auto in_port = free_port();
  LoPeer out(free_port());
  ASSERT_TRUE(out.ok());
  Daemon daemon(control_line() +
                "endpoints:\n"
                "  in: { protocol: udp, listen: 127.0.0.1:" +
                port_text(in_port) +
                " }\n"
                "  out: { protocol: udp, send: 127.0.0.1:" +
                port_text(out.port()) +
                " }\n"
                "routes:\n"
                "  - { name: all, from: in, to: out }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  // About 100 messages a second until the status shows a rate; the sampler ticks every second.
  auto deadline = deadline_after(15000);
  json status;
  double rate = 0;
  while (ms_left(deadline) > 0 && rate <= 0) {
    for (int i = 0; i < 10; ++i) {
      LoMessage("/tick").i(i).send_udp(in_port);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto reply = ControlClient(socket).ask({{"command", "status"}});
    ASSERT_TRUE(reply) << daemon.log();
    status = (*reply)["status"];
    rate = status["endpoints"][0]["rates"]["received"]["1s"].get<double>();
  }
  EXPECT_GT(rate, 0) << status.dump(2);
  EXPECT_GT(status["endpoints"][0]["rates"]["received"]["60s"].get<double>(), 0);
  EXPECT_GT(status["endpoints"][1]["rates"]["sent"]["1s"].get<double>(), 0) << status.dump(2);
  EXPECT_GT(status["routes"][0]["rates"]["matched"]["1s"].get<double>(), 0) << status.dump(2);
  // A second of silence later, the last second's rate is back to 0, the minute's is not.
  deadline = deadline_after(15000);
  while (ms_left(deadline) > 0 && rate > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto reply = ControlClient(socket).ask({{"command", "status"}});
    ASSERT_TRUE(reply);
    status = (*reply)["status"];
    rate = status["endpoints"][0]["rates"]["received"]["1s"].get<double>();
  }
  EXPECT_EQ(rate, 0) << status.dump(2);
  EXPECT_GT(status["endpoints"][0]["rates"]["received"]["60s"].get<double>(), 0);
}

TEST_F(ControlTest, ReloadPrintsTheErrorsOfABrokenFileWithTheirPositions) {
  const std::string good = control_line() +
                           "endpoints:\n"
                           "  in: { protocol: udp, listen: 127.0.0.1:" +
                           port_text(free_port()) + " }\n";
  Daemon daemon(good);
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  auto applied = run_cli({"reload", "--control", socket});
  EXPECT_EQ(applied.code, 0) << applied.output;
  EXPECT_NE(applied.output.find("reload: applied"), std::string::npos) << applied.output;

  write_file(daemon.config_path(), good + "routes:\n  - { from: nowhere, to: in }\n");
  auto failed = run_cli({"reload", "--control", socket});
  EXPECT_EQ(failed.code, 1) << failed.output;
  EXPECT_TRUE(
      std::regex_search(failed.output, std::regex(daemon.config_path() + ":5:[0-9]+: .*nowhere")))
      << failed.output;

  // The daemon kept running, and its status says the reload failed, with why.
  auto status = run_cli({"status", "--control", socket});
  EXPECT_EQ(status.code, 0) << status.output;
  EXPECT_NE(status.output.find("last reload: FAILED"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find(daemon.config_path() + ":5:"), std::string::npos) << status.output;
}

TEST_F(ControlTest, ATapClientThatNeverReadsDoesNotSlowRouting) {
  auto in_port = free_port();
  LoPeer out(free_port());
  ASSERT_TRUE(out.ok());
  Daemon daemon(control_line() +
                "endpoints:\n"
                "  in: { protocol: udp, listen: 127.0.0.1:" +
                port_text(in_port) +
                " }\n"
                "  out: { protocol: udp, send: 127.0.0.1:" +
                port_text(out.port()) +
                " }\n"
                "routes:\n"
                "  - { name: all, from: in, to: out, match: /probe }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  ControlClient stuck(socket);
  ASSERT_TRUE(stuck.connected());
  stuck.small_buffer();
  auto reply = stuck.ask({{"command", "tap"}});
  ASSERT_TRUE(reply && (*reply)["ok"] == true) << (reply ? reply->dump() : "no reply");

  // Far more tapped traffic than the client's bounded output holds (each message is tapped
  // in and, unrouted, counted as no_route): ~5000 lines of ~550 bytes, ten times what its
  // output queue and the kernel's socket buffers hold together.
  std::string padding(400, 'x');
  for (int i = 0; i < 5000; ++i) {
    LoMessage("/flood").i(i).s(padding).send_udp(in_port);
    if (i % 250 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // Routing still flows while the tap client reads nothing: each probe arrives (sent again
  // should the kernel have dropped it from a receive buffer the flood filled).
  ASSERT_TRUE(probes_keep_flowing(out, in_port)) << daemon.log();
  auto status = ControlClient(socket).ask({{"command", "status"}});
  ASSERT_TRUE(status) << daemon.log();
  EXPECT_GE((*status)["status"]["routes"][0]["counters"]["sent"].get<int>(), 20);

  // When it reads again, it hears how much it missed, then the traffic after that.
  LoMessage("/late").i(-1).send_udp(in_port);  // queued behind the backlog, or missed too
  bool told = false;
  for (int i = 0; i < 30000 && !told; ++i) {
    auto line = stuck.read(5000);
    ASSERT_TRUE(line) << "no missed event";
    if ((*line)["event"] == "missed") {
      told = true;
      EXPECT_GT((*line)["count"].get<std::uint64_t>(), 0u);
    }
    if (i % 1000 == 0) send_udp(in_port, std::string("/late\0\0\0,\0\0\0", 12));
  }
  EXPECT_TRUE(told);
}

TEST_F(ControlTest, AHundredClientsAtOnceAreAllServed) {
  auto in_port = free_port();
  Daemon daemon(control_line() +
                "endpoints:\n"
                "  in: { protocol: udp, listen: 127.0.0.1:" +
                port_text(in_port) + " }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  std::vector<std::unique_ptr<ControlClient>> clients;
  for (int i = 0; i < 100; ++i) {
    clients.push_back(std::make_unique<ControlClient>(socket));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  // Every one asks at once; the odd ones tap, the even ones want the status.
  for (std::size_t i = 0; i < clients.size(); ++i) {
    ASSERT_TRUE(clients[i]->send(i % 2 ? json{{"command", "tap"}, {"pattern", "/hello"}}
                                       : json{{"command", "status"}}));
  }
  for (std::size_t i = 0; i < clients.size(); ++i) {
    auto reply = clients[i]->read(10000);
    ASSERT_TRUE(reply) << "client " << i;
    EXPECT_EQ((*reply)["ok"], true) << reply->dump();
    if (i % 2 == 0) {
      EXPECT_EQ((*reply)["status"]["endpoints"][0]["name"], "in");
    }
  }
  LoMessage("/hello").s("all of you").send_udp(in_port);
  for (std::size_t i = 1; i < clients.size(); i += 2) {
    auto event = clients[i]->read(10000);
    ASSERT_TRUE(event) << "tap client " << i;
    EXPECT_EQ((*event)["address"], "/hello");
    EXPECT_EQ((*event)["args"], json::array({"all of you"}));
  }
}

TEST_F(ControlTest, AStaleSocketIsReplacedAndALiveOneIsNot) {
  // What a daemon that crashed leaves: a socket file nobody listens on.
  {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket.c_str(), sizeof address.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ::close(fd);
  }
  const std::string yaml = control_line() +
                           "endpoints:\n"
                           "  in: { protocol: udp, listen: 127.0.0.1:" +
                           port_text(free_port()) + " }\n";
  Daemon first(yaml);
  ASSERT_TRUE(first.wait_ready()) << first.log();
  EXPECT_NE(first.log().find("removing stale control socket"), std::string::npos) << first.log();
  EXPECT_EQ(run_cli({"status", "--control", socket}).code, 0);
  struct stat info {};
  ASSERT_EQ(::stat(socket.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0660u);

  // A second daemon told to use the same path must not take it from the live one.
  Daemon second(control_line() + "endpoints:\n  in: { protocol: udp, listen: 127.0.0.1:" +
                port_text(free_port()) + " }\n");
  EXPECT_TRUE(second.wait_log("another daemon is serving the control socket")) << second.log();
  EXPECT_EQ(second.stop(), 1);
  EXPECT_EQ(run_cli({"status", "--control", socket}).code, 0) << "the live one lost its socket";

  EXPECT_EQ(first.stop(), 0);
  EXPECT_NE(::access(socket.c_str(), F_OK), 0) << "the socket file outlived its daemon";
}

TEST_F(ControlTest, TheDefaultPathsAndOff) {
  const std::string endpoints =
      "endpoints:\n  in: { protocol: udp, listen: 127.0.0.1:" + port_text(free_port()) + " }\n";
  {
    // Under systemd: $RUNTIME_DIRECTORY/control, which the commands find the same way.
    Daemon daemon(endpoints, {"RUNTIME_DIRECTORY=" + dir.file("")});
    ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
    EXPECT_EQ(::access(dir.file("control").c_str(), F_OK), 0) << daemon.log();
    auto status = run_cli({"status"}, {"RUNTIME_DIRECTORY=" + dir.file("")});
    EXPECT_EQ(status.code, 0) << status.output;
  }
  {
    Daemon daemon(endpoints, {"XDG_RUNTIME_DIR=" + dir.file("")});
    ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
    EXPECT_EQ(::access(dir.file("oscbridge.sock").c_str(), F_OK), 0) << daemon.log();
    auto status = run_cli({"status", "--json"}, {"XDG_RUNTIME_DIR=" + dir.file("")});
    EXPECT_EQ(status.code, 0) << status.output;
    // A second daemon on the same default path goes without a control socket, and says so.
    Daemon other(
        "endpoints:\n  in: { protocol: udp, listen: 127.0.0.1:" + port_text(free_port()) + " }\n",
        {"XDG_RUNTIME_DIR=" + dir.file("")});
    ASSERT_TRUE(other.wait_ready()) << other.log();
    EXPECT_NE(other.log().find("running without a control socket"), std::string::npos)
        << other.log();
  }
  {
    TempDir fresh;
    Daemon daemon("control: off\n" + endpoints, {"XDG_RUNTIME_DIR=" + fresh.file("")});
    ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
    EXPECT_NE(::access(fresh.file("oscbridge.sock").c_str(), F_OK), 0) << daemon.log();
    EXPECT_NE(run_cli({"status"}, {"XDG_RUNTIME_DIR=" + fresh.file("")}).code, 0);
  }
}

}  // namespace
}  // namespace oscbridge::e2e

// The daemon as a service: how it stops (SIGTERM, SIGINT), how it refuses to start (bad file,
// port in use), `oscbridge validate`, and the sd_notify conversation with a real
// NOTIFY_SOCKET: READY after bind, watchdog pings, RELOADING/READY around a reload, STOPPING.
#include <time.h>

#include <cstdlib>

#include "tests/e2e/tcp_helpers.h"
#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

std::string forward_yaml(std::uint16_t listen_port, std::uint16_t send_port) {
  return "endpoints:\n"
         "  surface: { protocol: udp, listen: 127.0.0.1:" +
         std::to_string(listen_port) +
         " }\n"
         "  desk: { protocol: udp, send: 127.0.0.1:" +
         std::to_string(send_port) +
         " }\n"
         "routes:\n"
         "  - { name: forward, from: surface, to: desk }\n";
}

// An invalid file with two errors in different places.
const std::string kBrokenYaml =
    "endpoints:\n"
    "  surface: { protocol: udp, listen: 127.0.0.1:99999 }\n"
    "routes:\n"
    "  - from: surface\n"
    "    to: nowhere\n";

long long monotonic_usec() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<long long>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
}

void expect_stops_cleanly_on(int signal_number, const char* signal_name) {
  auto udp_port = free_port();
  LoPeer desk(free_port());
  ASSERT_TRUE(desk.ok());
  Daemon daemon(forward_yaml(udp_port, desk.port()));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  LoMessage hello("/hello");
  hello.i(1);
  ASSERT_TRUE(hello.send_udp(udp_port));
  ASSERT_EQ(desk.wait_for(1).size(), 1u) << daemon.log();

  EXPECT_EQ(daemon.stop(signal_number), 0) << daemon.log();
  const std::string& log = daemon.log();
  EXPECT_NE(log.find(std::string("received ") + signal_name), std::string::npos) << log;
  EXPECT_NE(log.find("endpoint surface: received 1, sent 0, dropped 0"), std::string::npos) << log;
  EXPECT_NE(log.find("endpoint desk: received 0, sent 1, dropped 0"), std::string::npos) << log;
  EXPECT_NE(log.find("route forward: matched 1, sent 1, dropped 0"), std::string::npos) << log;
}

TEST(ServiceLifecycleTest, SigtermExitsZeroAndLogsTheCounters) {
  expect_stops_cleanly_on(SIGTERM, "SIGTERM");
}

TEST(ServiceLifecycleTest, SigintExitsZeroAndLogsTheCounters) {
  expect_stops_cleanly_on(SIGINT, "SIGINT");
}

TEST(ServiceLifecycleTest, ValidatePrintsASummaryOrEveryErrorWithItsPosition) {
  TempDir dir;
  const std::string good = dir.file("good.yaml");
  write_file(good, forward_yaml(free_port(), free_port()));
  test::ChildProcess ok({OSCBRIDGE_BINARY, "validate", good});
  EXPECT_EQ(ok.wait_exit(), 0) << ok.output();
  EXPECT_EQ(ok.output(), good + ": OK, 2 endpoints (2 udp), 1 route\n");

  const std::string bad = dir.file("bad.yaml");
  write_file(bad, kBrokenYaml);
  const std::string missing = dir.file("missing.yaml");
  test::ChildProcess absent({OSCBRIDGE_BINARY, "validate", missing});
  EXPECT_EQ(absent.wait_exit(), 1) << absent.output();
  EXPECT_EQ(absent.output().rfind(missing + ": ", 0), 0u) << absent.output();

  test::ChildProcess refused({OSCBRIDGE_BINARY, "validate", bad});
  EXPECT_EQ(refused.wait_exit(), 1) << refused.output();
  for (const char* needle : {"127.0.0.1:99999", "nowhere"}) {
    EXPECT_NE(refused.output().find(bad + ":" + position_of(kBrokenYaml, needle) + ": "),
              std::string::npos)
        << "no FILE:LINE:COL error for " << needle << ":\n"
        << refused.output();
  }
}

TEST(ServiceLifecycleTest, LogsForJournaldWithPrioritiesAndNoTimestamps) {
  LoPeer desk(free_port());
  ASSERT_TRUE(desk.ok());
  Daemon daemon(forward_yaml(free_port(), desk.port()), {"JOURNAL_STREAM=8:12345"});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  EXPECT_FALSE(daemon.reload(kBrokenYaml)) << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  const std::string& log = daemon.log();
  EXPECT_NE(log.find("<6>ready: "), std::string::npos) << log;
  EXPECT_NE(log.find("<3>" + daemon.config_path() + ":" + position_of(kBrokenYaml, "nowhere")),
            std::string::npos)
      << log;
  // A priority, then the message itself: journald adds its own timestamps.
  std::regex journald_line("<[0-7]>(?![0-9]{4}-[0-9]{2}-[0-9]{2} )[^\n]+");
  std::size_t start = 0;
  for (std::size_t end; (end = log.find('\n', start)) != std::string::npos; start = end + 1) {
    EXPECT_TRUE(std::regex_match(log.substr(start, end - start), journald_line))
        << "not a journald line: " << log.substr(start, end - start);
  }
}

TEST(ServiceLifecycleTest, RunWithAnInvalidFileExitsOneWithoutStarting) {
  TempDir dir;
  const std::string bad = dir.file("bad.yaml");
  write_file(bad, kBrokenYaml);
  test::ChildProcess run({OSCBRIDGE_BINARY, "run", "-c", bad});
  EXPECT_EQ(run.wait_exit(), 1) << run.output();
  const std::string& log = run.output();
  EXPECT_NE(log.find(bad + ":" + position_of(kBrokenYaml, "nowhere") + ": "), std::string::npos)
      << log;
  EXPECT_EQ(log.find("listening on"), std::string::npos) << "opened an endpoint\n" << log;
  EXPECT_EQ(log.find("ready: "), std::string::npos) << log;
}

TEST(ServiceLifecycleTest, RunWithAPortInUseExitsOneSayingWhich) {
  auto tcp_port = free_port(SOCK_STREAM);
  auto [holder, error] = socket::create_server("127.0.0.1", tcp_port, socket::Protocol::tcp);
  ASSERT_TRUE(holder) << error;
  TempDir dir;
  const std::string path = dir.file("oscbridge.yaml");
  write_file(path,
             "endpoints:\n"
             "  surface: { protocol: udp, listen: 127.0.0.1:" +
                 std::to_string(free_port()) +
                 " }\n"
                 "  eos: { protocol: tcp, listen: 127.0.0.1:" +
                 std::to_string(tcp_port) +
                 " }\n"
                 "routes:\n"
                 "  - { from: surface, to: eos }\n");
  test::ChildProcess run({OSCBRIDGE_BINARY, "run", "-c", path});
  EXPECT_EQ(run.wait_exit(), 1) << run.output();
  const std::string& log = run.output();
  EXPECT_NE(log.find("eos: cannot listen on 127.0.0.1:" + std::to_string(tcp_port) +
                     ": Address already in use"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("ready: "), std::string::npos) << log;
}

TEST(ServiceLifecycleTest, NotifiesSystemdOfEachState) {
  // The child inherits this process's environment; a watchdog meant for the test runner
  // (WATCHDOG_PID) or its own NOTIFY_SOCKET must not leak into the daemon.
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_PID");
  ::unsetenv("WATCHDOG_USEC");
  TempDir dir;
  NotifySocket systemd(dir.file("notify"));
  ASSERT_TRUE(systemd.ok());
  auto udp_port = free_port();
  auto tcp_port = free_port(SOCK_STREAM);
  LoPeer desk(free_port());
  ASSERT_TRUE(desk.ok());
  // WATCHDOG_PID is left out: the harness cannot know the child's pid before it starts, and
  // sd_watchdog_enabled() accepts a missing WATCHDOG_PID as "meant for this process".
  const std::string yaml =
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      std::to_string(udp_port) +
      " }\n"
      "  eos: { protocol: tcp, listen: 127.0.0.1:" +
      std::to_string(tcp_port) +
      " }\n"
      "  desk: { protocol: udp, send: 127.0.0.1:" +
      std::to_string(desk.port()) +
      " }\n"
      "routes:\n"
      "  - { from: surface, to: [eos, desk] }\n";
  Daemon daemon(yaml, {"NOTIFY_SOCKET=" + systemd.path(), "WATCHDOG_USEC=200000"});

  auto ready = systemd.next_state(5000);
  ASSERT_TRUE(ready) << daemon.log();
  EXPECT_EQ(*ready, "READY=1\nSTATUS=3 endpoints (2 udp, 1 tcp), 1 route");
  // READY must mean bound: the daemon logs each bind before it notifies, and traffic sent
  // the moment READY arrives is served.
  for (const char* bound : {"surface: listening on udp", "eos: listening on tcp"}) {
    EXPECT_NE(daemon.log().find(bound), std::string::npos) << "READY=1 before " << bound;
  }
  StreamPeer client(tcp_port, Framing::slip);
  ASSERT_TRUE(client.ok()) << "tcp listen socket not ready at READY=1: " << client.error();
  LoMessage hello("/hello");
  hello.i(1);
  ASSERT_TRUE(hello.send_udp(udp_port));
  ASSERT_EQ(desk.wait_for(1).size(), 1u) << "udp listen socket not ready at READY=1\n"
                                         << daemon.log();

  // WATCHDOG_USEC=200000: a ping at least every 100 ms, so a second holds several.
  int pings = 0;
  auto window = deadline_after(1000);
  while (ms_left(window) > 0) {
    auto message = systemd.next(ms_left(window));
    if (!message) break;
    EXPECT_EQ(*message, "WATCHDOG=1");
    pings += *message == "WATCHDOG=1";
  }
  EXPECT_GE(pings, 3) << daemon.log();

  auto before = monotonic_usec();
  daemon.signal(SIGHUP);
  auto reloading = systemd.next_state(5000);
  auto after = monotonic_usec();
  ASSERT_TRUE(reloading) << daemon.log();
  std::smatch stamp;
  ASSERT_TRUE(std::regex_match(*reloading, stamp, std::regex("RELOADING=1\nMONOTONIC_USEC=(\\d+)")))
      << *reloading;
  // Type=notify-reload needs the time of the reload, on the monotonic clock.
  EXPECT_LE(before, std::stoll(stamp[1])) << *reloading;
  EXPECT_LE(std::stoll(stamp[1]), after) << *reloading;
  auto reloaded = systemd.next_state(5000);
  ASSERT_TRUE(reloaded) << daemon.log();
  EXPECT_EQ(*reloaded, "READY=1\nSTATUS=3 endpoints (2 udp, 1 tcp), 1 route");

  // A failed reload: still READY (the old configuration runs), and STATUS says why.
  write_file(daemon.config_path(), yaml + "  - { from: surface, to: nowhere }\n");
  daemon.signal(SIGHUP);
  reloading = systemd.next_state(5000);
  ASSERT_TRUE(reloading) << daemon.log();
  EXPECT_EQ(reloading->rfind("RELOADING=1", 0), 0u) << *reloading;
  reloaded = systemd.next_state(5000);
  ASSERT_TRUE(reloaded) << daemon.log();
  EXPECT_EQ(reloaded->rfind("READY=1\nSTATUS=reload failed", 0), 0u) << *reloaded;
  EXPECT_NE(reloaded->find(daemon.config_path() + ":"), std::string::npos) << *reloaded;
  EXPECT_NE(reloaded->find("unknown endpoint 'nowhere'"), std::string::npos) << *reloaded;

  // A valid file that cannot be applied (a port another program holds): the same, with the
  // endpoint that did not open and why.
  RawUdp holder;
  ASSERT_TRUE(holder.ok());
  std::string moved = yaml;
  moved.replace(moved.find(std::to_string(udp_port)), std::to_string(udp_port).size(),
                std::to_string(holder.port()));
  write_file(daemon.config_path(), moved);
  daemon.signal(SIGHUP);
  reloading = systemd.next_state(5000);
  ASSERT_TRUE(reloading) << daemon.log();
  reloaded = systemd.next_state(5000);
  ASSERT_TRUE(reloaded) << daemon.log();
  EXPECT_EQ(reloaded->rfind("READY=1\nSTATUS=reload failed", 0), 0u) << *reloaded;
  EXPECT_NE(reloaded->find("surface: cannot listen on 127.0.0.1:" + std::to_string(holder.port()) +
                           ": Address already in use"),
            std::string::npos)
      << *reloaded;

  daemon.signal(SIGTERM);
  auto stopping = systemd.next_state(5000);
  ASSERT_TRUE(stopping) << daemon.log();
  EXPECT_EQ(*stopping, "STOPPING=1");
  EXPECT_EQ(daemon.stop(SIGTERM), 0) << daemon.log();
  EXPECT_NE(daemon.log().find("systemd watchdog: pinging every 100 ms"), std::string::npos)
      << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

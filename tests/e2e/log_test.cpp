// What the daemon's log says and when: counters asked for (SIGUSR1) or given at shutdown
// reach the user at every log level, `off` silences everything else; the rate-limited drop
// summary comes from a timer at the end of its interval, with the detail of that burst; a TCP
// server that stays away is a warning once (then at most once a minute), and its recovery
// says how many attempts failed; a host name is logged with the address it resolved to.
#include <sstream>

#include "tests/e2e/tcp_helpers.h"
#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

std::size_t count_matches(const std::string& text, const std::string& regex) {
  std::regex pattern(regex);
  return static_cast<std::size_t>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), pattern), {}));
}

std::string line_containing(const std::string& text, const std::string& needle) {
  auto at = text.find(needle);
  if (at == std::string::npos) return "";
  auto begin = text.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return text.substr(begin, text.find('\n', at) - begin);
}

// Milliseconds since midnight of a terminal log line ("2026-12-01 22:44:06.123 warn ...").
std::optional<long> line_time_ms(const std::string& line) {
  std::smatch match;
  if (!std::regex_search(line, match, std::regex("(\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d\\d\\d)"))) {
    return std::nullopt;
  }
  return ((std::stol(match[1]) * 60 + std::stol(match[2])) * 60 + std::stol(match[3])) * 1000 +
         std::stol(match[4]);
}

class QuietLevelTest : public ::testing::TestWithParam<const char*> {};

// At warn, error and off the counters still come, on SIGUSR1 and at shutdown; what the level
// is there to hide (the "loaded" and "ready" lines) does not, and with off nothing else does,
// not even the file's own warnings.
TEST_P(QuietLevelTest, CountersAskedForAndAtShutdownAreAlwaysPrinted) {
  const std::string level = GetParam();
  auto in_port = free_port();
  RawUdp out;
  RawUdp sender;
  ASSERT_TRUE(out.ok() && sender.ok());
  Daemon daemon("log: { level: " + level +
                " }\n"
                "endpoints:\n"
                "  in: { protocol: udp, listen: " +
                at(in_port) +
                " }\n"
                "  out: { protocol: udp, send: " +
                at(out.port()) +
                " }\n"
                "routes:\n"
                "  - { name: forward, from: in, to: out }\n"
                // A load-time warning ({1} can be empty), which `off` must silence too.
                "  - { name: faders, from: in, match: /1/fader*, to: out, "
                "address: \"/track/{1}/volume\" }\n");
  // No "ready:" line at these levels: a message routed through shows the daemon is up (and
  // its signals blocked, so SIGUSR1 cannot end it).
  std::optional<Datagram> routed;
  for (auto deadline = deadline_after(10000); !routed && ms_left(deadline) > 0;) {
    ASSERT_TRUE(sender.send_to(in_port, osc_message("/up")));
    routed = out.receive(100);
  }
  ASSERT_TRUE(routed) << daemon.log();
  while (out.receive(0)) {
  }

  daemon.signal(SIGUSR1);
  auto asked = daemon.wait_log("route forward: (matched [^\\n]*)", 10000);
  ASSERT_TRUE(asked) << "no counters on SIGUSR1 at level " << level << "\n" << daemon.log();
  EXPECT_TRUE(std::regex_search(*asked, std::regex("^matched [1-9]"))) << *asked;

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  const std::string log = daemon.log();
  EXPECT_EQ(count_matches(log, "endpoint in: received [1-9]"), 2u)
      << "once on SIGUSR1, once at shutdown\n"
      << log;
  EXPECT_EQ(count_matches(log, "route forward: matched [1-9]"), 2u) << log;
  EXPECT_EQ(log.find("loaded "), std::string::npos) << log;
  EXPECT_EQ(log.find("ready: "), std::string::npos) << log;
  EXPECT_EQ(log.find("warning: address") == std::string::npos, level != "warn")
      << "the file's warning shows at warn only\n"
      << log;
  if (level == "off") {
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
      EXPECT_TRUE(std::regex_search(line, std::regex("(endpoint|route) [a-z]+: ")))
          << "off prints nothing but the counters: " << line;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, QuietLevelTest, ::testing::Values("warn", "error", "off"));

// A burst of drops after the first one logged is summed up when the 5 s interval ends, by a
// timer, with the latest detail of that burst: nothing else has to arrive for it to appear.
TEST(DropLogTest, SummaryOfABurstComesWhenTheIntervalEndsWithItsOwnDetail) {
  auto strict_port = free_port();
  RawUdp first;  // the drops' detail names the source, so each sender is told apart
  RawUdp last;
  ASSERT_TRUE(first.ok() && last.ok());
  Daemon daemon(
      "endpoints:\n"
      "  strict: { protocol: udp, listen: " +
      at(strict_port) +
      ", allow: [10.0.0.0/8] }\n"
      "  out: { protocol: udp, send: 127.0.0.1:9 }\n"
      "routes:\n"
      "  - { name: forward, from: strict, to: out }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  ASSERT_TRUE(first.send_to(strict_port, osc_message("/refused")));
  auto single =
      daemon.wait_log("[^\\n]*strict: dropped a message \\(acl\\): source 127\\.0\\.0\\.1:" +
                      std::to_string(first.port()) + "\\b[^\\n]*");
  ASSERT_TRUE(single) << daemon.log();
  constexpr int kBurst = 20;
  for (int i = 0; i < kBurst; ++i) ASSERT_TRUE(first.send_to(strict_port, osc_message("/again")));
  ASSERT_TRUE(last.send_to(strict_port, osc_message("/last")));

  // Then quiet. The summary is due 5 s after the first line; generous for a loaded machine.
  auto summary = daemon.wait_log(
      "[^\\n]*strict: dropped (\\d+) messages \\(acl\\) in the last 5 s; latest: source "
      "127\\.0\\.0\\.1:" +
          std::to_string(last.port()) + "\\b[^\\n]*",
      30000);
  ASSERT_TRUE(summary) << "no summary without a further drop\n" << daemon.log();
  // Not sooner than the interval after the line before it.
  auto single_ms = line_time_ms(*single);
  auto summary_ms = line_time_ms(line_containing(daemon.log(), "in the last 5 s"));
  ASSERT_TRUE(single_ms && summary_ms) << daemon.log();
  constexpr long kDayMs = 24L * 60 * 60 * 1000;  // the two lines may straddle midnight
  EXPECT_GE((*summary_ms - *single_ms + kDayMs) % kDayMs, 4900) << daemon.log();
  EXPECT_EQ(std::stoi(*summary) + 1, kBurst + 2) << daemon.log();

  ASSERT_TRUE(log_counters_now(daemon, "forward")) << daemon.log();
  EXPECT_EQ(counters(daemon.log(), "endpoint", "strict"),
            // A packet refused before routing counts as received and dropped.
            "received " + std::to_string(kBurst + 2) + ", sent 0, dropped " +
                std::to_string(kBurst + 2) + " (acl " + std::to_string(kBurst + 2) + ")")
      << daemon.log();
  EXPECT_EQ(count_matches(daemon.log(), "strict: dropped"), 2u)
      << "one line for the first drop, one summary for the burst\n"
      << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

// An endpoint a reload removes while its summary is pending takes its timer with it: the
// daemon goes on (under ASan a timer left behind is a use after free).
TEST(DropLogTest, AReloadRemovingAnEndpointWithAPendingSummaryCancelsIt) {
  auto strict_port = free_port();
  auto in_port = free_port();
  RawUdp out;
  RawUdp sender;
  ASSERT_TRUE(out.ok() && sender.ok());
  const std::string tail = "  in: { protocol: udp, listen: " + at(in_port) +
                           " }\n"
                           "  out: { protocol: udp, send: " +
                           at(out.port()) + " }\n";
  Daemon daemon("endpoints:\n  strict: { protocol: udp, listen: " + at(strict_port) +
                ", allow: [10.0.0.0/8] }\n" + tail +
                "routes:\n  - { name: forward, from: [strict, in], to: out }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  ASSERT_TRUE(sender.send_to(strict_port, osc_message("/refused")));
  ASSERT_TRUE(daemon.wait_log("strict: dropped a message")) << daemon.log();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(sender.send_to(strict_port, osc_message("/again")));
  // Once the burst is counted its summary is pending, and the reload removes the endpoint.
  std::string line;
  for (auto deadline = deadline_after(10000); ms_left(deadline) > 0;) {
    ASSERT_TRUE(log_counters_now(daemon, "forward")) << daemon.log();
    line = counters(daemon.log(), "endpoint", "strict");
    if (line.find("acl 6") != std::string::npos) break;
  }
  ASSERT_NE(line.find("acl 6"), std::string::npos) << daemon.log();
  ASSERT_TRUE(
      daemon.reload("endpoints:\n" + tail + "routes:\n  - { name: forward, from: in, to: out }\n"))
      << daemon.log();
  // Past the moment the summary was due, the daemon still routes.
  std::this_thread::sleep_for(std::chrono::seconds(6));
  ASSERT_TRUE(sender.send_to(in_port, osc_message("/alive")));
  EXPECT_EQ(address_of(out.receive(10000)), "/alive") << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

// A connect endpoint whose server stays away: one warning, each later attempt only at debug,
// and on recovery the connected line says how many attempts failed.
TEST(ConnectLogTest, AServerThatStaysAwayIsOneWarningAndTheRecoveryCountsTheAttempts) {
  auto tcp_port = free_port(SOCK_STREAM);
  Daemon daemon(
      "endpoints:\n"
      "  ardour: { protocol: tcp, connect: 127.0.0.1:" +
      std::to_string(tcp_port) +
      ", reconnect_min: 100ms, reconnect_max: 100ms }\n"
      "  surface: { protocol: udp, listen: " +
      at(free_port()) +
      " }\n"
      "routes:\n"
      "  - { from: surface, to: ardour }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  ASSERT_TRUE(daemon.wait_log("ardour: cannot connect to 127\\.0\\.0\\.1:" +
                              std::to_string(tcp_port) + ": [^;]*; retrying in"))
      << daemon.log();
  // Time for many attempts (one every 100 ms or so): each used to be a warning.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  StreamServer server(tcp_port);
  ASSERT_TRUE(server.ok()) << server.error();
  auto failed = daemon.wait_log("ardour: connected to 127\\.0\\.0\\.1:" + std::to_string(tcp_port) +
                                    " from [^\\n]* after (\\d+) failed attempts",
                                10000);
  ASSERT_TRUE(failed) << daemon.log();
  EXPECT_GE(std::stoi(*failed), 3) << daemon.log();
  EXPECT_EQ(count_matches(daemon.log(), "ardour: cannot connect to"), 1u)
      << "a warning per attempt\n"
      << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

// A send: host that never resolves (a mixer that is off) is one warning, then attempts at
// debug level only, however long it stays away.
TEST(ResolveLogTest, AnUnresolvableSendHostIsOneWarningNotOnePerAttempt) {
  Daemon daemon(
      "log: { level: debug }\n"
      "endpoints:\n"
      "  mixer: { protocol: udp, send: 'mixer.oscbridge-test.invalid:9000' }\n"
      "  surface: { protocol: udp, listen: " +
      at(free_port()) +
      " }\n"
      "routes:\n"
      "  - { from: surface, to: mixer }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  // Retries at 0.5, 1 and 2 s: the third failure is logged within about 4 s.
  ASSERT_TRUE(daemon.wait_log("mixer: cannot send to [^\n]*\\(3 failed attempts\\)", 15000))
      << daemon.log();
  EXPECT_EQ(count_matches(daemon.log(), "warning mixer: cannot send to"), 1u)
      << "a warning per attempt\n"
      << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

// A name is logged with what it resolved to.
TEST(ConnectLogTest, AHostNameIsLoggedWithTheAddressItResolvedTo) {
  auto tcp_port = free_port(SOCK_STREAM);
  StreamServer server(tcp_port);
  ASSERT_TRUE(server.ok()) << server.error();
  Daemon daemon(
      "endpoints:\n"
      "  ardour: { protocol: tcp, connect: localhost:" +
      std::to_string(tcp_port) +
      " }\n"
      "  surface: { protocol: udp, listen: " +
      at(free_port()) +
      " }\n"
      "routes:\n"
      "  - { from: surface, to: ardour }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  EXPECT_TRUE(daemon.wait_log("ardour: connected to localhost:" + std::to_string(tcp_port) +
                                  " \\(127\\.0\\.0\\.1:" + std::to_string(tcp_port) + "\\) from",
                              10000))
      << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

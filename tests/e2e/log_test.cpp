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

class QuietLevelTest : public ::testing::TestWithParam<const char*> {};

// At warn, error and off the counters still come, on SIGUSR1 and at shutdown; what the level
// is there to hide (the "loaded" and "ready" lines) does not, and with off nothing else does.
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
                "  - { name: forward, from: in, to: out }\n");
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
  if (level == "off") {
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
      EXPECT_TRUE(std::regex_search(line, std::regex("(endpoint|route) [a-z]+: ")))
          << "off prints nothing but the counters: " << line;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, QuietLevelTest, ::testing::Values("warn", "error", "off"));

}  // namespace
}  // namespace oscbridge::e2e

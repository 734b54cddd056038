// A TCP `connect:` endpoint of the real daemon against a server the test starts, stops and
// starts again on the same port: traffic both ways, drops counted while the server is gone,
// a reconnection within the backoff once it is back, and the backoff itself: delays that
// double from reconnect_min up to reconnect_max, honoured, and reset by a connection.
#include "tests/e2e/tcp_helpers.h"

namespace oscbridge::e2e {
namespace {

// Asks the daemon for its counters (SIGUSR1) until the `name` endpoint's line matches
// expected, or the timeout passes. Repeated because a signal and a datagram sent just before
// it may be handled in either order by the daemon's loop. Returns the last line seen.
std::string wait_counters(Daemon& daemon, const std::string& name, const std::string& expected,
                          int timeout_ms = 5000) {
  auto deadline = deadline_after(timeout_ms);
  std::string line;
  while (ms_left(deadline) > 0) {
    daemon.signal(SIGUSR1);
    auto found = daemon.wait_log("endpoint " + name + ": ([^\n]*)", ms_left(deadline));
    if (!found) break;
    line = *found;
    if (std::regex_search(line, std::regex(expected))) break;
  }
  return line;
}

// One log line of a connect endpoint's attempts, and when it was written, as bounds: after
// `not_before` (a read of the log just before did not have it) and before `seen`.
struct Attempt {
  enum Kind { refused, connected, disconnected } kind;
  int retry_ms = 0;  // the "retrying in N ms" it announced (0 for connected)
  std::string line;
  Clock::time_point not_before;
  Clock::time_point seen;
};

// Reads the daemon's log every millisecond or so, keeping for each attempt line of endpoint
// `name` the window in which it was written. The bounds hold whatever the load: a late read
// only widens the window. Only the documented formats are relied on.
class AttemptLog {
 public:
  // started: a time before the daemon was started.
  AttemptLog(Daemon& daemon, const std::string& name, std::uint16_t port, Clock::time_point started)
      : daemon_(daemon),
        refused_(name + ": cannot connect to 127\\.0\\.0\\.1:" + std::to_string(port) +
                 "\\b.*retrying in (\\d+) ms"),
        disconnected_(name + ": disconnected from .*retrying in (\\d+) ms"),
        connected_(name + ": connected to 127\\.0\\.0\\.1:" + std::to_string(port) + " from"),
        last_read_(started) {}

  // The next attempt line, or nullopt after timeout_ms.
  std::optional<Attempt> next(int timeout_ms) {
    auto deadline = deadline_after(timeout_ms);
    for (;;) {
      if (!ready_.empty()) {
        Attempt attempt = ready_.front();
        ready_.erase(ready_.begin());
        return attempt;
      }
      if (ms_left(deadline) == 0) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      read();
    }
  }

 private:
  void read() {
    auto before = Clock::now();
    const std::string& log = daemon_.log();  // everything the daemon wrote before `before`
    auto after = Clock::now();
    std::size_t end;
    while ((end = log.find('\n', offset_)) != std::string::npos) {
      std::string line = log.substr(offset_, end - offset_);
      offset_ = end + 1;
      std::smatch match;
      Attempt attempt{Attempt::connected, 0, line, last_read_, after};
      if (std::regex_search(line, match, refused_)) {
        attempt.kind = Attempt::refused;
      } else if (std::regex_search(line, match, disconnected_)) {
        attempt.kind = Attempt::disconnected;
      } else if (!std::regex_search(line, match, connected_)) {
        continue;
      }
      if (match.size() > 1) attempt.retry_ms = std::stoi(match[1].str());
      ready_.push_back(attempt);
    }
    last_read_ = before;
  }

  Daemon& daemon_;
  std::regex refused_, disconnected_, connected_;
  std::size_t offset_ = 0;
  Clock::time_point last_read_;
  std::vector<Attempt> ready_;
};

// The attempt after `earlier` came no sooner than the delay `earlier` announced (the
// longest the two lines can be apart is checked, so a late read never fails this), and,
// generously, not much later.
void expect_waited(const Attempt& earlier, const Attempt& later, const std::string& log) {
  using std::chrono::milliseconds;
  auto longest = std::chrono::duration_cast<milliseconds>(later.seen - earlier.not_before);
  auto shortest = std::chrono::duration_cast<milliseconds>(later.not_before - earlier.seen);
  // 2 ms: the line may be written just after the timer is armed rather than just before.
  EXPECT_GE(longest.count(), earlier.retry_ms - 2)
      << "retried sooner than announced:\n  " << earlier.line << "\n  " << later.line;
  EXPECT_LE(shortest.count(), earlier.retry_ms + 3000)
      << "retried far later than announced:\n  " << earlier.line << "\n  " << later.line << "\n"
      << log;
}

TEST(TcpConnectTest, BackoffDoublesFromReconnectMinUpToReconnectMaxAndRestartsAfterConnecting) {
  auto tcp_port = free_port(SOCK_STREAM);  // nothing listens there yet
  auto started = Clock::now();
  // At debug every attempt is logged (at info only the first failure of a run, then once a
  // minute).
  Daemon daemon(
      "log: { level: debug }\n"
      "endpoints:\n"
      "  ardour: { protocol: tcp, connect: 127.0.0.1:" +
      std::to_string(tcp_port) +
      ", reconnect_min: 100ms, reconnect_max: 800ms }\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      std::to_string(free_port()) +
      " }\n"
      "routes:\n"
      "  - { from: surface, to: ardour }\n");
  AttemptLog attempts(daemon, "ardour", tcp_port, started);

  // Refused: 100, 200, 400, 800, then 800 again.
  std::vector<Attempt> refused;
  for (int expected : {100, 200, 400, 800, 800, 800}) {
    auto attempt = attempts.next(10000);
    ASSERT_TRUE(attempt) << "attempt " << refused.size() + 1 << " never came\n" << daemon.log();
    ASSERT_EQ(attempt->kind, Attempt::refused) << attempt->line;
    EXPECT_EQ(attempt->retry_ms, expected) << attempt->line;
    if (!refused.empty()) expect_waited(refused.back(), *attempt, daemon.log());
    refused.push_back(*attempt);
  }

  // A server appears: the next attempt connects, within reconnect_max (more refusals may
  // come first, each at the cap).
  auto server = std::make_unique<StreamServer>(tcp_port);
  ASSERT_TRUE(server->ok()) << server->error();
  Attempt previous = refused.back();
  std::optional<Attempt> attempt;
  for (;;) {
    attempt = attempts.next(10000);
    ASSERT_TRUE(attempt) << "no connection\n" << daemon.log();
    expect_waited(previous, *attempt, daemon.log());
    if (attempt->kind == Attempt::connected) break;
    ASSERT_EQ(attempt->kind, Attempt::refused) << attempt->line;
    EXPECT_EQ(attempt->retry_ms, 800) << attempt->line;
    previous = *attempt;
  }
  ASSERT_TRUE(server->wait_connected()) << daemon.log();

  // It goes away: the backoff starts again from reconnect_min and doubles again.
  server.reset();
  auto lost = attempts.next(10000);
  ASSERT_TRUE(lost) << daemon.log();
  ASSERT_EQ(lost->kind, Attempt::disconnected) << lost->line;
  EXPECT_EQ(lost->retry_ms, 100) << "the backoff did not restart after a connection: "
                                 << lost->line;
  previous = *lost;
  for (int expected : {200, 400}) {
    attempt = attempts.next(10000);
    ASSERT_TRUE(attempt) << daemon.log();
    ASSERT_EQ(attempt->kind, Attempt::refused) << attempt->line;
    EXPECT_EQ(attempt->retry_ms, expected) << attempt->line;
    expect_waited(previous, *attempt, daemon.log());
    previous = *attempt;
  }
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(TcpConnectTest, ReconnectsAfterTheServerRestartsAndDropsWhatCameMeanwhile) {
  auto udp_port = free_port();
  auto tcp_port = free_port(SOCK_STREAM);
  LoPeer desk(free_port());
  ASSERT_TRUE(desk.ok());
  auto server = std::make_unique<StreamServer>(tcp_port);
  ASSERT_TRUE(server->ok()) << server->error();
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      std::to_string(udp_port) +
      " }\n"
      "  ardour: { protocol: tcp, connect: 127.0.0.1:" +
      std::to_string(tcp_port) +
      " }\n"
      "  desk: { protocol: udp, send: 127.0.0.1:" +
      std::to_string(desk.port()) +
      " }\n"
      "routes:\n"
      "  - { from: surface, to: ardour }\n"
      "  - { from: ardour, to: desk }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  const std::string connected = "ardour: connected to 127\\.0\\.0\\.1:" + std::to_string(tcp_port);
  ASSERT_TRUE(daemon.wait_log(connected)) << daemon.log();
  ASSERT_TRUE(server->wait_connected()) << daemon.log();

  // Out through the connection, SLIP-framed (the default framing).
  LoMessage gain("/strip/gain");
  gain.i(1).f(0.5f);
  ASSERT_TRUE(gain.send_udp(udp_port));
  auto frames = server->wait_frames(1);
  ASSERT_EQ(frames.size(), 1u) << daemon.log();
  EXPECT_EQ(frames[0], gain.bytes());
  EXPECT_TRUE(server->bad_frames().empty());

  // And in: what the server sends is routed like any other packet.
  LoMessage meter("/strip/meter");
  meter.i(3).f(0.25f);
  ASSERT_TRUE(server->send(reference_slip(meter.bytes())));
  ASSERT_EQ(desk.wait_for(1).size(), 1u) << daemon.log();
  EXPECT_EQ(desk.received()[0].address, "/strip/meter");
  EXPECT_EQ(desk.received()[0].args, (std::vector<std::string>{"i:3", "f:0.25"}));

  // The server goes away: messages routed meanwhile are dropped and counted, not queued.
  server.reset();
  ASSERT_TRUE(
      daemon.wait_log("ardour: disconnected from 127\\.0\\.0\\.1:" + std::to_string(tcp_port)))
      << daemon.log();
  LoMessage lost("/strip/lost");
  lost.i(0);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(lost.send_udp(udp_port));
  std::string counters = wait_counters(daemon, "ardour", "disconnected 3");
  EXPECT_TRUE(std::regex_search(counters, std::regex("sent 1, dropped 3 \\(disconnected 3\\)")))
      << counters << "\n"
      << daemon.log();

  // Back on the same port: the daemon finds it again within its backoff.
  server = std::make_unique<StreamServer>(tcp_port);
  ASSERT_TRUE(server->ok()) << server->error();
  ASSERT_TRUE(daemon.wait_log(connected, 10000)) << "no reconnection\n" << daemon.log();
  ASSERT_TRUE(server->wait_connected()) << daemon.log();
  LoMessage again("/strip/again");
  again.i(2);
  ASSERT_TRUE(again.send_udp(udp_port));
  frames = server->wait_frames(1);
  ASSERT_EQ(frames.size(), 1u) << daemon.log();
  EXPECT_EQ(frames[0], again.bytes()) << "the first frame after reconnecting is the new message, "
                                         "not one routed while disconnected";

  ASSERT_TRUE(server->send(reference_slip(meter.bytes())));
  ASSERT_EQ(desk.wait_for(2).size(), 2u) << daemon.log();
  EXPECT_EQ(desk.received()[1].address, "/strip/meter");

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_NE(daemon.log().find("endpoint ardour: received 2, sent 2, dropped 3 (disconnected 3)"),
            std::string::npos)
      << daemon.log();
}

// A daemon that starts before its server keeps trying and connects once the server appears.
TEST(TcpConnectTest, ConnectsToAServerThatStartsLater) {
  auto udp_port = free_port();
  auto tcp_port = free_port(SOCK_STREAM);
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      std::to_string(udp_port) +
      " }\n"
      "  ardour: { protocol: tcp, connect: 127.0.0.1:" +
      std::to_string(tcp_port) +
      ", framing: length }\n"
      "routes:\n"
      "  - { from: surface, to: ardour }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  ASSERT_TRUE(daemon.wait_log("ardour: cannot connect to 127\\.0\\.0\\.1:" +
                              std::to_string(tcp_port) + ": [^;]*; retrying in"))
      << daemon.log();

  // liblo as the server this time: it reads length-prefixed OSC over TCP by default.
  LoPeer ardour(tcp_port, LO_TCP);
  ASSERT_TRUE(ardour.ok());
  ASSERT_TRUE(daemon.wait_log("ardour: connected to", 10000)) << daemon.log();
  LoMessage gain("/strip/gain");
  gain.i(4).s("dB");
  ASSERT_TRUE(gain.send_udp(udp_port));
  ASSERT_EQ(ardour.wait_for(1, 5000).size(), 1u) << daemon.log();
  EXPECT_EQ(ardour.received()[0].address, "/strip/gain");
  EXPECT_EQ(ardour.received()[0].args, (std::vector<std::string>{"i:4", "s:dB"}));
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

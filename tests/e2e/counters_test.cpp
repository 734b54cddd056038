// End-to-end: every counter counts messages, whatever path a message takes
// (docs/configuration.md, "Counters"): nothing routed vanishes without a count, a closing TCP
// connection counts each message it loses, and a route counts as sent only what a destination
// took.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "osc/encoder.h"

#include "tests/e2e/harness.h"
#include "tests/e2e/tcp_helpers.h"
#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

// The number after `name ` in a counters line ("dropped 3 (no_peer 3)"), or 0 when absent.
long long count_of(const std::string& line, const std::string& name) {
  std::smatch match;
  if (!std::regex_search(line, match, std::regex("(^|[ (])" + name + " ([0-9]+)"))) return 0;
  return std::stoll(match[2].str());
}

TEST(CountersTest, MessagesForAnEndpointWithNobodyToSendToAreCountedAsNoPeer) {
  const std::uint16_t in_port = free_port();
  const std::uint16_t mixer_port = free_port();
  const std::uint16_t server_port = free_port(SOCK_STREAM);
  Daemon daemon(
      "endpoints:\n"
      "  in: { protocol: udp, listen: " +
      at(in_port) +
      " }\n"
      "  mixer: { protocol: udp, listen: " +
      at(mixer_port) +
      ", reply: true }\n"
      "  eos: { protocol: tcp, listen: " +
      at(server_port) +
      " }\n"
      "routes:\n"
      "  - { name: out, from: in, to: [mixer, eos] }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  RawUdp sender;
  // A bundle of two and a bare message: three messages, none with a receiver yet.
  ASSERT_TRUE(sender.send_to(in_port, osc_message("/fader", [](auto& m) { m.add_int32(1); })));
  std::vector<char> buffer(256);
  osc::BundleBuilder bundle(std::span<char>(buffer.data(), buffer.size()), osc::TimeTag(1));
  bundle.add_element(osc_message("/a"));
  bundle.add_element(osc_message("/b"));
  auto size = bundle.finish();
  ASSERT_TRUE(size);
  ASSERT_TRUE(sender.send_to(in_port, std::string(buffer.data(), *size)));

  ASSERT_TRUE(log_counters_now(daemon, "out")) << daemon.log();
  std::string log = daemon.log();
  EXPECT_EQ(counters(log, "endpoint", "in"), "received 3, sent 0, dropped 0") << log;
  EXPECT_EQ(counters(log, "endpoint", "mixer"), "received 0, sent 0, dropped 3 (no_peer 3)") << log;
  EXPECT_EQ(counters(log, "endpoint", "eos"), "received 0, sent 0, dropped 3 (no_peer 3)") << log;
  // Matched once per message; each destination took none of them.
  EXPECT_EQ(counters(log, "route", "out"), "matched 3, sent 0, dropped 6 (no_peer 6)") << log;
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(CountersTest, AConnectionThatClosesWithOutputQueuedCountsEveryMessageItLoses) {
  const std::uint16_t in_port = free_port();
  const std::uint16_t server_port = free_port(SOCK_STREAM);
  Daemon daemon(
      "endpoints:\n"
      "  in: { protocol: udp, listen: " +
      at(in_port) +
      " }\n"
      "  tablet: { protocol: tcp, listen: " +
      at(server_port) +
      ", max_frame: 1KiB, queue_limit: 16KiB }\n"
      "routes:\n"
      "  - { name: out, from: in, to: tablet }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  // A client that never reads, with a small receive buffer, so the daemon's queue fills.
  int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(client, 0);
  int small = 4096;
  ::setsockopt(client, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(server_port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  ASSERT_TRUE(daemon.wait_log("tablet: client 127\\.0\\.0\\.1:[0-9]+ connected")) << daemon.log();

  RawUdp sender;
  const std::string message =
      osc_message("/cue/text", [](auto& m) { m.add_string(std::string(100, 'x')); });
  std::string line;
  for (int round = 0; round < 400 && count_of(line, "queue_full") <= 0; ++round) {
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(sender.send_to(in_port, message));
    line = wait_counters(daemon, "tablet", "sent", 5000);
  }
  ASSERT_GT(count_of(line, "queue_full"), 0) << "the queue never filled\n" << line << daemon.log();

  // Reset, not a clean close: the daemon learns at once and loses what it still queued.
  linger reset{1, 0};
  ::setsockopt(client, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(client);
  ASSERT_TRUE(daemon.wait_log("tablet: closing client|tablet: client [^\n]* disconnected"))
      << daemon.log();
  // Datagrams the daemon had not read yet when the client went are routed to no client
  // (no_peer). Wait until it has handled all of them, then read both endpoints' lines from one
  // dump of the counters, so they describe the same moment.
  std::string in_line;
  std::string previous;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(log_counters_now(daemon, "out")) << daemon.log();
    const std::string log = daemon.log();
    in_line = counters(log, "endpoint", "in");
    line = counters(log, "endpoint", "tablet");
    if (in_line == previous && count_of(line, "disconnected") > 0) break;
    previous = in_line;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // 16 KiB of ~130-byte frames: the queue held over a hundred messages when it was lost.
  EXPECT_GT(count_of(line, "disconnected"), 100) << line << "\n" << daemon.log();
  // Every message routed to the tablet is sent, refused (queue_full), lost with the connection
  // (disconnected) or, after it, routed to nobody (no_peer).
  EXPECT_EQ(count_of(line, "sent") + count_of(line, "queue_full") + count_of(line, "disconnected") +
                count_of(line, "no_peer"),
            count_of(in_line, "received"))
      << line << "\n"
      << in_line;
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

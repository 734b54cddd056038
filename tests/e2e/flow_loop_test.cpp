// Loop detection through the real daemon (issue 10, `loop_guard`, on by default): two
// endpoints whose messages an external relay (a /usr/bin/python3 process with plain sockets)
// forwards back into the other one, adding 1 each time so echo suppression cannot catch it,
// make one message circulate; the daemon says so in ONE warning naming the endpoints and
// routes, cuts it (counted as `loop`), stays idle (no CPU spin) and keeps routing other
// traffic. A one-way stream of 1,000 msg/s on one address is never taken for a loop.
#include <fstream>
#include <thread>

#include "tests/e2e/udp_helpers.h"
#include "tests/support/child_process.h"

namespace oscbridge::e2e {
namespace {

using namespace std::chrono_literals;

// Forwards each /loop datagram it gets on port IN to OUT (from the socket bound to IN, as
// OSC programs answer from their own port), with its last int32 argument plus one. Anything
// else it ignores.
constexpr const char* kRelay = R"(
import select, socket, struct, sys
pairs = [tuple(int(p) for p in arg.split(':')) for arg in sys.argv[1:]]
sockets = {}
for listen, target in pairs:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', listen))
    sockets[s] = target
print('relaying', flush=True)
while True:
    ready, _, _ = select.select(list(sockets), [], [])
    for s in ready:
        data = s.recv(65536)
        if data.startswith(b'/loop\0') and len(data) >= 4:
            value = struct.unpack('>i', data[-4:])[0] + 1
            s.sendto(data[:-4] + struct.pack('>i', value), ('127.0.0.1', sockets[s]))
)";

std::string int_message(const std::string& address, int value) {
  return osc_message(address, [&](osc::MessageBuilder& m) { m.add_int32(value); });
}

// User plus system CPU time the process has used, from /proc.
std::chrono::milliseconds cpu_time(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stol(field);  // utime, stime
  }
  return std::chrono::milliseconds(ticks * 1000 / ::sysconf(_SC_CLK_TCK));
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

TEST(FlowLoopTest, ALoopThroughARelayIsCutWithOneWarningAndOtherTrafficFlows) {
  TempDir dir;
  write_file(dir.file("relay.py"), kRelay);
  const auto left_port = free_port();
  const auto right_port = free_port();
  const auto relay_left = free_port();   // left sends here; relayed into right
  const auto relay_right = free_port();  // right sends here; relayed into left
  RawUdp monitor;
  RawUdp source;
  ASSERT_TRUE(monitor.ok() && source.ok());
  test::ChildProcess relay({"/usr/bin/python3", dir.file("relay.py"),
                            std::to_string(relay_left) + ":" + std::to_string(right_port),
                            std::to_string(relay_right) + ":" + std::to_string(left_port)});
  ASSERT_TRUE(relay.wait_for_output("relaying", 10000)) << relay.output();
  Daemon daemon(
      "endpoints:\n"
      "  left: { protocol: udp, listen: " +
      at(left_port) + ", send: " + at(relay_left) +
      " }\n"
      "  right: { protocol: udp, listen: " +
      at(right_port) + ", send: " + at(relay_right) +
      " }\n"
      "  monitor: { protocol: udp, send: " +
      at(monitor.port()) +
      " }\n"
      "routes:\n"
      "  - name: left_to_right\n"
      "    from: left\n"
      "    to: right\n"
      "  - name: right_to_left\n"
      "    from: right\n"
      "    to: left\n"
      "  - name: watch\n"
      "    from: left\n"
      "    match: /other\n"
      "    to: monitor\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  // One message starts the circle: left -> right -> relay -> left -> ...
  source.send_to(left_port, int_message("/loop", 0));
  auto warning = daemon.wait_log("loop: /loop came back[^\n]*", 10000);
  ASSERT_TRUE(warning) << daemon.log();
  for (const char* name : {"'left'", "'right'", "'left_to_right'"}) {
    EXPECT_NE(warning->find(name), std::string::npos) << name << " not named: " << *warning;
  }

  // Cut: the daemon idles (a spinning circle would use most of a CPU in a second).
  std::this_thread::sleep_for(200ms);
  const auto before = cpu_time(daemon.pid());
  std::this_thread::sleep_for(1s);
  EXPECT_LT(cpu_time(daemon.pid()) - before, 150ms) << "still circulating";

  // Other traffic flows; a new /loop makes one turn and is dropped again, without a new
  // warning.
  constexpr int kOthers = 200;
  for (int i = 0; i < kOthers; ++i) {
    source.send_to(left_port, int_message("/other", i));
    if (i % 20 == 0) source.send_to(left_port, int_message("/loop", 10 * i));
    std::this_thread::sleep_for(1ms);
  }
  int others = 0;
  while (others < kOthers) {
    auto datagram = monitor.receive(3000);
    if (!datagram) break;
    if (address_of(datagram) == "/other") ++others;
  }
  EXPECT_EQ(others, kOthers) << daemon.log();
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(log_counters_now(daemon, "watch")) << daemon.log();
  const std::string left = counters(daemon.log(), "endpoint", "left");
  std::smatch loops;
  ASSERT_TRUE(std::regex_search(left, loops, std::regex("loop ([0-9]+)"))) << left;
  EXPECT_GE(std::stoi(loops[1].str()), 10) << left;  // the first cut and each new /loop
  EXPECT_EQ(occurrences(daemon.log(), "loop: /loop came back"), 1u) << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(FlowLoopTest, AOneWayStreamOf1000PerSecondIsNeverALoop) {
  // The surface sends from the port the daemon sends its feedback to (X32-style): arrivals
  // come from a peer the daemon sends to, and still nothing returns.
  RawUdp surface;
  RawUdp daw;
  ASSERT_TRUE(surface.ok() && daw.ok());
  const auto surface_port = free_port();
  const auto daw_port = free_port();
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: " +
      at(surface_port) + ", send: " + at(surface.port()) +
      " }\n"
      "  daw: { protocol: udp, listen: " +
      at(daw_port) + ", send: " + at(daw.port()) +
      " }\n"
      "routes:\n"
      "  - name: up\n"
      "    from: surface\n"
      "    to: daw\n"
      "  - name: down\n"
      "    from: daw\n"
      "    to: surface\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  constexpr int kMessages = 2000;  // 2 s at 1,000 a second, one address, changing values
  std::thread sender([&] {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kMessages; ++i) {
      surface.send_to(surface_port, int_message("/fader", i));
      std::this_thread::sleep_until(start + std::chrono::microseconds(1000 * (i + 1)));
    }
  });
  int received = 0;
  while (received < kMessages) {
    auto datagram = daw.receive(3000);
    if (!datagram) break;
    if (address_of(datagram) == "/fader") ++received;
  }
  sender.join();
  // Loss is UDP's on a slow run (TSan, a loaded machine: the CI saw 1,845 of 2,000 arrive, no
  // drop counted); what this test guards is that the daemon drops none as a loop (counters
  // below). A rule that took the stream for a loop let through about 100 of 2,000.
  EXPECT_GE(received, kMessages / 2) << daemon.log();
  ASSERT_TRUE(log_counters_now(daemon, "down")) << daemon.log();
  EXPECT_EQ(counters(daemon.log(), "endpoint", "surface").find("loop"), std::string::npos)
      << daemon.log();
  EXPECT_EQ(daemon.log().find("loop: "), std::string::npos) << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

// The core against hostile peers and careless operators, with the real binary: a server that
// floods a `connect:` endpoint must not stall other routes or grow the daemon; a reload onto a
// port another process holds keeps the old configuration serving; a destination host name that
// does not resolve does not stop the start; a message far larger than 64 KiB is rewritten and
// routed intact where max_frame allows it.
#include <netinet/in.h>
#include <sys/socket.h>

#include <signal.h>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "tests/e2e/tcp_helpers.h"
#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

// One message with an int32 argument (and a blob first, when given), encoded by our codec.
std::string message(std::string_view address, std::int32_t value, std::string_view blob = {}) {
  std::vector<char> buffer(address.size() + blob.size() + 64);
  osc::MessageBuilder builder(std::span<char>(buffer.data(), buffer.size()), address);
  if (!blob.empty()) builder.add_blob(blob);
  builder.add_int32(value);
  auto size = builder.finish();
  return size ? std::string(buffer.data(), *size) : std::string();
}

// Sanitizers slow the daemon's own work 5-15x: the time bounds get a margin, and it deframes
// a flood that much more slowly.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kSanitizerSlowdown = 3;
constexpr std::size_t kMinimumFlood = std::size_t{8} << 20;
#else
constexpr int kSanitizerSlowdown = 1;
constexpr std::size_t kMinimumFlood = std::size_t{64} << 20;
#endif

// Resident memory of a process in KiB, from /proc.
long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// A TCP server on 127.0.0.1:port that, once the daemon connects, writes SLIP END bytes as fast
// as the kernel takes them (1 MiB at a time) until stop() — a peer that never stops talking.
class FloodingServer {
 public:
  explicit FloodingServer(std::uint16_t port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    ok_ = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
          ::listen(listen_fd_, 4) == 0;
  }
  ~FloodingServer() {
    stop();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }
  bool ok() const { return ok_; }

  // Accepts one connection (waiting up to 10 s) and floods it on a thread.
  bool start() {
    pollfd entry{listen_fd_, POLLIN, 0};
    if (::poll(&entry, 1, 10000) != 1) return false;
    connection_fd_ = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection_fd_ < 0) return false;
    thread_ = std::thread([this] {
      const std::string chunk(1 << 20, static_cast<char>(osc::kSlipEnd));
      while (!stopping_) {
        pollfd out{connection_fd_, POLLOUT, 0};
        if (::poll(&out, 1, 50) != 1) continue;
        ssize_t sent =
            ::send(connection_fd_, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent > 0) bytes_ += static_cast<std::size_t>(sent);
        if (sent < 0 && errno != EAGAIN && errno != EINTR) break;
      }
    });
    return true;
  }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    if (connection_fd_ >= 0) ::close(connection_fd_);
    connection_fd_ = -1;
  }
  std::size_t bytes() const { return bytes_; }

 private:
  int listen_fd_ = -1;
  int connection_fd_ = -1;
  bool ok_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> bytes_{0};
  std::thread thread_;
};

TEST(CoreHostileTest, AFloodingConnectPeerNeitherStallsOtherRoutesNorGrowsTheDaemon) {
  auto surface_port = free_port();
  auto flood_port = free_port(SOCK_STREAM);
  RawUdp desk;
  RawUdp probe;
  ASSERT_TRUE(desk.ok() && probe.ok());
  FloodingServer flood(flood_port);
  ASSERT_TRUE(flood.ok());
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      std::to_string(surface_port) +
      " }\n"
      "  desk: { protocol: udp, send: 127.0.0.1:" +
      std::to_string(desk.port()) +
      " }\n"
      "  flood: { protocol: tcp, connect: 127.0.0.1:" +
      std::to_string(flood_port) +
      " }\n"
      "routes:\n"
      "  - { from: surface, to: desk }\n"
      "  - { from: flood, to: desk }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  ASSERT_TRUE(flood.start()) << daemon.log();
  ASSERT_TRUE(daemon.wait_log("flood: connected to")) << daemon.log();
  long rss_before = rss_kib(daemon.pid());
  ASSERT_GT(rss_before, 0);

  // A 100 msg/s probe through the other route for the 5 s of the flood; a second thread
  // records when each probe arrives.
  constexpr int kProbes = 500;
  std::vector<Clock::time_point> arrivals;
  std::atomic<bool> sending_done{false};
  // Once sending is done it waits for stragglers up to 5 s of silence: a daemon that is merely
  // behind (a sanitizer build on a loaded machine) is late, not lossy.
  std::thread receiver([&] {
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline && arrivals.size() < kProbes) {
      auto datagram = desk.receive(sending_done ? 5000 : 100);
      if (datagram) {
        arrivals.push_back(Clock::now());
      } else if (sending_done) {
        break;
      }
    }
  });
  long rss_peak = rss_before;
  auto start = Clock::now();
  for (int i = 0; i < kProbes; ++i) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(10 * i));
    probe.send_to(surface_port, message("/probe", i));
    if (i % 50 == 0) rss_peak = std::max(rss_peak, rss_kib(daemon.pid()));
  }
  rss_peak = std::max(rss_peak, rss_kib(daemon.pid()));
  std::size_t flooded = flood.bytes();
  flood.stop();
  sending_done = true;
  receiver.join();

  // Far more than socket buffers hold (a sanitizer-built daemon deframes far slower).
  EXPECT_GT(flooded, kMinimumFlood) << "the flood did not flood";
  EXPECT_GE(arrivals.size(), kProbes * 95 / 100) << daemon.log();
  Clock::duration longest_gap{};
  for (std::size_t i = 1; i < arrivals.size(); ++i) {
    longest_gap = std::max(longest_gap, arrivals[i] - arrivals[i - 1]);
  }
  EXPECT_LT(longest_gap, std::chrono::milliseconds(200) * kSanitizerSlowdown) << "the loop stalled";
  std::printf(
      "flood: %zu MiB in, %zu of %d probes delivered, longest gap %lld ms, RSS %ld -> "
      "%ld KiB\n",
      flooded >> 20, arrivals.size(), kProbes,
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(longest_gap).count()),
      rss_before, rss_peak);
  EXPECT_LT(rss_peak - rss_before, 16 * 1024)
      << "RSS grew from " << rss_before << " KiB to " << rss_peak << " KiB";
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(CoreHostileTest, AReloadOntoAPortAnotherProcessHoldsKeepsTheRunningConfiguration) {
  auto first_port = free_port();
  auto held_port = free_port();
  RawUdp desk;
  RawUdp probe;
  ASSERT_TRUE(desk.ok() && probe.ok());
  std::optional<RawUdp> holder(std::in_place, AF_INET, held_port);  // "another process"
  ASSERT_TRUE(holder->ok());
  auto yaml = [&](std::uint16_t listen_port) {
    return "endpoints:\n"
           "  surface: { protocol: udp, listen: 127.0.0.1:" +
           std::to_string(listen_port) +
           " }\n"
           "  desk: { protocol: udp, send: 127.0.0.1:" +
           std::to_string(desk.port()) +
           " }\n"
           "routes:\n"
           "  - { from: surface, to: desk }\n";
  };
  Daemon daemon(yaml(first_port));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  EXPECT_FALSE(daemon.reload(yaml(held_port))) << daemon.log();
  EXPECT_NE(daemon.log().find("surface: cannot listen on 127.0.0.1:" + std::to_string(held_port) +
                              ": Address already in use"),
            std::string::npos)
      << daemon.log();
  // The old socket still serves, with the old route.
  ASSERT_TRUE(probe.send_to(first_port, message("/still", 1)));
  auto got = desk.receive(5000);
  ASSERT_TRUE(got) << daemon.log();
  EXPECT_EQ(got->bytes, message("/still", 1));

  // Once the port is free, the same file applies, and the old port is released.
  holder.reset();
  EXPECT_TRUE(daemon.reload(yaml(held_port))) << daemon.log();
  ASSERT_TRUE(probe.send_to(held_port, message("/moved", 2)));
  got = desk.receive(5000);
  ASSERT_TRUE(got) << daemon.log();
  EXPECT_EQ(got->bytes, message("/moved", 2));
  RawUdp rebind(AF_INET, first_port);
  EXPECT_TRUE(rebind.ok()) << "the old port was not released";
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

// An endpoint that moves to an address on its own port can only bind once its old socket
// closed; when the new bind then fails, the old socket must come back.
TEST(CoreHostileTest, AMoveOnTheSamePortThatFailsReopensTheOldSocket) {
  auto surface_port = free_port();
  auto eos_port = free_port(SOCK_STREAM);
  RawUdp probe;
  ASSERT_TRUE(probe.ok());
  auto [holder, error] = socket::create_server("127.0.0.2", eos_port, socket::Protocol::tcp);
  ASSERT_TRUE(holder) << error;  // another program, on the address the reload moves to
  auto yaml = [&](const std::string& host) {
    return "endpoints:\n"
           "  surface: { protocol: udp, listen: 127.0.0.1:" +
           std::to_string(surface_port) +
           " }\n"
           "  eos: { protocol: tcp, listen: " +
           host + ":" + std::to_string(eos_port) +
           " }\n"
           "routes:\n"
           "  - { from: surface, to: eos }\n";
  };
  Daemon daemon(yaml("127.0.0.1"));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  EXPECT_FALSE(daemon.reload(yaml("127.0.0.2"))) << daemon.log();
  EXPECT_NE(daemon.log().find("eos: closed, to free its port"), std::string::npos)
      << "the move did not take the path under test\n"
      << daemon.log();
  // Served again on the old address, with the old route.
  StreamPeer client(eos_port, Framing::slip);
  ASSERT_TRUE(client.ok()) << client.error() << "\n" << daemon.log();
  ASSERT_TRUE(daemon.wait_log(client.connected_log("eos"))) << daemon.log();
  ASSERT_TRUE(probe.send_to(surface_port, message("/back", 3)));
  auto frames = client.wait_frames(1);
  ASSERT_EQ(frames.size(), 1u) << daemon.log();
  EXPECT_EQ(frames[0], message("/back", 3));
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(CoreHostileTest, AnUnresolvableSendHostDoesNotStopTheStartAndIsCounted) {
  auto surface_port = free_port();
  RawUdp desk;
  RawUdp probe;
  ASSERT_TRUE(desk.ok() && probe.ok());
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      std::to_string(surface_port) +
      " }\n"
      "  desk: { protocol: udp, send: 127.0.0.1:" +
      std::to_string(desk.port()) +
      " }\n"
      "  mixer: { protocol: udp, send: 'mixer.oscbridge-test.invalid:9000' }\n"
      "routes:\n"
      "  - { from: surface, to: [mixer, desk] }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  ASSERT_TRUE(
      daemon.wait_log("mixer: cannot send to mixer\\.oscbridge-test\\.invalid:9000: .*"
                      "retrying in [0-9]+ ms",
                      10000))
      << daemon.log();
  ASSERT_TRUE(probe.send_to(surface_port, message("/fader", 5)));
  auto got = desk.receive(5000);
  ASSERT_TRUE(got) << daemon.log();
  EXPECT_EQ(got->bytes, message("/fader", 5));
  daemon.signal(SIGUSR1);
  EXPECT_TRUE(daemon.wait_log("endpoint mixer: .*unresolved 1")) << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

// A send: host that does not resolve is retried like a TCP connect: after 500 ms, then twice
// as long each time (up to 30 s, longer than a test waits), and each retry waits its delay
// out, as the times the daemon's log lines were written show.
TEST(CoreHostileTest, AnUnresolvableSendHostIsRetriedWithADelayThatDoubles) {
  Daemon daemon(
      "log: { level: debug }\n"
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      std::to_string(free_port()) +
      " }\n"
      "  mixer: { protocol: udp, send: 'mixer.oscbridge-test.invalid:9000' }\n"
      "routes:\n"
      "  - { from: surface, to: mixer }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  // "2026-12-02 14:03:04.776 debug ...": milliseconds since midnight (a test never spans one).
  auto written_at = [](const std::string& line) {
    int hours = 0, minutes = 0, seconds = 0, millis = 0;
    if (std::sscanf(line.c_str(), "%*d-%*d-%*d %d:%d:%d.%d", &hours, &minutes, &seconds, &millis) !=
        4) {
      return -1L;
    }
    return ((hours * 60L + minutes) * 60 + seconds) * 1000 + millis;
  };
  long previous_at = -1;
  int previous_delay = 0;
  for (int delay : {500, 1000, 2000}) {
    auto line = daemon.wait_log(
        "[0-9-]+ [0-9:.]+ [a-z]+ mixer: cannot send to mixer\\.oscbridge-test\\.invalid:9000: "
        ".*retrying in [0-9]+ ms",
        10000);
    ASSERT_TRUE(line) << daemon.log();
    EXPECT_NE(line->find("retrying in " + std::to_string(delay) + " ms"), std::string::npos)
        << *line;
    const long at = written_at(*line);
    ASSERT_GE(at, 0) << *line;
    if (previous_at >= 0) {
      EXPECT_GE(at - previous_at, previous_delay) << "retried sooner than announced: " << *line;
    }
    previous_at = at;
    previous_delay = delay;
  }
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(CoreHostileTest, A200KilobyteMessageOverTcpIsRewrittenAndArrivesIntact) {
  auto in_port = free_port(SOCK_STREAM);
  auto out_port = free_port(SOCK_STREAM);
  StreamServer server(out_port);
  ASSERT_TRUE(server.ok()) << server.error();
  Daemon daemon(
      "endpoints:\n"
      "  eos: { protocol: tcp, listen: 127.0.0.1:" +
      std::to_string(in_port) +
      ", max_frame: 1MiB }\n"
      "  show: { protocol: tcp, connect: 127.0.0.1:" +
      std::to_string(out_port) +
      ", max_frame: 1MiB }\n"
      "routes:\n"
      "  - { from: eos, match: '/cue/*/list', to: show, address: '/show/{1}/cues' }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  ASSERT_TRUE(server.wait_connected()) << daemon.log();
  StreamPeer client(in_port, Framing::slip);
  ASSERT_TRUE(client.ok()) << client.error();
  ASSERT_TRUE(daemon.wait_log(client.connected_log("eos"))) << daemon.log();

  std::string cues(200 * 1000, '\0');
  for (std::size_t i = 0; i < cues.size(); ++i) cues[i] = static_cast<char>(i * 7 + 1);
  std::string in = message("/cue/7/list", 42, cues);
  ASSERT_TRUE(client.send(reference_slip(in)));
  auto frames = server.wait_frames(1, 10000);
  ASSERT_EQ(frames.size(), 1u) << daemon.log();
  EXPECT_EQ(frames[0], message("/show/7/cues", 42, cues));
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(CoreHostileTest, SettingsThatNeedNoNewSocketApplyInPlaceWithoutDroppingClients) {
  auto surface_port = free_port();
  auto eos_port = free_port(SOCK_STREAM);
  RawUdp first_desk;
  RawUdp second_desk;
  RawUdp probe;
  ASSERT_TRUE(first_desk.ok() && second_desk.ok() && probe.ok());
  auto yaml = [&](const std::string& eos_extra, std::uint16_t desk_port) {
    return "endpoints:\n"
           "  surface: { protocol: udp, listen: 127.0.0.1:" +
           std::to_string(surface_port) + ", send: 127.0.0.1:" + std::to_string(desk_port) +
           " }\n"
           "  eos: { protocol: tcp, listen: 127.0.0.1:" +
           std::to_string(eos_port) + eos_extra +
           " }\n"
           "routes:\n"
           "  - { from: surface, to: eos }\n"
           "  - { from: eos, to: surface }\n";
  };
  Daemon daemon(yaml("", first_desk.port()));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  StreamPeer client(eos_port, Framing::slip);
  ASSERT_TRUE(client.ok()) << client.error();
  ASSERT_TRUE(daemon.wait_log(client.connected_log("eos"))) << daemon.log();

  ASSERT_TRUE(daemon.reload(
      yaml(", queue_limit: 2MiB, idle_timeout: 10s, allow: [127.0.0.0/8]", second_desk.port())))
      << daemon.log();
  // The same sockets: nothing listened anew, the client is still connected and served.
  const std::string log = daemon.log();
  EXPECT_EQ(log.find("eos: listening on"), log.rfind("eos: listening on")) << log;
  EXPECT_EQ(log.find("surface: listening on"), log.rfind("surface: listening on")) << log;
  ASSERT_TRUE(probe.send_to(surface_port, message("/to/eos", 1)));
  auto frames = client.wait_frames(1);
  ASSERT_EQ(frames.size(), 1u) << daemon.log();
  EXPECT_EQ(frames[0], message("/to/eos", 1));
  EXPECT_FALSE(client.closed());
  // The changed destination applies: replies from eos go to the second desk now.
  ASSERT_TRUE(client.send(reference_slip(message("/from/eos", 2))));
  auto got = second_desk.receive(5000);
  ASSERT_TRUE(got) << daemon.log();
  EXPECT_EQ(got->bytes, message("/from/eos", 2));
  EXPECT_FALSE(first_desk.receive(0));

  // A shorter idle_timeout applies to what already waits: a partial frame the daemon holds
  // under the old 10 s limit is cut at the new 300 ms one.
  StreamPeer slow(eos_port, Framing::slip);
  ASSERT_TRUE(slow.ok()) << slow.error();
  ASSERT_TRUE(daemon.wait_log(slow.connected_log("eos"))) << daemon.log();
  ASSERT_TRUE(slow.send(std::string("\xC0/partial", 9)));
  ASSERT_TRUE(wait_read_by_peer(slow.local_port(), eos_port)) << daemon.log();
  ASSERT_TRUE(daemon.reload(
      yaml(", queue_limit: 2MiB, idle_timeout: 300ms, allow: [127.0.0.0/8]", second_desk.port())))
      << daemon.log();
  EXPECT_TRUE(slow.wait_closed(8000)) << daemon.log();
  EXPECT_TRUE(daemon.wait_log("partial frame idle for 300 ms")) << daemon.log();
  EXPECT_FALSE(client.closed());

  // An allow list that no longer admits the client closes it, counted, without a reopen.
  ASSERT_TRUE(daemon.reload(yaml(", allow: [10.0.0.0/8]", second_desk.port()))) << daemon.log();
  EXPECT_TRUE(client.wait_closed()) << daemon.log();
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

// The daemon's own process under strace: its pid is the wrapper's only child.
pid_t traced_child(pid_t tracer) {
  for (int i = 0; i < 500; ++i) {
    std::ifstream children("/proc/" + std::to_string(tracer) + "/task/" + std::to_string(tracer) +
                           "/children");
    pid_t child = 0;
    if (children >> child && child > 0) return child;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

// A send-only UDP endpoint must hand each round's datagrams to the kernel in one sendmmsg, as
// a listening one does: counted with strace, bursts of 50 messages may not cost 50 sends.
TEST(CoreHostileTest, ASendOnlyUdpEndpointBatchesEachRoundIntoOneSendmmsg) {
  if (std::string(STRACE_BINARY).empty()) GTEST_SKIP() << "strace is not installed";
  auto surface_port = free_port();
  RawUdp desk;
  RawUdp probe;
  ASSERT_TRUE(desk.ok() && probe.ok());
  TempDir dir;
  const std::string counts = dir.file("syscalls.txt");
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
          std::to_string(surface_port) +
          " }\n"
          "  desk: { protocol: udp, send: 127.0.0.1:" +
          std::to_string(desk.port()) +
          " }\n"
          "routes:\n"
          "  - { from: surface, to: desk }\n",
      {},
      {STRACE_BINARY, "-f", "-qq", "-c", "-U", "name,calls", "-e",
       "trace=sendto,sendmsg,sendmmsg,recvmmsg", "-o", counts});
  ASSERT_TRUE(daemon.wait_ready(20000)) << daemon.log();
  constexpr int kBursts = 40;
  constexpr int kBurst = 50;
  // Each burst leaves the test in one sendmmsg, so it is in the daemon's socket at once
  // whatever the speed of this (perhaps sanitizer-built) test.
  std::vector<std::string> burst_messages;
  for (int i = 0; i < kBurst; ++i) burst_messages.push_back(message("/burst", i));
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  target.sin_port = htons(surface_port);
  int sender = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  std::vector<iovec> vectors(kBurst);
  std::vector<mmsghdr> headers(kBurst);
  for (int i = 0; i < kBurst; ++i) {
    vectors[i] = {burst_messages[i].data(), burst_messages[i].size()};
    headers[i].msg_hdr.msg_name = &target;
    headers[i].msg_hdr.msg_namelen = sizeof target;
    headers[i].msg_hdr.msg_iov = &vectors[i];
    headers[i].msg_hdr.msg_iovlen = 1;
  }
  std::size_t received = 0;
  for (int burst = 0; burst < kBursts; ++burst) {
    ASSERT_EQ(::sendmmsg(sender, headers.data(), kBurst, 0), kBurst);
    // The next burst once this one is through, so each burst is its own rounds.
    while (received < static_cast<std::size_t>((burst + 1) * kBurst) && desk.receive(5000)) {
      ++received;
    }
  }
  ::close(sender);
  EXPECT_EQ(received, std::size_t{kBursts * kBurst}) << daemon.log();
  pid_t oscbridge = traced_child(daemon.pid());
  ASSERT_GT(oscbridge, 0);
  ::kill(oscbridge, SIGTERM);  // strace then exits with the daemon and writes its counts
  EXPECT_TRUE(daemon.wait_log("stopping")) << daemon.log();
  daemon.stop(SIGTERM, 10000);
  std::ifstream table(counts);
  std::map<std::string, long> calls;
  std::string line;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string name;
    long count = 0;
    if (fields >> name >> count) calls[name] = count;
  }
  EXPECT_EQ(calls["sendto"] + calls["sendmsg"], 0) << "datagrams sent one system call each";
  // At most one sendmmsg per round that received (each round starts with a recvmmsg), and far
  // fewer than one per datagram.
  EXPECT_GT(calls["sendmmsg"], 0);
  EXPECT_LE(calls["sendmmsg"], calls["recvmmsg"]) << "more than one sendmmsg per round";
  EXPECT_LE(calls["sendmmsg"], kBursts * kBurst / 2) << "sendmmsg carried too few datagrams each";
}

TEST(CoreHostileTest, ATcpListenAllowListClosesOtherClientsAtAcceptAndCountsThem) {
  auto surface_port = free_port();
  auto eos_port = free_port(SOCK_STREAM);
  RawUdp probe;
  ASSERT_TRUE(probe.ok());
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: 127.0.0.1:" +
      std::to_string(surface_port) +
      " }\n"
      "  eos: { protocol: tcp, listen: 127.0.0.1:" +
      std::to_string(eos_port) +
      ", allow: [10.0.0.0/8] }\n"
      "routes:\n"
      "  - { from: surface, to: eos }\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  StreamPeer outsider(eos_port, Framing::slip);
  ASSERT_TRUE(outsider.ok()) << outsider.error();
  // Logged as what happened to it, a refused client with its port, not as a dropped message.
  EXPECT_TRUE(daemon.wait_log("eos: refused client 127\\.0\\.0\\.1:" +
                              std::to_string(outsider.local_port()) + ": not in allow \\(acl\\)"))
      << daemon.log();
  EXPECT_TRUE(outsider.wait_closed()) << daemon.log();
  ASSERT_TRUE(probe.send_to(surface_port, message("/to/eos", 1)));
  daemon.signal(SIGUSR1);
  EXPECT_TRUE(daemon.wait_log("endpoint eos: .*acl 1")) << daemon.log();
  EXPECT_TRUE(outsider.frames().empty());
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

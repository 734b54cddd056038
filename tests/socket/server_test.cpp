// SocketServer over real loopback sockets: serving, stopping, waiting, errors, UDP peers.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "socket/event_loop.h"
#include "socket/socket.h"
#include "tests/socket/raw_sockets.h"

namespace oscbridge::socket {
namespace {

using test::Fd;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Collects what callbacks saw, from the server's thread, for the test thread to await.
class Recorder : public Notifier {
 public:
  void socket_error(const std::string& message) override { add(errors_, message); }
  void socket_accepted(SocketClient& client) override {
    add(accepted_, client.peer_address() + ":" + std::to_string(client.peer_port()));
  }
  void socket_message(SocketClient& client, std::string_view message) override {
    if (on_message) on_message(client, message);
    add(messages_, std::string(message));
  }
  void socket_closed(SocketClient&) override { add(closed_, "closed"); }

  std::function<void(SocketClient&, std::string_view)> on_message;

  // Waits until the predicate holds over the recorded lists.
  bool await(const std::function<bool()>& done, std::chrono::milliseconds limit = 3000ms) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, done);
  }
  std::size_t count(const std::vector<std::string>& list) const {
    std::lock_guard lock(mutex_);
    return list.size();
  }
  // Call only inside await() predicates, which run with the lock held.
  std::string joined_messages() const {
    std::string all;
    for (auto& message : messages_) all += message;
    return all;
  }

  std::vector<std::string> errors_, accepted_, messages_, closed_;

 private:
  void add(std::vector<std::string>& list, std::string value) {
    std::lock_guard lock(mutex_);
    list.push_back(std::move(value));
    changed_.notify_all();
  }
  mutable std::mutex mutex_;
  std::condition_variable changed_;
};

std::unique_ptr<SocketServer> make(Protocol protocol, std::string_view address = "127.0.0.1") {
  auto [server, error] = create_server(address, 0, protocol);
  EXPECT_TRUE(server) << error;
  EXPECT_TRUE(error.empty());
  return std::move(server);
}

TEST(TcpServerTest, AcceptsAndReceivesAndAnswers) {
  Recorder recorder;
  auto server = make(Protocol::tcp);
  recorder.on_message = [](SocketClient& client, std::string_view message) {
    client.send(std::string("echo:") + std::string(message));
  };
  EXPECT_FALSE(server->is_running());
  server->run(recorder);
  EXPECT_TRUE(server->is_running());
  EXPECT_TRUE(server->is_open());
  EXPECT_EQ(server->local_address(), "127.0.0.1");

  auto [client, error] = create_client("127.0.0.1", server->local_port());
  ASSERT_TRUE(client) << error;
  ASSERT_TRUE(recorder.await([&] { return !recorder.accepted_.empty(); }));
  EXPECT_EQ(recorder.accepted_[0], "127.0.0.1:" + std::to_string(client->local_port()));
  client->send("hi");
  auto [reply, reply_error] = client->receive(ReceiveMode::bytes(7), 2000);
  ASSERT_TRUE(reply) << reply_error;
  EXPECT_EQ(*reply, "echo:hi");

  client->close();
  EXPECT_TRUE(recorder.await([&] { return !recorder.closed_.empty(); }));
  EXPECT_TRUE(recorder.errors_.empty());
}

TEST(TcpServerTest, StreamBytesArriveInOrderWhateverTheReads) {
  Recorder recorder;
  auto server = make(Protocol::tcp);
  server->run(recorder);
  auto [client, error] = create_client("127.0.0.1", server->local_port());
  ASSERT_TRUE(client) << error;
  std::string expected;
  for (int i = 0; i < 2000; ++i) {
    std::string piece = std::to_string(i) + ",";
    expected += piece;
    client->send(piece);
  }
  EXPECT_TRUE(recorder.await([&] { return recorder.joined_messages() == expected; }))
      << recorder.count(recorder.messages_) << " reads so far";
}

TEST(TcpServerTest, LargeRepliesAreQueuedAndFlushed) {
  // 64 messages of 256 KiB, each of its own byte value: 16 MiB, far more than the socket
  // buffers (a few MiB on loopback) and the 1 MiB queue hold while the client reads nothing.
  // The server must queue what it can and refuse the rest whole.
  constexpr std::size_t kSize = 256 << 10;
  constexpr int kCount = 64;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<bool> taken;  // filled on the server's thread once every send returned
  auto server = make(Protocol::tcp);
  NotifierTable table;
  table.socket_accepted = [&](SocketClient& client) {
    std::vector<bool> results;
    for (int i = 0; i < kCount; ++i) {
      results.push_back(client.send(std::string(kSize, static_cast<char>('a' + i))).success);
    }
    std::lock_guard lock(mutex);
    taken = std::move(results);
    changed.notify_all();
  };
  // Asked once the client has everything: a marker that can only come after the queue.
  table.socket_message = [](SocketClient& client, std::string_view) { client.send("end"); };
  server->run(table);
  auto [client, error] = create_client("127.0.0.1", server->local_port());
  ASSERT_TRUE(client) << error;
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, 10s, [&] { return !taken.empty(); }));
  }
  std::string expected;
  int refused = 0;
  for (int i = 0; i < kCount; ++i) {
    if (taken[i]) {
      expected += std::string(kSize, static_cast<char>('a' + i));
    } else {
      ++refused;
    }
  }
  EXPECT_GT(refused, 0) << "16 MiB taken by a connection whose peer reads nothing: no limit";
  EXPECT_GE(expected.size(), 2 * kSize) << "nothing was queued beyond the first message";
  auto [data, receive_error] = client->receive(ReceiveMode::bytes(expected.size()), 10000);
  ASSERT_TRUE(data) << receive_error;
  auto differs = std::mismatch(data->begin(), data->end(), expected.begin()).first;
  EXPECT_TRUE(*data == expected) << "the bytes of the accepted messages differ from offset "
                                 << (differs - data->begin())
                                 << ": a refused message was partly sent, or one was cut";
  // Nothing of the refused messages follows: the next bytes are the marker.
  ASSERT_TRUE(client->send("more").success);
  auto [marker, marker_error] = client->receive(ReceiveMode::bytes(3), 10000);
  ASSERT_TRUE(marker) << marker_error;
  EXPECT_EQ(*marker, "end");
}

TEST(TcpServerTest, StopFromAnotherThreadEndsWait) {
  auto server = make(Protocol::tcp);
  server->run(NotifierTable{});
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    server->stop();
  });
  auto start = Clock::now();
  server->wait(20000);
  auto took = Clock::now() - start;
  stopper.join();
  EXPECT_LT(took, 10s) << "wait() ran to its timeout instead of ending at stop()";
  EXPECT_FALSE(server->is_running());
  EXPECT_TRUE(server->is_open());
}

TEST(TcpServerTest, WaitReturnsAfterItsTimeoutWhileServing) {
  Recorder recorder;
  auto server = make(Protocol::tcp);
  server->run(recorder);
  std::thread talker([&] {
    auto [client, error] = create_client("127.0.0.1", server->local_port());
    if (client) client->send("during wait");
  });
  auto start = Clock::now();
  server->wait(300);
  auto took = Clock::now() - start;
  talker.join();
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 10s);
  EXPECT_TRUE(server->is_running());
  EXPECT_TRUE(recorder.await([&] { return !recorder.messages_.empty(); }));
}

TEST(TcpServerTest, StopInsideACallbackStopsFurtherCallbacks) {
  std::atomic<int> calls{0};
  auto server = make(Protocol::tcp);
  NotifierTable table;
  table.socket_message = [&](SocketClient&, std::string_view) {
    ++calls;
    server->stop();
  };
  server->run(table);
  auto [client, error] = create_client("127.0.0.1", server->local_port());
  ASSERT_TRUE(client) << error;
  client->send("one");
  server->wait(3000);
  EXPECT_FALSE(server->is_running());
  client->send("two");

  // run() again serves the connection that stayed open, including what queued up: "two"
  // reaches the new callbacks, so the stopped server did not pass it to the old ones.
  std::mutex mutex;
  std::condition_variable changed;
  std::string later;
  NotifierTable again;
  again.socket_message = [&](SocketClient&, std::string_view message) {
    std::lock_guard lock(mutex);
    later += message;
    changed.notify_all();
  };
  server->run(again);
  {
    std::unique_lock lock(mutex);
    EXPECT_TRUE(changed.wait_for(lock, 10s, [&] { return later == "two"; })) << later;
  }
  EXPECT_EQ(calls.load(), 1) << "a callback of the stopped server ran";
}

TEST(TcpServerTest, ClosingAConnectionInsideItsCallbackIsSafe) {
  Recorder recorder;
  auto server = make(Protocol::tcp);
  recorder.on_message = [](SocketClient& client, std::string_view) { client.close(); };
  server->run(recorder);
  auto [client, error] = create_client("127.0.0.1", server->local_port());
  ASSERT_TRUE(client) << error;
  client->send("bye");
  auto [none, receive_error] = client->receive(ReceiveMode::all(), 2000);
  EXPECT_EQ(receive_error, "disconnected");
  EXPECT_TRUE(recorder.await([&] { return !recorder.closed_.empty(); }));
}

TEST(TcpServerTest, DestroyingARunningServerStopsIt) {
  Recorder recorder;
  std::uint16_t port;
  std::unique_ptr<SocketClient> client;
  {
    auto server = make(Protocol::tcp);
    server->run(recorder);
    port = server->local_port();
    auto connected = create_client("127.0.0.1", port);
    ASSERT_TRUE(connected.client) << connected.error;
    client = std::move(connected.client);
    ASSERT_TRUE(recorder.await([&] { return !recorder.accepted_.empty(); }));
  }
  auto [none, error] = client->receive(ReceiveMode::all(), 2000);
  EXPECT_EQ(error, "disconnected");
  auto [refused, refused_error] = create_client("127.0.0.1", port, Protocol::tcp, 1000);
  EXPECT_FALSE(refused);
}

TEST(TcpServerTest, CloseReleasesThePortAndRunAfterCloseThrows) {
  auto server = make(Protocol::tcp);
  server->run(NotifierTable{});
  auto port = server->local_port();
  server->close();
  server->close();
  EXPECT_FALSE(server->is_open());
  EXPECT_FALSE(server->is_running());
  EXPECT_EQ(server->local_port(), port);
  EXPECT_THROW(server->run(NotifierTable{}), SocketClosedError);
  auto [again, error] = create_server("127.0.0.1", port, Protocol::tcp);
  EXPECT_TRUE(again) << error;
}

TEST(TcpServerTest, AddressInUseIsReported) {
  auto server = make(Protocol::tcp);
  auto [second, error] = create_server("127.0.0.1", server->local_port(), Protocol::tcp);
  EXPECT_FALSE(second);
  EXPECT_EQ(error, "Address already in use");
}

TEST(TcpServerTest, AnyAddressServesIPv4AndIPv6) {
  Recorder recorder;
  auto server = make(Protocol::tcp, "");
  server->run(recorder);
  for (const char* host : {"127.0.0.1", "::1"}) {
    auto [client, error] = create_client(host, server->local_port());
    ASSERT_TRUE(client) << host << ": " << error;
  }
  EXPECT_TRUE(recorder.await([&] { return recorder.accepted_.size() == 2; }));
  EXPECT_EQ(recorder.accepted_[0].rfind("127.0.0.1:", 0), 0u) << recorder.accepted_[0];
  EXPECT_EQ(recorder.accepted_[1].rfind("::1:", 0), 0u) << recorder.accepted_[1];
}

TEST(TcpServerTest, ReadErrorsReachSocketErrorAndServingContinues) {
  Recorder recorder;
  auto server = make(Protocol::tcp);
  server->run(recorder);
  {
    Fd rude = test::connect_to(AF_INET, SOCK_STREAM, server->local_port());
    ASSERT_TRUE(recorder.await([&] { return recorder.accepted_.size() == 1; }));
    // Unread data plus SO_LINGER 0 makes the close a reset the server's read reports.
    linger hard{1, 0};
    ::setsockopt(rude.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  }
  ASSERT_TRUE(recorder.await([&] { return !recorder.errors_.empty(); }));
  EXPECT_NE(recorder.errors_[0].find("Connection reset by peer"), std::string::npos)
      << recorder.errors_[0];
  auto [client, error] = create_client("127.0.0.1", server->local_port());
  ASSERT_TRUE(client) << error;
  client->send("still serving");
  EXPECT_TRUE(recorder.await([&] { return recorder.joined_messages() == "still serving"; }));
}

TEST(TcpServerTest, RunningOutOfDescriptorsIsReportedAndServingContinues) {
  // Recorded through a NotifierTable into a plain struct: with no descriptor left, UBSan's
  // check of a polymorphic object's type cannot run, and would report a false error.
  struct Events {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> errors;
    int accepted = 0;
    bool await(const std::function<bool()>& done) {
      std::unique_lock lock(mutex);
      return changed.wait_for(lock, 3000ms, done);
    }
  } events;
  NotifierTable table;
  table.socket_error = [&](const std::string& message) {
    std::lock_guard lock(events.mutex);
    events.errors.push_back(message);
    events.changed.notify_all();
  };
  table.socket_accepted = [&](SocketClient&) {
    std::lock_guard lock(events.mutex);
    ++events.accepted;
    events.changed.notify_all();
  };
  auto server = make(Protocol::tcp);
  server->run(table);
  // The client socket exists before the descriptors run out; connecting needs no new one.
  Fd early(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  // A low soft limit keeps the number of descriptors to use up small.
  rlimit original{};
  ::getrlimit(RLIMIT_NOFILE, &original);
  rlimit lowered = original;
  lowered.rlim_cur = std::min<rlim_t>(original.rlim_cur, 512);
  ::setrlimit(RLIMIT_NOFILE, &lowered);
  std::vector<Fd> hogs;
  for (;;) {
    int fd = ::dup(0);
    if (fd < 0) break;
    hogs.emplace_back(fd);
  }
  ASSERT_EQ(errno, EMFILE);
  socklen_t length;
  auto address = test::loopback(AF_INET, server->local_port(), length);
  ASSERT_EQ(::connect(early.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_TRUE(events.await([&] { return !events.errors.empty(); }));
  EXPECT_NE(events.errors[0].find("Too many open files"), std::string::npos) << events.errors[0];
  // The pending connection was accepted and dropped rather than left to spin the loop.
  EXPECT_EQ(test::read_some(early, 1, 2000), "");
  hogs.clear();
  ::setrlimit(RLIMIT_NOFILE, &original);
  auto [client, error] = create_client("127.0.0.1", server->local_port());
  ASSERT_TRUE(client) << error;
  EXPECT_TRUE(events.await([&] { return events.accepted == 1; }));
}

TEST(UdpServerTest, PeerIsTheSenderAndAnswersFromTheServerPort) {
  for (const char* host : {"127.0.0.1", "::1"}) {
    std::vector<std::pair<std::string, std::uint16_t>> peers;
    std::mutex mutex;
    auto server = make(Protocol::udp, host);
    NotifierTable table;
    table.socket_accepted = [&](SocketClient&) { ADD_FAILURE() << "accepted on UDP"; };
    table.socket_message = [&](SocketClient& peer, std::string_view message) {
      {
        std::lock_guard lock(mutex);
        peers.emplace_back(peer.peer_address(), peer.peer_port());
      }
      peer.send("re:" + std::string(message));
    };
    server->run(table);
    int family = std::string(host) == "::1" ? AF_INET6 : AF_INET;
    Fd first = test::bound_socket(family, SOCK_DGRAM);
    Fd second = test::bound_socket(family, SOCK_DGRAM);
    for (auto* sender : {&first, &second}) {
      socklen_t length;
      auto address = test::loopback(family, server->local_port(), length);
      ::sendto(sender->get(), "x", 1, 0, reinterpret_cast<sockaddr*>(&address), length);
      sockaddr_storage from{};
      socklen_t from_length = sizeof from;
      char reply[16] = {};
      timeval timeout{2, 0};
      ::setsockopt(sender->get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      ssize_t got = ::recvfrom(sender->get(), reply, sizeof reply, 0,
                               reinterpret_cast<sockaddr*>(&from), &from_length);
      ASSERT_EQ(got, 4) << host;
      EXPECT_EQ(std::string(reply, 4), "re:x");
      auto from_port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&from)->sin6_port
                                                : reinterpret_cast<sockaddr_in*>(&from)->sin_port);
      EXPECT_EQ(from_port, server->local_port()) << "reply must come from the server's port";
    }
    std::lock_guard lock(mutex);
    ASSERT_EQ(peers.size(), 2u);
    EXPECT_EQ(peers[0], std::make_pair(std::string(host), test::bound_port(first.get())));
    EXPECT_EQ(peers[1], std::make_pair(std::string(host), test::bound_port(second.get())));
  }
}

TEST(UdpServerTest, EmptyAndLargestDatagramsArriveWhole) {
  Recorder recorder;
  auto server = make(Protocol::udp);
  server->run(recorder);
  auto [client, error] = create_client("127.0.0.1", server->local_port(), Protocol::udp);
  ASSERT_TRUE(client) << error;
  std::string big(65507, 'b');
  big.back() = 'e';
  EXPECT_TRUE(client->send("").success);
  EXPECT_TRUE(client->send(big).success);
  ASSERT_TRUE(recorder.await([&] { return recorder.messages_.size() == 2; }));
  EXPECT_EQ(recorder.messages_[0], "");
  EXPECT_EQ(recorder.messages_[1], big);
  EXPECT_TRUE(recorder.errors_.empty());
}

TEST(UdpServerTest, ManyDatagramsInABurstAllArrive) {
  Recorder recorder;
  auto server = make(Protocol::udp);
  server->run(recorder);
  auto [client, error] = create_client("127.0.0.1", server->local_port(), Protocol::udp);
  ASSERT_TRUE(client) << error;
  for (int i = 0; i < 500; ++i) {
    client->send("d" + std::to_string(i));
    // Bursts of 50, each sent once the server had the last: loopback drops what overflows
    // the receive buffer (by design of UDP), and a loaded machine may not run the server
    // for a while.
    if (i % 50 == 49) {
      ASSERT_TRUE(
          recorder.await([&] { return recorder.messages_.size() == std::size_t(i) + 1; }, 10000ms))
          << recorder.count(recorder.messages_) << " of " << i + 1 << " arrived";
    }
  }
  ASSERT_TRUE(recorder.await([&] { return recorder.messages_.size() == 500; }));
  for (int i = 0; i < 500; ++i) EXPECT_EQ(recorder.messages_[i], "d" + std::to_string(i));
}

// More datagrams waiting than one wakeup reads (a batch of 64): with an edge-triggered entry,
// the rest must still be read although no new datagram arrives to wake the loop.
TEST(UdpServerTest, AQueueLongerThanOneWakeupReadsIsReadToTheEnd) {
  Recorder recorder;
  auto server = make(Protocol::udp);
  auto [client, error] = create_client("127.0.0.1", server->local_port(), Protocol::udp);
  ASSERT_TRUE(client) << error;
  // Over three wakeups' worth, and within the receive buffer even where the test cannot raise
  // it beyond net.core.rmem_max (not root): ~200 KiB of kernel memory.
  constexpr int kQueued = 200;
  for (int i = 0; i < kQueued; ++i) ASSERT_TRUE(client->send("q" + std::to_string(i)).success);
  server->run(recorder);
  ASSERT_TRUE(recorder.await([&] { return recorder.messages_.size() == kQueued; }, 10000ms))
      << recorder.count(recorder.messages_) << " of " << kQueued << " read";
  for (int i = 0; i < kQueued; ++i) EXPECT_EQ(recorder.messages_[i], "q" + std::to_string(i));
}

TEST(UdpServerTest, SendToReachesAnyAddressFromTheServerPort) {
  auto server = make(Protocol::udp);
  Fd target = test::bound_socket(AF_INET, SOCK_DGRAM);
  socklen_t length;
  auto destination = test::loopback(AF_INET, test::bound_port(target.get()), length);
  auto [ok, error] = server->send_to(destination, "unsolicited");
  ASSERT_TRUE(ok) << error;
  sockaddr_storage from{};
  socklen_t from_length = sizeof from;
  char buffer[32];
  timeval timeout{2, 0};
  ::setsockopt(target.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ssize_t got = ::recvfrom(target.get(), buffer, sizeof buffer, 0,
                           reinterpret_cast<sockaddr*>(&from), &from_length);
  ASSERT_EQ(got, 11);
  EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(&from)->sin_port), server->local_port());
  auto tcp = make(Protocol::tcp);
  EXPECT_FALSE(tcp->send_to(destination, "x").success);
}

// The descriptor of this process's UDP socket bound to port (via /proc/net/udp's inode), or -1.
int udp_socket_fd(std::uint16_t port) {
  std::ifstream table("/proc/net/udp");
  std::string line;
  std::getline(table, line);  // the header
  char wanted[8];
  std::snprintf(wanted, sizeof wanted, ":%04X", port);
  std::string inode;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
        timeout >> inode;
    if (local.size() > 5 && local.substr(local.size() - 5) == wanted) break;
    inode.clear();
  }
  if (inode.empty()) return -1;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    auto target = std::filesystem::read_symlink(entry.path(), error);
    if (!error && target.string() == "socket:[" + inode + "]") {
      return std::stoi(entry.path().filename().string());
    }
  }
  return -1;
}

// Bytes waiting in the receive queue of the UDP socket bound to port (/proc/net/udp).
long udp_receive_queue(std::uint16_t port) {
  std::ifstream table("/proc/net/udp");
  std::string line;
  std::getline(table, line);
  char wanted[8];
  std::snprintf(wanted, sizeof wanted, ":%04X", port);
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;
    if (local.size() > 5 && local.substr(local.size() - 5) == wanted) {
      return std::stol(queues.substr(queues.find(':') + 1), nullptr, 16);
    }
  }
  return -1;
}

// Whether any epoll instance of this process watches fd (the "tfd:" lines of its fdinfo).
bool watched_by_an_epoll(int fd) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fdinfo")) {
    std::ifstream info(entry.path());
    std::string line;
    while (std::getline(info, line)) {
      int watched = -1;
      if (std::sscanf(line.c_str(), "tfd: %d", &watched) == 1 && watched == fd) return true;
    }
  }
  return false;
}

TEST(UdpSenderTest, SendsBatchesNobodyReadsAndBoundsWhatComesBack) {
  EventLoop loop;
  auto [sender, error] = create_udp_sender(AF_INET, loop);
  ASSERT_TRUE(sender) << error;
  Fd target = test::bound_socket(AF_INET, SOCK_DGRAM);
  socklen_t length;
  auto destination = test::loopback(AF_INET, test::bound_port(target.get()), length);
  std::vector<SocketServer::Datagram> batch;
  for (const char* text : {"one", "two", "three"}) batch.push_back({&destination, text});
  std::string send_error;
  ASSERT_EQ(sender->send_many(batch.data(), batch.size(), send_error), 3u) << send_error;
  timeval timeout{2, 0};
  ::setsockopt(target.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  for (const char* text : {"one", "two", "three"}) {
    sockaddr_storage from{};
    socklen_t from_length = sizeof from;
    char buffer[16];
    ssize_t got = ::recvfrom(target.get(), buffer, sizeof buffer, 0,
                             reinterpret_cast<sockaddr*>(&from), &from_length);
    ASSERT_EQ(std::string(buffer, got > 0 ? got : 0), text);
    EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(&from)->sin_port), sender->local_port());
  }

  // The loop never watches it (a watched socket's every freed datagram would wake its entry)...
  int fd = udp_socket_fd(sender->local_port());
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(watched_by_an_epoll(fd));
  // ...and what peers send to its port stays within the kernel's minimum buffer: 1 MiB sent
  // there leaves a few KiB waiting (the default buffer would hold 200 KiB, the daemon's 4 MiB).
  auto back = test::loopback(AF_INET, sender->local_port(), length);
  std::string answer(1000, 'a');
  for (int i = 0; i < 1000; ++i) {
    ::sendto(target.get(), answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&back),
             length);
  }
  const long waiting = udp_receive_queue(sender->local_port());
  EXPECT_GE(waiting, 0);
  EXPECT_LE(waiting, 16 << 10);
}

// How many bytes a server's connection takes before "send queue full" when the peer never
// reads: the kernel's buffers plus the server's queue.
std::size_t bytes_taken_before_full(std::optional<std::size_t> queue_limit) {
  std::atomic<int> refused{0};
  std::atomic<std::size_t> accepted_bytes{0};
  std::atomic<bool> done{false};
  auto server = make(Protocol::tcp);
  if (queue_limit) server->set_send_queue_limit(*queue_limit);
  NotifierTable table;
  table.socket_accepted = [&](SocketClient& client) {
    std::string chunk(16 << 10, 'z');
    for (int i = 0; i < 4000; ++i) {
      auto result = client.send(chunk);
      if (!result.success) {
        EXPECT_EQ(result.error, "send queue full");
        ++refused;
        break;
      }
      accepted_bytes += chunk.size();
    }
    done = true;
  };
  server->run(table);
  Fd silent = test::connect_to(AF_INET, SOCK_STREAM, server->local_port());
  for (int i = 0; i < 500 && !done; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(refused.load(), 1);
  server->close();
  return accepted_bytes.load();
}

TEST(TcpServerTest, SendQueueLimitRefusesWholeMessagesWhenThePeerStopsReading) {
  // The kernel's share is the same both times, so the difference is the queue limit.
  std::size_t small = bytes_taken_before_full(64 << 10);
  std::size_t large = bytes_taken_before_full(std::nullopt);  // 1 MiB by default
  EXPECT_GT(large, small + (512 << 10)) << "small " << small << ", default " << large;
}

// Voluntary context switches of each event-loop thread of this process, by thread id: a
// thread that sleeps (in epoll_wait, say) and wakes up counts one each time it goes back to
// sleep. Only loop threads (by name): a sanitizer's runtime has threads of its own that poll.
std::map<std::string, long> voluntary_switches() {
  std::map<std::string, long> threads;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string name;
    std::getline(std::ifstream(task.path() / "comm"), name);
    if (name != kLoopThreadName) continue;
    std::ifstream status(task.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      constexpr std::string_view kKey = "voluntary_ctxt_switches:";
      if (line.rfind(kKey, 0) == 0) {
        threads[task.path().filename().string()] = std::stol(line.substr(kKey.size()));
      }
    }
  }
  return threads;
}

TEST(ServerIdleTest, AnIdleServerUsesNoCpu) {
  auto existing = voluntary_switches();
  auto tcp = make(Protocol::tcp);
  auto udp = make(Protocol::udp);
  tcp->run(NotifierTable{});
  udp->run(NotifierTable{});
  // The servers' threads are the ones that were not there before; they count their
  // wakeups over two idle seconds. Sleeping in epoll_wait with no timeout, they wake not at
  // all (a few are allowed for starting up); a loop polling every millisecond would wake
  // about 2000 times each, one polling every 100 ms 20 times.
  std::map<std::string, long> before;
  for (auto& [thread, count] : voluntary_switches()) {
    if (!existing.count(thread)) before[thread] = count;
  }
  ASSERT_FALSE(before.empty()) << "the servers serve on no thread of their own";
  std::this_thread::sleep_for(2s);
  auto after = voluntary_switches();
  long wakeups = 0;
  for (auto& [thread, count] : before) {
    auto now = after.find(thread);
    if (now != after.end()) wakeups += now->second - count;
  }
  EXPECT_LE(wakeups, 6) << before.size() << " server threads woke " << wakeups
                        << " times in 2 s of idleness: a polling loop";
}

}  // namespace
}  // namespace oscbridge::socket

// Connection and Listener over real loopback sockets: bounded reads, gathered writes, the
// high-water mark, ids, close reasons, destruction inside callbacks, running out of
// descriptors. (Connector and Resolver: connector_test.cpp.)
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "socket/connection.h"
#include "socket/connector.h"
#include "socket/event_loop.h"
#include "socket/resolve.h"
#include "socket/resolver.h"
#include "tests/socket/loop_helpers.h"
#include "tests/socket/raw_sockets.h"

namespace oscbridge::socket {
namespace {

using test::eventually;
using test::Fd;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A connected TCP pair: `ours` (non-blocking, for Connection::adopt) and the raw `peer`.
struct TcpPair {
  Fd ours;
  Fd peer;
};

TcpPair tcp_pair(int peer_receive_buffer = 0) {
  Fd listener = test::bound_socket(AF_INET, SOCK_STREAM);
  Fd peer(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (peer_receive_buffer > 0) {  // before connect, so the window is small from the start
    ::setsockopt(peer.get(), SOL_SOCKET, SO_RCVBUF, &peer_receive_buffer,
                 sizeof peer_receive_buffer);
  }
  socklen_t length;
  auto address = test::loopback(AF_INET, test::bound_port(listener.get()), length);
  EXPECT_EQ(::connect(peer.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
  Fd ours = test::accept_one(listener);
  ::fcntl(ours.get(), F_SETFL, ::fcntl(ours.get(), F_GETFL) | O_NONBLOCK);
  return {std::move(ours), std::move(peer)};
}

std::string pattern(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + i % 23);
  return out;
}

// The epoll mask the process's (only) epoll set holds for fd, from /proc/self/fdinfo.
std::optional<std::uint32_t> epoll_mask_of(int fd) {
  DIR* dir = ::opendir("/proc/self/fd");
  std::optional<std::uint32_t> found;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    char target[64] = "";
    std::string link = "/proc/self/fd/" + name;
    ssize_t size = ::readlink(link.c_str(), target, sizeof target - 1);
    if (size <= 0 || std::string(target, size) != "anon_inode:[eventpoll]") continue;
    std::ifstream info("/proc/self/fdinfo/" + name);
    std::string line;
    while (std::getline(info, line)) {
      std::istringstream words(line);
      std::string tag, events_tag;
      int tfd = -1;
      std::string events;
      if (!(words >> tag >> tfd >> events_tag >> events) || tag != "tfd:") continue;
      if (tfd == fd) found = static_cast<std::uint32_t>(std::stoul(events, nullptr, 16));
    }
  }
  ::closedir(dir);
  return found;
}

class ConnectionTest : public ::testing::Test {
 protected:
  void TearDown() override {
    loop.run_sync([&] { connection.reset(); });
  }
  EventLoop loop;
  std::unique_ptr<Connection> connection;  // loop thread
};

TEST_F(ConnectionTest, AFloodIsReadInBoundedTurnsThatLetOtherDescriptorsIn) {
  auto pair = tcp_pair();
  ConnectionLimits limits;
  limits.read_chunk = 4096;
  limits.reads_per_wakeup = 2;
  const std::size_t total = 8 << 20;
  const std::string expected = pattern(total);
  // Loop-thread state.
  std::size_t received = 0;
  std::size_t since_other_turn = 0;
  std::size_t most_between_turns = 0;
  std::size_t other_turns = 0;
  bool in_order = true;
  // An always-readable descriptor: its handler runs in every round the loop makes.
  Fd other(::eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK));
  loop.run_sync([&] {
    loop.watch(other.get(), EPOLLIN, [&](std::uint32_t) {
      ++other_turns;
      since_other_turn = 0;
    });
    Connection::Handlers handlers;
    handlers.on_data = [&](Connection&, std::string_view data) {
      if (data != std::string_view(expected).substr(received, data.size())) in_order = false;
      received += data.size();
      since_other_turn += data.size();
      most_between_turns = std::max(most_between_turns, since_other_turn);
    };
    connection = Connection::adopt(loop, pair.ours.release(), limits, std::move(handlers));
  });
  std::thread writer([&] { test::write_all(pair.peer, expected); });
  EXPECT_TRUE(eventually(
      loop, [&] { return received == total; }, 60s));
  writer.join();
  loop.run_sync([&] {
    loop.unwatch(other.get());
    EXPECT_TRUE(in_order);
    EXPECT_GT(other_turns, total / (2 * 4096) / 2);
    EXPECT_LE(most_between_turns, 2u * 4096) << "one wakeup read more than its turn";
  });
}

TEST_F(ConnectionTest, OutputAPeerDoesNotReadIsQueuedAndFlushedInOrderWhenItReads) {
  auto pair = tcp_pair(32 << 10);
  int small = 32 << 10;
  ::setsockopt(pair.ours.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  int fd = pair.ours.get();
  const std::string expected = pattern(4 << 20);
  ConnectionLimits limits;
  limits.queue_limit = 16 << 20;
  loop.run_sync([&] {
    connection = Connection::adopt(loop, pair.ours.release(), limits);
    for (std::size_t offset = 0; offset < expected.size(); offset += 100'000) {
      ASSERT_FALSE(connection->send(std::string_view(expected).substr(offset, 100'000)));
    }
  });
  // The round's write took what the kernel had room for; the rest waits for EPOLLOUT.
  ASSERT_TRUE(eventually(loop, [&] {
    return connection->queued_bytes() > 0 && connection->queued_bytes() < expected.size();
  }));
  std::optional<std::uint32_t> mask;
  loop.run_sync([&] { mask = epoll_mask_of(fd); });
  ASSERT_TRUE(mask);
  EXPECT_TRUE(*mask & EPOLLOUT) << "output pending but not watched for EPOLLOUT";
  std::string got = test::read_some(pair.peer, expected.size(), 20000);
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected) << "bytes lost or reordered";
  ASSERT_TRUE(eventually(loop, [&] { return connection->queued_bytes() == 0; }));
  // Watching EPOLLOUT with nothing to write would wake the loop for nothing, forever.
  ASSERT_TRUE(eventually(loop, [&] {
    mask = epoll_mask_of(fd);
    return mask && !(*mask & EPOLLOUT);
  })) << "EPOLLOUT still watched with no output pending";
}

TEST_F(ConnectionTest, APeerThatResetsLeavesTheUnwrittenBytesCountableInOnClose) {
  auto pair = tcp_pair(4 << 10);
  int small = 4 << 10;
  ::setsockopt(pair.ours.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  ConnectionLimits limits;
  limits.queue_limit = 16 << 20;
  std::atomic<std::size_t> unwritten_at_close{0};
  std::atomic<bool> closed{false};
  loop.run_sync([&] {
    connection = Connection::adopt(loop, pair.ours.release(), limits);
    Connection::Handlers handlers;
    handlers.on_close = [&](Connection& closing, std::error_code) {
      unwritten_at_close = closing.queued_bytes();
      closed = true;
    };
    connection->set_handlers(std::move(handlers));
    ASSERT_FALSE(connection->send(pattern(2 << 20)));
  });
  ASSERT_TRUE(eventually(loop, [&] {
    return connection->queued_bytes() > 0 && connection->queued_bytes() < (2u << 20);
  }));
  linger reset{1, 0};
  ::setsockopt(pair.peer.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  pair.peer = Fd(-1);  // closes with a reset
  ASSERT_TRUE(eventually(loop, [&] { return closed.load(); }));
  // What the kernel never took is what the owner lost; it is still known in on_close.
  EXPECT_GT(unwritten_at_close.load(), 1u << 20);
  EXPECT_LT(unwritten_at_close.load(), 2u << 20);
}

TEST_F(ConnectionTest, ManySendsInOneRoundLeaveAsOneWrite) {
  // A SEQPACKET peer sees each write as one record, so records count writes.
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
  Fd peer(fds[1]);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  std::string all;
  loop.run_sync([&] {
    connection = Connection::adopt(loop, fds[0], ConnectionLimits{});
    for (int i = 0; i < 50; ++i) {
      std::string message = "m" + std::to_string(i) + ";";
      all += message;
      ASSERT_FALSE(connection->send(message));
    }
    EXPECT_EQ(connection->queued_bytes(), all.size()) << "written before the round ended";
  });
  pollfd readable{peer.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&readable, 1, 10000), 1);
  char record[65536];
  ssize_t size = ::recv(peer.get(), record, sizeof record, 0);
  ASSERT_GT(size, 0);
  EXPECT_EQ(std::string(record, size), all) << "the first of more than one write";
}

TEST_F(ConnectionTest, TheQueueLimitRefusesWholeMessagesAndQueuesNothingOfThem) {
  auto pair = tcp_pair();
  auto second = tcp_pair();
  ConnectionLimits limits;
  limits.queue_limit = 1000;
  std::unique_ptr<Connection> other;
  loop.run_sync([&] {
    connection = Connection::adopt(loop, pair.ours.release(), limits);
    EXPECT_FALSE(connection->send(std::string(600, 'a')));
    EXPECT_EQ(connection->send(std::string(600, 'b')), Errc::queue_full);
    EXPECT_EQ(connection->queued_bytes(), 600u);
    EXPECT_FALSE(connection->send(std::string(400, 'c')));
    EXPECT_EQ(connection->send("d"), Errc::queue_full);
    EXPECT_EQ(connection->queued_bytes(), 1000u);
    // Nothing queued: a message over the limit is taken, so any frame can go out.
    other = Connection::adopt(loop, second.ours.release(), limits);
    EXPECT_FALSE(other->send(std::string(5000, 'e')));
  });
  EXPECT_EQ(test::read_some(pair.peer, 1001, 1000), std::string(600, 'a') + std::string(400, 'c'));
  EXPECT_EQ(test::read_some(second.peer, 5000), std::string(5000, 'e'));
  loop.run_sync([&] {
    other->close();
    EXPECT_EQ(other->send("x"), Errc::closed);
    other.reset();
  });
}

TEST_F(ConnectionTest, OnCloseSaysThePeerClosed) {
  auto pair = tcp_pair();
  std::optional<std::error_code> reason;
  loop.run_sync([&] {
    Connection::Handlers handlers;
    handlers.on_close = [&](Connection& closed, std::error_code error) {
      EXPECT_FALSE(closed.is_open());
      reason = error;
    };
    connection = Connection::adopt(loop, pair.ours.release(), ConnectionLimits{}, handlers);
  });
  pair.peer.reset();
  ASSERT_TRUE(eventually(loop, [&] { return reason.has_value(); }));
  EXPECT_EQ(*reason, Errc::peer_closed) << reason->message();
}

TEST_F(ConnectionTest, OnCloseSaysTheConnectionWasReset) {
  auto pair = tcp_pair();
  std::optional<std::error_code> reason;
  loop.run_sync([&] {
    Connection::Handlers handlers;
    handlers.on_close = [&](Connection&, std::error_code error) { reason = error; };
    connection = Connection::adopt(loop, pair.ours.release(), ConnectionLimits{}, handlers);
  });
  linger hard{1, 0};  // close with a reset rather than a FIN
  ::setsockopt(pair.peer.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  pair.peer.reset();
  ASSERT_TRUE(eventually(loop, [&] { return reason.has_value(); }));
  EXPECT_EQ(*reason, std::errc::connection_reset) << reason->message();
}

TEST_F(ConnectionTest, DestroyingTheConnectionInsideOnDataIsSafe) {
  auto pair = tcp_pair();
  ConnectionLimits limits;
  limits.read_chunk = 16;  // many chunks are pending when the first one destroys it
  int calls = 0;
  loop.run_sync([&] {
    Connection::Handlers handlers;
    handlers.on_data = [&](Connection&, std::string_view) {
      ++calls;
      connection.reset();
    };
    connection = Connection::adopt(loop, pair.ours.release(), limits, handlers);
  });
  test::write_all(pair.peer, std::string(1000, 'x'));
  ASSERT_TRUE(eventually(loop, [&] { return connection == nullptr; }));
  EXPECT_EQ(test::read_some(pair.peer, 1, 5000), "");  // closed by the destruction
  loop.run_sync([&] { EXPECT_EQ(calls, 1); });
}

TEST_F(ConnectionTest, DestroyingTheConnectionInsideOnCloseIsSafe) {
  auto pair = tcp_pair();
  int calls = 0;
  loop.run_sync([&] {
    Connection::Handlers handlers;
    handlers.on_data = [&](Connection&, std::string_view) { ++calls; };
    handlers.on_close = [&](Connection&, std::error_code) {
      ++calls;
      connection.reset();
    };
    connection = Connection::adopt(loop, pair.ours.release(), ConnectionLimits{}, handlers);
  });
  test::write_all(pair.peer, "last words");
  pair.peer.reset();
  ASSERT_TRUE(eventually(loop, [&] { return connection == nullptr; }));
  loop.run_sync([&] { EXPECT_EQ(calls, 2); });
}

// Accepted connections, kept on the loop thread.
struct Accepted {
  std::vector<std::unique_ptr<Connection>> connections;
  std::vector<std::string> errors;
};

std::unique_ptr<Listener> open_listener(EventLoop& loop, Accepted& accepted,
                                        std::string_view host = "127.0.0.1") {
  std::unique_ptr<Listener> listener;
  loop.run_sync([&] {
    Listener::Handlers handlers;
    handlers.on_accept = [&](std::unique_ptr<Connection> connection) {
      accepted.connections.push_back(std::move(connection));
    };
    handlers.on_error = [&](const std::string& message) { accepted.errors.push_back(message); };
    auto result = Listener::open(loop, host, 0, ConnectionLimits{}, handlers);
    EXPECT_TRUE(result.listener) << result.message;
    listener = std::move(result.listener);
  });
  return listener;
}

TEST(ListenerTest, IdsAreNeverReusedWhenDescriptorsAre) {
  EventLoop loop;
  Accepted accepted;
  auto listener = open_listener(loop, accepted);
  ASSERT_TRUE(listener);
  Fd first = test::connect_to(AF_INET, SOCK_STREAM, listener->local_port());
  ASSERT_TRUE(eventually(loop, [&] { return accepted.connections.size() == 1; }));
  // Made before the first connection goes, so that the accept gets its descriptor number.
  Fd second_peer(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int first_fd = -1;
  ConnectionId first_id = 0;
  loop.run_sync([&] {
    first_fd = accepted.connections[0]->native_handle();
    first_id = accepted.connections[0]->id();
    accepted.connections[0].reset();
  });
  socklen_t length;
  auto address = test::loopback(AF_INET, listener->local_port(), length);
  ASSERT_EQ(::connect(second_peer.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_TRUE(eventually(loop, [&] { return accepted.connections.size() == 2; }));
  loop.run_sync([&] {
    ASSERT_EQ(accepted.connections[1]->native_handle(), first_fd) << "descriptor not reused";
    EXPECT_NE(accepted.connections[1]->id(), first_id);
    EXPECT_EQ(accepted.connections[1]->peer_text(),
              "127.0.0.1:" + std::to_string(test::bound_port(second_peer.get())));
    accepted.connections.clear();
    listener.reset();
  });
}

TEST(ListenerTest, AnyAddressAcceptsIPv4AndIPv6) {
  EventLoop loop;
  Accepted accepted;
  auto listener = open_listener(loop, accepted, "");
  ASSERT_TRUE(listener);
  Fd v4 = test::connect_to(AF_INET, SOCK_STREAM, listener->local_port());
  Fd v6 = test::connect_to(AF_INET6, SOCK_STREAM, listener->local_port());
  EXPECT_TRUE(eventually(loop, [&] { return accepted.connections.size() == 2; }));
  loop.run_sync([&] {
    accepted.connections.clear();
    listener.reset();
  });
}

TEST(ListenerTest, NamesAreRefusedAndBusyPortsReported) {
  EventLoop loop;
  Accepted accepted;
  auto listener = open_listener(loop, accepted);
  loop.run_sync([&] {
    auto named = Listener::open(loop, "localhost", 0, ConnectionLimits{}, {});
    EXPECT_FALSE(named.listener);
    EXPECT_EQ(named.error, Errc::unresolved);
    auto busy = Listener::open(loop, "127.0.0.1", listener->local_port(), ConnectionLimits{}, {});
    EXPECT_FALSE(busy.listener);
    EXPECT_EQ(busy.error, std::errc::address_in_use) << busy.message;
    listener.reset();
  });
}

TEST(ListenerTest, RunningOutOfDescriptorsIsReportedAndServingContinues) {
  EventLoop loop;
  Accepted accepted;
  auto listener = open_listener(loop, accepted);
  ASSERT_TRUE(listener);
  Fd early(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
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
  auto address = test::loopback(AF_INET, listener->local_port(), length);
  ASSERT_EQ(::connect(early.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
  // The pending client is accepted and closed, not left in the backlog to spin the loop.
  pollfd closed{early.get(), POLLIN | POLLRDHUP, 0};
  int ready = ::poll(&closed, 1, 10000);
  char byte;
  ssize_t got = ready == 1 ? ::recv(early.get(), &byte, 1, 0) : -1;
  // Descriptors back before any assertion prints (printing with none left upsets UBSan).
  hogs.clear();
  ::setrlimit(RLIMIT_NOFILE, &original);
  ASSERT_EQ(ready, 1) << "the pending client was never dropped";
  EXPECT_EQ(got, 0);
  ASSERT_TRUE(eventually(loop, [&] { return !accepted.errors.empty(); }));
  loop.run_sync([&] {
    EXPECT_NE(accepted.errors[0].find("Too many open files"), std::string::npos)
        << accepted.errors[0];
    EXPECT_LE(accepted.errors.size(), 2u) << "the loop spun on the pending client";
  });
  Fd later = test::connect_to(AF_INET, SOCK_STREAM, listener->local_port());
  EXPECT_TRUE(eventually(loop, [&] { return accepted.connections.size() == 1; }));
  loop.run_sync([&] {
    accepted.connections.clear();
    listener.reset();
  });
}

}  // namespace
}  // namespace oscbridge::socket

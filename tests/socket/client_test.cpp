// SocketClient against raw loopback peers: receive modes, timeouts, errors, closing.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <thread>

#include "socket/socket.h"
#include "tests/socket/raw_sockets.h"

namespace oscbridge::socket {
namespace {

using test::Fd;
using Clock = std::chrono::steady_clock;

long elapsed_ms(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// The kernel's queues of the loopback TCP socket from local_port to remote_port (IPv4 or
// IPv6), from /proc/net/tcp[6]: bytes sent and not yet acknowledged (tx), bytes received
// and not yet read (rx). nullopt when there is no such established connection.
struct Queues {
  unsigned tx = 0;
  unsigned rx = 0;
};
std::optional<Queues> tcp_queues(std::uint16_t local_port, std::uint16_t remote_port) {
  for (const char* path : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream table(path);
    std::string line;
    std::getline(table, line);  // the header
    while (std::getline(table, line)) {
      unsigned local = 0, remote = 0, state = 0, tx = 0, rx = 0;
      if (std::sscanf(line.c_str(), " %*d: %*[0-9A-Fa-f]:%4X %*[0-9A-Fa-f]:%4X %2X %8X:%8X", &local,
                      &remote, &state, &tx, &rx) == 5 &&
          local == local_port && remote == remote_port && state == 1 /* ESTABLISHED */) {
        return Queues{tx, rx};
      }
    }
  }
  return std::nullopt;
}

// Waits until all a writer on writer_port sent to reader_port is in the reader's socket
// (acknowledged), and, when read is true, also read from it by the program. This makes
// "pending" and "split across reads" facts rather than the hoped-for effect of a pause.
bool wait_delivered(std::uint16_t writer_port, std::uint16_t reader_port, bool read) {
  auto deadline = Clock::now() + std::chrono::seconds(10);
  auto until = [&](auto done) {
    while (!done()) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  };
  return until([&] {
           auto writer = tcp_queues(writer_port, reader_port);
           return writer && writer->tx == 0;
         }) &&
         (!read || until([&] {
           auto reader = tcp_queues(reader_port, writer_port);
           return reader && reader->rx == 0;
         }));
}

// A TCP client connected to a raw peer, over IPv4 or IPv6.
class TcpClientTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    listener_ = test::bound_socket(family(), SOCK_STREAM);
    auto [client, error] = create_client(family() == AF_INET6 ? "::1" : "127.0.0.1",
                                         test::bound_port(listener_.get()), Protocol::tcp, 2000);
    ASSERT_TRUE(client) << error;
    ASSERT_TRUE(error.empty());
    client_ = std::move(client);
    peer_ = test::accept_one(listener_);
    ASSERT_GE(peer_.get(), 0);
    peer_port_ = test::bound_port(listener_.get());
    client_port_ = client_->local_port();
  }
  int family() const { return GetParam(); }
  // What the peer wrote is in the client's socket, ready for one read.
  bool pending() const { return wait_delivered(peer_port_, client_port_, false); }
  // What the peer wrote has been read by the client (it is in the client's own buffer).
  // Safe from another thread while the test's thread is inside a receive.
  bool read_by_client() const { return wait_delivered(peer_port_, client_port_, true); }

  Fd listener_;
  Fd peer_;
  std::unique_ptr<SocketClient> client_;
  std::uint16_t peer_port_ = 0;
  std::uint16_t client_port_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Families, TcpClientTest, ::testing::Values(AF_INET, AF_INET6),
                         [](const auto& info) { return info.param == AF_INET ? "IPv4" : "IPv6"; });

TEST_P(TcpClientTest, ReportsBothEnds) {
  EXPECT_TRUE(client_->is_open());
  EXPECT_EQ(client_->peer_address(), family() == AF_INET6 ? "::1" : "127.0.0.1");
  EXPECT_EQ(client_->peer_port(), test::bound_port(listener_.get()));
  EXPECT_EQ(client_->local_address(), client_->peer_address());
  EXPECT_NE(client_->local_port(), 0);
}

TEST_P(TcpClientTest, LineEndsAtEveryTerminatorAndKeepsTheRest) {
  test::write_all(peer_, "one\ntwo\r\nthree\rfour\n\nrest");
  for (const char* expected : {"one", "two", "three", "four", ""}) {
    auto [line, error] = client_->receive(ReceiveMode::line(), 1000);
    ASSERT_TRUE(line) << error;
    EXPECT_EQ(*line, expected);
  }
  auto [partial, error] = client_->receive(ReceiveMode::line(), 50);
  EXPECT_FALSE(partial);
  EXPECT_EQ(error, "timeout");
  test::write_all(peer_, "\n");
  auto [rest, rest_error] = client_->receive(ReceiveMode::line(), 1000);
  ASSERT_TRUE(rest) << rest_error;
  EXPECT_EQ(*rest, "rest");
}

TEST_P(TcpClientTest, CarriageReturnLineFeedSplitAcrossReadsIsOneTerminator) {
  test::write_all(peer_, "first\r");
  auto [first, error] = client_->receive(ReceiveMode::line(), 1000);
  ASSERT_TRUE(first) << error;
  EXPECT_EQ(*first, "first");  // so "first\r" was one read: "\n" is written only now
  test::write_all(peer_, "\nsecond\n");
  auto [second, second_error] = client_->receive(ReceiveMode::line(), 1000);
  ASSERT_TRUE(second) << second_error;
  EXPECT_EQ(*second, "second");  // not an empty line for the '\n' of "\r\n"
}

TEST_P(TcpClientTest, LineWaitsAcrossManyReads) {
  // Each piece is written once the client has read the previous one: four reads.
  bool all_read = true;
  std::thread writer([&] {
    for (const char* piece : {"a", "b", "c", "\n"}) {
      test::write_all(peer_, piece);
      all_read = read_by_client() && all_read;
    }
  });
  auto [line, error] = client_->receive(ReceiveMode::line(), 20000);
  writer.join();
  EXPECT_TRUE(all_read) << "the client stopped reading before the line ended";
  ASSERT_TRUE(line) << error;
  EXPECT_EQ(*line, "abc");
}

TEST_P(TcpClientTest, AllReturnsPendingDataAtOnce) {
  test::write_all(peer_, "hello ");
  test::write_all(peer_, "world");
  ASSERT_TRUE(pending());
  auto start = Clock::now();
  auto [data, error] = client_->receive(ReceiveMode::all(), 20000);
  EXPECT_LT(elapsed_ms(start), 10000) << "all() waited for its timeout with data pending";
  ASSERT_TRUE(data) << error;
  EXPECT_EQ(*data, "hello world");
}

TEST_P(TcpClientTest, AllIncludesWhatALineReceiveLeftBuffered) {
  test::write_all(peer_, "line\nleft over");
  auto [line, error] = client_->receive(ReceiveMode::line(), 1000);
  ASSERT_TRUE(line) << error;
  auto [rest, rest_error] = client_->receive(ReceiveMode::all(), 0);
  ASSERT_TRUE(rest) << rest_error;
  EXPECT_EQ(*rest, "left over");
}

TEST_P(TcpClientTest, BytesSpanningManyReads) {
  std::string payload(300000, 'x');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  // Each piece is written once the client has read the previous one, so the bytes wanted
  // arrive in several reads, whatever the load.
  bool all_read = true;
  std::thread writer([&] {
    for (std::size_t offset = 0; offset < payload.size(); offset += 70000) {
      test::write_all(peer_, std::string_view(payload).substr(offset, 70000));
      all_read = read_by_client() && all_read;
    }
    test::write_all(peer_, "tail");
  });
  auto [data, error] = client_->receive(ReceiveMode::bytes(payload.size()), 20000);
  writer.join();
  EXPECT_TRUE(all_read) << "the client stopped reading before it had the bytes";
  ASSERT_TRUE(data) << error;
  EXPECT_EQ(*data, payload);
  auto [tail, tail_error] = client_->receive(ReceiveMode::bytes(4), 1000);
  ASSERT_TRUE(tail) << tail_error;
  EXPECT_EQ(*tail, "tail");
}

TEST_P(TcpClientTest, BytesTimeoutKeepsWhatArrived) {
  test::write_all(peer_, "abc");
  ASSERT_TRUE(pending());
  auto [none, error] = client_->receive(ReceiveMode::bytes(5), 100);
  EXPECT_FALSE(none);
  EXPECT_EQ(error, "timeout");
  EXPECT_TRUE(client_->is_open());
  test::write_all(peer_, "de");
  auto [data, data_error] = client_->receive(ReceiveMode::bytes(5), 10000);
  ASSERT_TRUE(data) << data_error;
  EXPECT_EQ(*data, "abcde");
}

TEST_P(TcpClientTest, TimeoutZeroNeverBlocks) {
  for (auto mode : {ReceiveMode::line(), ReceiveMode::all(), ReceiveMode::bytes(1)}) {
    auto start = Clock::now();
    auto [none, error] = client_->receive(mode, 0);
    // Generous for a loaded machine; a receive that waited would wait for data that never
    // comes, far longer.
    EXPECT_LT(elapsed_ms(start), 1000);
    EXPECT_FALSE(none);
    EXPECT_EQ(error, "timeout");
  }
  test::write_all(peer_, "x\n");
  ASSERT_TRUE(pending());
  auto [line, error] = client_->receive(ReceiveMode::line(), 0);
  ASSERT_TRUE(line) << error;
  EXPECT_EQ(*line, "x");
}

TEST_P(TcpClientTest, TimeoutIsHonouredAndLeavesTheSocketOpen) {
  auto start = Clock::now();
  auto [none, error] = client_->receive(ReceiveMode::line(), 200);
  auto took = elapsed_ms(start);
  EXPECT_GE(took, 190);
  EXPECT_LT(took, 5000);
  EXPECT_EQ(error, "timeout");
  EXPECT_TRUE(client_->is_open());
}

TEST_P(TcpClientTest, PeerCloseIsDisconnectedAndClosesTheSocket) {
  test::write_all(peer_, "last line without terminator");
  peer_.reset();
  auto [line, error] = client_->receive(ReceiveMode::line(), 1000);
  ASSERT_TRUE(line) << error;
  EXPECT_EQ(*line, "last line without terminator");
  auto [none, closed_error] = client_->receive(ReceiveMode::line(), 1000);
  EXPECT_FALSE(none);
  EXPECT_EQ(closed_error, "disconnected");
  EXPECT_FALSE(client_->is_open());
  EXPECT_THROW(client_->receive(ReceiveMode::all(), 0), SocketClosedError);
}

TEST_P(TcpClientTest, BytesCutShortByCloseIsDisconnected) {
  test::write_all(peer_, "ab");
  peer_.reset();
  auto [none, error] = client_->receive(ReceiveMode::bytes(3), 1000);
  EXPECT_FALSE(none);
  EXPECT_EQ(error, "disconnected");
  EXPECT_FALSE(client_->is_open());
}

TEST_P(TcpClientTest, ResetIsASystemMessageAndClosesTheSocket) {
  linger hard{1, 0};  // close with RST instead of FIN
  ::setsockopt(peer_.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  peer_.reset();
  test::settle();
  auto [none, error] = client_->receive(ReceiveMode::all(), 1000);
  EXPECT_FALSE(none);
  EXPECT_EQ(error, "Connection reset by peer");
  EXPECT_FALSE(client_->is_open());
}

TEST_P(TcpClientTest, SendDeliversEverything) {
  std::string payload(1 << 20, 'p');
  std::string received;
  std::thread reader([&] { received = test::read_some(peer_, payload.size()); });
  auto [ok, error] = client_->send(payload);
  reader.join();
  EXPECT_TRUE(ok) << error;
  EXPECT_TRUE(error.empty());
  EXPECT_EQ(received.size(), payload.size());
}

TEST_P(TcpClientTest, SendToAClosedPeerFailsWithoutSigpipe) {
  linger hard{1, 0};
  ::setsockopt(peer_.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  peer_.reset();
  test::settle();
  SendResult result{true, {}};
  // The first send may still be accepted by the kernel; a later one must fail cleanly.
  for (int i = 0; i < 10 && result.success; ++i) {
    result = client_->send("data");
    test::settle();
  }
  EXPECT_FALSE(result.success);
  EXPECT_FALSE(result.error.empty());
  EXPECT_FALSE(client_->is_open());
}

TEST_P(TcpClientTest, WriteSomeNeverWaits) {
  std::string chunk(1 << 20, 'w');
  std::size_t total = 0;
  auto start = Clock::now();
  for (int i = 0; i < 64; ++i) {
    auto [written, error] = client_->write_some(chunk);
    ASSERT_TRUE(error.empty()) << error;
    total += written;
    if (written < chunk.size()) break;  // the peer does not read: the kernel is full
  }
  EXPECT_LT(elapsed_ms(start), 1000);
  EXPECT_LT(total, 64u << 20);
  EXPECT_EQ(test::read_some(peer_, 1000), std::string(1000, 'w'));
}

TEST_P(TcpClientTest, ClosedSocketThrowsButKeepsItsProperties) {
  auto port = client_->peer_port();
  auto local_port = client_->local_port();
  client_->close();
  client_->close();  // twice is fine
  EXPECT_FALSE(client_->is_open());
  EXPECT_THROW(client_->send("x"), SocketClosedError);
  EXPECT_THROW(client_->receive(ReceiveMode::line(), 0), SocketClosedError);
  EXPECT_EQ(client_->peer_port(), port);
  EXPECT_EQ(client_->local_port(), local_port);
  EXPECT_EQ(client_->native_handle(), -1);
  EXPECT_EQ(test::read_some(peer_, 1, 1000), "");  // the peer sees the close
}

TEST(ReceiveModeTest, ZeroBytesIsRejected) {
  EXPECT_THROW(ReceiveMode::bytes(0), std::invalid_argument);
  EXPECT_EQ(ReceiveMode::bytes(7).byte_count(), 7u);
}

// "localhost" resolves from /etc/hosts, with no DNS server asked, to 127.0.0.1, ::1 or both,
// in an order that depends on the machine: a listener on both takes whichever is tried.
TEST(CreateClientTest, HostNamesAreResolved) {
  Fd listener = test::bound_socket(AF_INET, SOCK_STREAM);
  auto port = test::bound_port(listener.get());
  Fd listener6(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int only = 1;
  ::setsockopt(listener6.get(), IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only);
  socklen_t length;
  auto address = test::loopback(AF_INET6, port, length);
  bool has_ipv6 = ::bind(listener6.get(), reinterpret_cast<sockaddr*>(&address), length) == 0 &&
                  ::listen(listener6.get(), 16) == 0;
  auto [client, error] = create_client("localhost", port, Protocol::tcp, 5000);
  ASSERT_TRUE(client) << error << (has_ipv6 ? "" : " (no listener on ::1 here)");
  EXPECT_EQ(client->peer_port(), port);
  EXPECT_TRUE(client->peer_address() == "127.0.0.1" || client->peer_address() == "::1")
      << client->peer_address();
}

TEST(CreateClientTest, BracketedIPv6Literal) {
  Fd listener = test::bound_socket(AF_INET6, SOCK_STREAM);
  auto [client, error] = create_client("[::1]", test::bound_port(listener.get()));
  ASSERT_TRUE(client) << error;
  EXPECT_EQ(client->peer_address(), "::1");
}

TEST(CreateClientTest, RefusedIsReported) {
  std::uint16_t port;
  {
    Fd unused = test::bound_socket(AF_INET, SOCK_STREAM);
    port = test::bound_port(unused.get());
  }
  auto [client, error] = create_client("127.0.0.1", port, Protocol::tcp, 2000);
  EXPECT_FALSE(client);
  EXPECT_EQ(error, "Connection refused");
}

// A name that cannot exist, answered without the network: ".invalid" never resolves (RFC
// 6761), and a label over 63 characters is no DNS name, so the resolver refuses it before
// asking any server (a plain "x.invalid" would be sent to the machine's DNS server, and
// wait for it).
TEST(CreateClientTest, UnknownHostIsReported) {
  const std::string name = std::string(70, 'x') + ".invalid";
  auto start = Clock::now();
  auto [client, error] = create_client(name, 80, Protocol::tcp, 10000);
  EXPECT_FALSE(client);
  EXPECT_NE(error.find(name), std::string::npos) << error;
  EXPECT_LT(elapsed_ms(start), 5000) << "the resolver waited for something";
}

TEST(CreateClientTest, GivesUpAtTheTimeoutWhenTheListenerDoesNotAnswer) {
  // A listener with a full backlog that never accepts leaves new SYNs unanswered.
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  socklen_t length;
  auto address = test::loopback(AF_INET, 0, length);
  ::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), length);
  ::listen(listener.get(), 0);
  auto port = test::bound_port(listener.get());
  std::vector<std::unique_ptr<SocketClient>> fillers;
  bool timed_out = false;
  for (int i = 0; i < 8 && !timed_out; ++i) {
    auto start = Clock::now();
    auto [client, error] = create_client("127.0.0.1", port, Protocol::tcp, 300);
    auto took = elapsed_ms(start);
    EXPECT_LT(took, 5000);
    if (client) {
      fillers.push_back(std::move(client));
    } else {
      EXPECT_EQ(error, "timeout");
      EXPECT_GE(took, 250);
      timed_out = true;
    }
  }
  EXPECT_TRUE(timed_out);
}

class UdpClientTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    peer_ = test::bound_socket(GetParam(), SOCK_DGRAM);
    auto [client, error] = create_client(GetParam() == AF_INET6 ? "::1" : "127.0.0.1",
                                         test::bound_port(peer_.get()), Protocol::udp);
    ASSERT_TRUE(client) << error;
    client_ = std::move(client);
    socklen_t length;
    client_address_ = test::loopback(GetParam(), client_->local_port(), length);
    client_length_ = length;
  }
  void send_to_client(std::string_view datagram) {
    ::sendto(peer_.get(), datagram.data(), datagram.size(), 0,
             reinterpret_cast<sockaddr*>(&client_address_), client_length_);
  }

  Fd peer_;
  std::unique_ptr<SocketClient> client_;
  sockaddr_storage client_address_{};
  socklen_t client_length_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Families, UdpClientTest, ::testing::Values(AF_INET, AF_INET6),
                         [](const auto& info) { return info.param == AF_INET ? "IPv4" : "IPv6"; });

TEST_P(UdpClientTest, AllReturnsOneDatagramAtATime) {
  send_to_client("first");
  send_to_client("");
  send_to_client("third");
  for (const char* expected : {"first", "", "third"}) {
    auto [datagram, error] = client_->receive(ReceiveMode::all(), 10000);
    ASSERT_TRUE(datagram) << error;
    EXPECT_EQ(*datagram, expected);
  }
}

TEST_P(UdpClientTest, SendReachesThePeer) {
  auto [ok, error] = client_->send("ping");
  EXPECT_TRUE(ok) << error;
  EXPECT_EQ(test::read_some(peer_, 4), "ping");
}

TEST_P(UdpClientTest, LinesAndBytesAcrossDatagrams) {
  send_to_client("ab");
  send_to_client("c\nde");
  auto [line, error] = client_->receive(ReceiveMode::line(), 1000);
  ASSERT_TRUE(line) << error;
  EXPECT_EQ(*line, "abc");
  send_to_client("fg");
  auto [bytes, bytes_error] = client_->receive(ReceiveMode::bytes(4), 1000);
  ASSERT_TRUE(bytes) << bytes_error;
  EXPECT_EQ(*bytes, "defg");
}

TEST(UdpClientLimits, LargestIPv4DatagramArrivesWhole) {
  Fd peer = test::bound_socket(AF_INET, SOCK_DGRAM);
  auto [client, error] = create_client("127.0.0.1", test::bound_port(peer.get()), Protocol::udp);
  ASSERT_TRUE(client) << error;
  std::string big(65507, 'u');
  big.front() = '<';
  big.back() = '>';
  socklen_t length;
  auto address = test::loopback(AF_INET, client->local_port(), length);
  ASSERT_EQ(::sendto(peer.get(), big.data(), big.size(), 0, reinterpret_cast<sockaddr*>(&address),
                     length),
            static_cast<ssize_t>(big.size()));
  auto [datagram, receive_error] = client->receive(ReceiveMode::all(), 1000);
  ASSERT_TRUE(datagram) << receive_error;
  EXPECT_EQ(*datagram, big);
}

}  // namespace
}  // namespace oscbridge::socket

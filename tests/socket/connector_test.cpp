// Connector and Resolver over real loopback sockets: connecting, refusals, timeouts,
// unresolvable names, and cancellation with work in flight (no callback may follow).
#include <gtest/gtest.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <optional>
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

// A listener whose backlog is full and which never accepts: new SYNs go unanswered, so a
// connect to it stays in progress.
struct Unanswering {
  Unanswering() {
    listener = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    socklen_t length;
    auto address = test::loopback(AF_INET, 0, length);
    ::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), length);
    ::listen(listener.get(), 0);
    port = test::bound_port(listener.get());
    address = test::loopback(AF_INET, port, length);
    for (int i = 0; i < 16; ++i) {
      Fd filler(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
      ::connect(filler.get(), reinterpret_cast<sockaddr*>(&address), length);
      pollfd entry{filler.get(), POLLOUT, 0};
      int ready = ::poll(&entry, 1, 300);
      fillers.push_back(std::move(filler));
      if (ready == 0) {
        full = true;
        break;
      }
    }
  }
  Fd listener;
  std::vector<Fd> fillers;
  std::uint16_t port = 0;
  bool full = false;
};

class ConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop.run_sync([&] {
      resolver = std::make_unique<Resolver>(loop);
      connector = std::make_unique<Connector>(loop, *resolver);
    });
  }
  void TearDown() override {
    loop.run_sync([&] {
      if (result) result->connection.reset();
      connector.reset();
      resolver.reset();
    });
  }
  void start(std::string_view host, std::uint16_t port, std::chrono::milliseconds timeout) {
    loop.run_sync([&] {
      connector->connect(host, port, timeout, ConnectionLimits{}, {},
                         [this](Connector::Result done) { result = std::move(done); });
      EXPECT_TRUE(connector->in_progress());
      EXPECT_FALSE(result) << "called back from inside connect()";
    });
  }
  bool finished(std::chrono::milliseconds limit = 20s) {
    return eventually(
        loop, [&] { return result.has_value(); }, limit);
  }

  EventLoop loop;
  std::unique_ptr<Resolver> resolver;    // loop thread
  std::unique_ptr<Connector> connector;  // loop thread
  std::optional<Connector::Result> result;
};

TEST_F(ConnectorTest, ConnectsAndHandsOverAWorkingConnection) {
  Fd listener = test::bound_socket(AF_INET, SOCK_STREAM);
  start("127.0.0.1", test::bound_port(listener.get()), 5s);
  ASSERT_TRUE(finished());
  Fd peer = test::accept_one(listener);
  loop.run_sync([&] {
    ASSERT_TRUE(result->connection) << result->message;
    EXPECT_FALSE(result->error);
    EXPECT_FALSE(connector->in_progress());
    EXPECT_EQ(result->connection->send("hello"), std::error_code());
  });
  EXPECT_EQ(test::read_some(peer, 5), "hello");
}

TEST_F(ConnectorTest, ARefusedConnectionIsReported) {
  std::uint16_t port;
  {
    Fd probe = test::bound_socket(AF_INET, SOCK_STREAM);
    port = test::bound_port(probe.get());
  }
  start("127.0.0.1", port, 5s);
  ASSERT_TRUE(finished());
  EXPECT_FALSE(result->connection);
  EXPECT_EQ(result->error, std::errc::connection_refused) << result->message;
  EXPECT_NE(result->message.find("Connection refused"), std::string::npos) << result->message;
}

TEST_F(ConnectorTest, GivesUpAtTheTimeoutWhenNobodyAnswers) {
  Unanswering target;
  ASSERT_TRUE(target.full);
  auto begin = Clock::now();
  start("127.0.0.1", target.port, 300ms);
  ASSERT_TRUE(finished());
  auto took = Clock::now() - begin;
  EXPECT_FALSE(result->connection);
  EXPECT_EQ(result->error, Errc::timed_out) << result->message;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 10s);
}

// A name refused without the network (as in client_test.cpp: a label over 63 characters under
// ".invalid"), so the answer is "unresolved" and never depends on the machine's DNS server.
TEST_F(ConnectorTest, AnUnresolvableNameIsReported) {
  const std::string name = std::string(70, 'x') + ".invalid";
  start(name, 80, 5s);
  ASSERT_TRUE(finished());
  EXPECT_FALSE(result->connection);
  EXPECT_EQ(result->error, Errc::unresolved) << result->message;
  EXPECT_NE(result->message.find(name), std::string::npos) << result->message;
}

// Waits on the loop past an abandoned attempt's deadline; no callback may have run.
void expect_silence_past(EventLoop& loop, std::chrono::milliseconds deadline, bool& called) {
  bool waited = false;
  loop.run_sync([&] { loop.run_after((deadline * 3).count(), [&] { waited = true; }); });
  ASSERT_TRUE(eventually(loop, [&] { return waited; }));
  loop.run_sync([&] { EXPECT_FALSE(called); });
}

TEST_F(ConnectorTest, CancelWithAnAttemptInFlightRunsNoCallback) {
  Unanswering target;
  ASSERT_TRUE(target.full);
  start("127.0.0.1", target.port, 200ms);
  bool called = false;
  loop.run_sync([&] {
    connector->cancel();
    EXPECT_FALSE(connector->in_progress());
    called = result.has_value();
  });
  loop.run_sync([&] {
    // Reuse the connector for a lookup too, and cancel it by destroying the connector.
    connector->connect("localhost", target.port, 200ms, ConnectionLimits{}, {},
                       [&](Connector::Result) { called = true; });
  });
  loop.run_sync([&] { connector.reset(); });
  expect_silence_past(loop, 200ms, called);
  loop.run_sync([&] { EXPECT_FALSE(result); });
}

TEST_F(ConnectorTest, DestroyingTheConnectorWithAnAttemptInFlightRunsNoCallback) {
  Unanswering target;
  ASSERT_TRUE(target.full);
  bool called = false;
  loop.run_sync([&] {
    connector->connect("127.0.0.1", target.port, 200ms, ConnectionLimits{}, {},
                       [&](Connector::Result) { called = true; });
  });
  loop.run_sync([&] { connector.reset(); });
  expect_silence_past(loop, 200ms, called);
}

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop.run_sync([&] { resolver = std::make_unique<Resolver>(loop); });
  }
  void TearDown() override {
    loop.run_sync([&] { resolver.reset(); });
  }
  EventLoop loop;
  std::unique_ptr<Resolver> resolver;  // loop thread
};

TEST_F(ResolverTest, LiteralsResolveWithoutAThreadButStillCallBackLater) {
  std::vector<Resolution> results;
  loop.run_sync([&] {
    auto keep = [&](Resolution result) { results.push_back(std::move(result)); };
    resolver->resolve("127.0.0.1", 9000, Protocol::tcp, AF_UNSPEC, 1s, keep);
    resolver->resolve("127.0.0.1", 9000, Protocol::udp, AF_INET6, 1s, keep);
    resolver->resolve("[::1]", 9000, Protocol::tcp, AF_INET, 1s, keep);
    EXPECT_TRUE(results.empty()) << "called back from inside resolve()";
  });
  ASSERT_TRUE(eventually(loop, [&] { return results.size() == 3; }));
  ASSERT_EQ(results[0].addresses.size(), 1u) << results[0].message;
  EXPECT_EQ(format_address(results[0].addresses[0]), "127.0.0.1:9000");
  ASSERT_EQ(results[1].addresses.size(), 1u) << results[1].message;
  EXPECT_EQ(results[1].addresses[0].ss_family, AF_INET6);  // IPv4-mapped, for a v6 socket
  EXPECT_EQ(format_address(results[1].addresses[0]), "127.0.0.1:9000");
  EXPECT_TRUE(results[2].addresses.empty());
  EXPECT_EQ(results[2].error, Errc::unresolved) << results[2].message;
}

TEST_F(ResolverTest, NamesResolveOnAnotherThread) {
  std::optional<Resolution> result;
  loop.run_sync([&] {
    resolver->resolve("localhost", 80, Protocol::tcp, AF_INET, 10s,
                      [&](Resolution done) { result = std::move(done); });
  });
  ASSERT_TRUE(eventually(loop, [&] { return result.has_value(); }));
  ASSERT_FALSE(result->addresses.empty()) << result->message;
  EXPECT_EQ(format_address(result->addresses[0]), "127.0.0.1:80");
}

TEST_F(ResolverTest, CancelledLookupsNeverCallBack) {
  bool called = false;
  std::optional<Resolution> witness;
  loop.run_sync([&] {
    auto literal = resolver->resolve("127.0.0.1", 1, Protocol::tcp, AF_UNSPEC, 1s,
                                     [&](Resolution) { called = true; });
    auto name = resolver->resolve("localhost", 1, Protocol::tcp, AF_UNSPEC, 1s,
                                  [&](Resolution) { called = true; });
    resolver->cancel(literal);
    resolver->cancel(name);
    // Asked after the cancelled ones: its answer comes after theirs would have.
    resolver->resolve("localhost", 1, Protocol::tcp, AF_UNSPEC, 10s,
                      [&](Resolution done) { witness = std::move(done); });
  });
  ASSERT_TRUE(eventually(loop, [&] { return witness.has_value(); }));
  bool waited = false;  // and past the cancelled lookups' timeouts
  loop.run_sync([&] { loop.run_after(1500, [&] { waited = true; }); });
  ASSERT_TRUE(eventually(loop, [&] { return waited; }));
  loop.run_sync([&] { EXPECT_FALSE(called); });
}

// A lookup still running at its timeout is answered "timed out", once: its late answer is
// dropped. With a timeout of 0 the order is certain, not a race: the timer is due at the next
// round, and a round runs due timers before what other threads posted.
TEST_F(ResolverTest, ALookupPastItsTimeoutIsAnsweredTimedOutOnce) {
  std::vector<Resolution> results;
  std::optional<Resolution> witness;
  loop.run_sync([&] {
    resolver->resolve("localhost", 80, Protocol::tcp, AF_INET, 0ms,
                      [&](Resolution done) { results.push_back(std::move(done)); });
  });
  ASSERT_TRUE(eventually(loop, [&] { return !results.empty(); }));
  // Asked after the one that timed out: its answer comes after that one's would have.
  loop.run_sync([&] {
    resolver->resolve("localhost", 80, Protocol::tcp, AF_INET, 10s,
                      [&](Resolution done) { witness = std::move(done); });
  });
  ASSERT_TRUE(eventually(loop, [&] { return witness.has_value(); }));
  ASSERT_FALSE(witness->addresses.empty()) << witness->message;
  bool waited = false;  // and a little longer, for threads that ran in another order
  loop.run_sync([&] { loop.run_after(200, [&] { waited = true; }); });
  ASSERT_TRUE(eventually(loop, [&] { return waited; }));
  loop.run_sync([&] {
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].error, Errc::timed_out) << results[0].message;
    EXPECT_TRUE(results[0].addresses.empty());
    EXPECT_EQ(results[0].message, "cannot resolve 'localhost': timeout after 0 ms");
  });
}

TEST(ResolverLifetimeTest, DestroyingResolverAndLoopWithALookupInFlightIsSafe) {
  auto loop = std::make_unique<EventLoop>();
  auto resolver = std::make_unique<Resolver>(*loop);
  bool called = false;
  loop->run_sync([&] {
    resolver->resolve("no-such-host.invalid", 80, Protocol::tcp, AF_UNSPEC, 10s,
                      [&](Resolution) { called = true; });
    resolver.reset();
  });
  loop.reset();  // the lookup thread may still be in getaddrinfo; it must not touch the loop
  // The same lookup here takes about as long; by then the abandoned one has had its chance
  // to touch what is gone (which ASan and TSan would report).
  addrinfo* list = nullptr;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  if (::getaddrinfo("no-such-host.invalid", "80", &hints, &list) == 0) ::freeaddrinfo(list);
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace oscbridge::socket

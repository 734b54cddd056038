// Runtime::apply is all or nothing, seen from inside the runtime: what a failed apply opened is
// closed again, what it closed to free a port is open again, and the running configuration,
// routes and counters are the ones from before. Real UDP sockets on loopback stand for the
// peers; tests/e2e/core_hostile_test.cpp shows the same through the binary and a reload.
#include <poll.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/load.h"
#include "daemon/runtime.h"
#include "tests/daemon/daemon_test_util.h"
#include "tests/socket/raw_sockets.h"

namespace oscbridge::daemon {
namespace {

using oscbridge::test::bound_port;
using oscbridge::test::bound_socket;
using oscbridge::test::Fd;
using testing::message;

// A UDP socket bound to address:port, as another program holding that port would.
Fd udp_bound_to(const char* address, std::uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_port = htons(port);
  ::inet_pton(AF_INET, address, &where.sin_addr);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&where), sizeof where) != 0) fd.reset();
  return fd;
}

void send_to(std::uint16_t port, std::string_view datagram) {
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  socklen_t length;
  auto where = oscbridge::test::loopback(AF_INET, port, length);
  ::sendto(fd.get(), datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&where),
           length);
}

// The next datagram on fd, or "" when none came within 5 s.
std::string next_datagram(const Fd& fd) {
  pollfd ready{fd.get(), POLLIN, 0};
  if (::poll(&ready, 1, 5000) != 1) return "";
  std::string datagram(65536, '\0');
  auto size = ::recv(fd.get(), datagram.data(), datagram.size(), 0);
  datagram.resize(size > 0 ? static_cast<std::size_t>(size) : 0);
  return datagram;
}

class RuntimeTest : public ::testing::Test {
 protected:
  RuntimeTest() {
    loop_.run_sync([&] { runtime_ = std::make_unique<Runtime>(loop_, ConfigSource{}); });
  }
  ~RuntimeTest() override {
    loop_.run_sync([&] { runtime_.reset(); });
  }

  config::Config parse(const std::string& yaml) {
    auto loaded = config::load_string(yaml, "test.yaml");
    for (const auto& error : loaded.errors) ADD_FAILURE() << error;
    return loaded.config ? *loaded.config : config::Config{};
  }
  ApplyResult apply(const config::Config& config) {
    ApplyResult result;
    loop_.run_sync([&] { result = runtime_->apply(config); });
    return result;
  }
  StatusSnapshot status() {
    StatusSnapshot snapshot;
    loop_.run_sync([&] { snapshot = runtime_->status(); });
    return snapshot;
  }
  bool same_config(const config::Config& config) {
    bool same = false;
    loop_.run_sync([&] { same = runtime_->config() == config; });
    return same;
  }

  socket::EventLoop loop_;
  std::unique_ptr<Runtime> runtime_;
};

const RouteStatus* route_named(const StatusSnapshot& status, std::string_view name) {
  for (const auto& route : status.routes) {
    if (route.name == name) return &route;
  }
  return nullptr;
}

const EndpointStatus* endpoint_named(const StatusSnapshot& status, std::string_view name) {
  for (const auto& endpoint : status.endpoints) {
    if (endpoint.name == name) return &endpoint;
  }
  return nullptr;
}

// One line of `endpoints:`: a udp endpoint with key (listen or send) at 127.0.0.1:port.
std::string udp_endpoint(std::string_view name, std::string_view key, std::uint16_t port) {
  return "  " + std::string(name) + ": { protocol: udp, " + std::string(key) +
         ": 127.0.0.1:" + std::to_string(port) + " }\n";
}

std::uint16_t free_udp_port() {
  return bound_port(bound_socket(AF_INET, SOCK_DGRAM).get());
}

TEST_F(RuntimeTest, AFailedApplyClosesWhatItOpenedAndKeepsRoutesAndCounters) {
  Fd desk = bound_socket(AF_INET, SOCK_DGRAM);
  Fd holder = bound_socket(AF_INET, SOCK_DGRAM);  // another program's port
  const auto surface_port = free_udp_port();
  const auto extra_port = free_udp_port();
  const auto running = parse("endpoints:\n" + udp_endpoint("surface", "listen", surface_port) +
                             udp_endpoint("desk", "send", bound_port(desk.get())) +
                             "routes:\n"
                             "  - { name: faders, from: surface, to: desk, address: /running }\n");
  ASSERT_TRUE(apply(running).applied);
  send_to(surface_port, message("/fader"));
  ASSERT_EQ(next_datagram(desk), message("/running"));

  // surface moves onto the held port; extra is new and opens; desk stays as it is.
  const auto next =
      parse("endpoints:\n" + udp_endpoint("surface", "listen", bound_port(holder.get())) +
            udp_endpoint("extra", "listen", extra_port) +
            udp_endpoint("desk", "send", bound_port(desk.get())) +
            "routes:\n"
            "  - { name: faders, from: [surface, extra], to: desk, address: /next }\n"
            "  - { name: more, to: desk }\n");
  const auto result = apply(next);
  EXPECT_FALSE(result.applied);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].rfind("surface: ", 0), 0u) << result.errors[0];

  EXPECT_TRUE(udp_bound_to("127.0.0.1", extra_port).get() >= 0) << "extra was left open";
  EXPECT_TRUE(same_config(running));
  send_to(surface_port, message("/fader"));
  EXPECT_EQ(next_datagram(desk), message("/running"));
  const auto after = status();
  ASSERT_EQ(after.routes.size(), 1u);
  ASSERT_NE(route_named(after, "faders"), nullptr);
  EXPECT_EQ(route_named(after, "faders")->counters.matched, 2u);
  ASSERT_EQ(after.endpoints.size(), 2u);
  for (const auto& endpoint : after.endpoints) EXPECT_TRUE(endpoint.open) << endpoint.name;
  EXPECT_EQ(endpoint_named(after, "surface")->counters.received, 2u);
  EXPECT_EQ(endpoint_named(after, "desk")->counters.sent, 2u);
}

// surface moves to another address on the same port: its old socket must close first to free
// the port, and when the new one cannot open, the old one opens again where it was, with the
// running routes and the counters it had.
TEST_F(RuntimeTest, AFailedMoveOnTheSamePortReopensTheOldEndpointWithItsCounters) {
  Fd desk = bound_socket(AF_INET, SOCK_DGRAM);
  const auto port = free_udp_port();
  Fd holder = udp_bound_to("127.0.0.2", port);
  ASSERT_GE(holder.get(), 0);
  auto yaml = [&](const std::string& host, const std::string& address) {
    return "endpoints:\n"
           "  surface: { protocol: udp, listen: " +
           host + ":" + std::to_string(port) + " }\n" +
           udp_endpoint("desk", "send", bound_port(desk.get())) +
           "routes:\n"
           "  - { name: faders, from: surface, to: desk, address: " +
           address + " }\n";
  };
  const auto running = parse(yaml("127.0.0.1", "/running"));
  ASSERT_TRUE(apply(running).applied);
  send_to(port, message("/fader"));
  ASSERT_EQ(next_datagram(desk), message("/running"));

  EXPECT_FALSE(apply(parse(yaml("127.0.0.2", "/next"))).applied);

  EXPECT_TRUE(same_config(running));
  send_to(port, message("/fader"));
  EXPECT_EQ(next_datagram(desk), message("/running"));
  const auto after = status();
  ASSERT_NE(route_named(after, "faders"), nullptr);
  EXPECT_EQ(route_named(after, "faders")->counters.matched, 2u);
  ASSERT_NE(endpoint_named(after, "surface"), nullptr);
  EXPECT_TRUE(endpoint_named(after, "surface")->open);
  EXPECT_EQ(endpoint_named(after, "surface")->counters.received, 2u);
}

}  // namespace
}  // namespace oscbridge::daemon

// State and pacing on an Endpoint (output(), welcome(), update_settings()) on a real EventLoop:
// the pace timer releases what waits, the queue's bound is counted as pace_full, keepalive is
// paced but never kept as state, and a reload keeps or adapts what the endpoint holds.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "daemon/pacer.h"
#include "daemon/state_store.h"
#include "tests/daemon/daemon_test_util.h"

namespace oscbridge::daemon {
namespace {

using testing::message;
using testing::RecordingEndpoint;

config::Endpoint settings(double pace, std::size_t pace_queue, bool state = false,
                          std::size_t state_max = config::kDefaultStateMax) {
  config::Endpoint endpoint;
  endpoint.name = "out";
  config::UdpSettings udp;
  udp.send.push_back({"127.0.0.1", 1});
  endpoint.kind = udp;
  endpoint.pace = pace;
  endpoint.pace_queue = pace_queue;
  endpoint.state = state;
  endpoint.state_max = state_max;
  return endpoint;
}

class PacedEndpointTest : public ::testing::Test {
 protected:
  ~PacedEndpointTest() override {
    loop.run_sync([&] { endpoint.reset(); });
  }
  void make(const config::Endpoint& with) {
    loop.run_sync([&] { endpoint = std::make_unique<RecordingEndpoint>(with, context); });
  }
  // Routes each message to the endpoint; what output() returned for each.
  std::vector<bool> output(const std::vector<std::string>& messages,
                           Endpoint::Output kind = Endpoint::Output::routed) {
    std::vector<bool> taken;
    loop.run_sync([&] {
      for (const auto& bytes : messages) {
        taken.push_back(endpoint->output(OutgoingPacket{bytes, 1, nullptr}, kind));
      }
    });
    return taken;
  }
  std::vector<std::string> sent() {
    std::vector<std::string> copy;
    loop.run_sync([&] { copy = endpoint->packets; });
    return copy;
  }
  std::vector<std::string> welcome() {
    std::vector<std::string> got;
    loop.run_sync([&] { endpoint->welcome([&](std::string_view p) { got.emplace_back(p); }); });
    return got;
  }
  void update(const config::Endpoint& next) {
    loop.run_sync([&] { endpoint->update_settings(next); });
  }

  socket::EventLoop loop;
  socket::Resolver resolver{loop};
  EndpointContext context{loop, resolver, nullptr};
  std::unique_ptr<RecordingEndpoint> endpoint;
};

std::vector<std::string> numbered(int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(message("/n", i));
  return out;
}

TEST_F(PacedEndpointTest, TheTimerReleasesWhatWaitsInOrderAtThePace) {
  make(settings(50, 100));  // 20 ms apart
  const auto messages = numbered(4);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(output(messages), (std::vector<bool>{true, true, true, true}));
  EXPECT_EQ(sent().size(), 1u);
  while (sent().size() < 4 && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(sent(), messages);
  EXPECT_GE(took, std::chrono::milliseconds(58));  // three waits of 20 ms
  EXPECT_EQ(endpoint->counters().sent, 4u);
}

TEST_F(PacedEndpointTest, AFullQueueIsCountedAsPaceFull) {
  make(settings(1, 3));
  EXPECT_EQ(output(numbered(6)), (std::vector<bool>{true, true, true, true, false, false}));
  EXPECT_EQ(endpoint->counters().drops(DropReason::pace_full), 2u);
  EXPECT_EQ(sent().size(), 1u);
}

TEST_F(PacedEndpointTest, AReloadKeepsWhatWaitsAndRemovingPaceSendsItAtOnce) {
  make(settings(0.1, 10));
  const auto messages = numbered(5);
  output(messages);
  auto next = settings(0.1, 10);
  next.echo_window = std::chrono::milliseconds(0);
  update(next);
  ASSERT_NE(endpoint->paced(), nullptr);
  EXPECT_EQ(endpoint->paced()->pacer().queued_messages(), 4u);
  update(settings(0.2, 3));  // a new rate and a smaller queue: what waits stays
  EXPECT_EQ(endpoint->paced()->pacer().queued_messages(), 4u);
  EXPECT_EQ(sent().size(), 1u);
  update(settings(0, config::kDefaultPaceQueue));
  EXPECT_EQ(endpoint->paced(), nullptr);
  EXPECT_EQ(sent(), messages);
}

TEST_F(PacedEndpointTest, StateIsKeptAcrossAReloadAndKeepaliveIsNeverKept) {
  make(settings(0, config::kDefaultPaceQueue, true, 3));
  output({message("/a", 1), message("/b", 2), message("/a", 3)});
  output({message("/xremote")}, Endpoint::Output::own);
  EXPECT_EQ(welcome(), (std::vector<std::string>{message("/b", 2), message("/a", 3)}));
  auto next = settings(0, config::kDefaultPaceQueue, true, 3);
  next.on_connect.push_back({"/hello", {}});
  update(next);
  EXPECT_EQ(welcome(),
            (std::vector<std::string>{message("/hello"), message("/b", 2), message("/a", 3)}));
  update(settings(0, config::kDefaultPaceQueue, true, 1));  // keeps the newest
  EXPECT_EQ(welcome(), (std::vector<std::string>{message("/a", 3)}));
  update(settings(0, config::kDefaultPaceQueue, false));
  EXPECT_EQ(endpoint->state_store(), nullptr);
  EXPECT_TRUE(welcome().empty());
}

TEST_F(PacedEndpointTest, EvictionsAreCountedOnTheEndpoint) {
  make(settings(0, config::kDefaultPaceQueue, true, 2));
  output({message("/a", 1), message("/b", 2), message("/c", 3), message("/d", 4)});
  EXPECT_EQ(endpoint->counters().state_evicted, 2u);
  EXPECT_EQ(welcome(), (std::vector<std::string>{message("/c", 3), message("/d", 4)}));
}

}  // namespace
}  // namespace oscbridge::daemon

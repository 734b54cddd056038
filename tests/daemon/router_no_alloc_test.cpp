// DESIGN.md: no heap allocation per routed message in steady state. This executable replaces
// the global operator new and counts the calls made on this thread while a Counting scope is
// active; it is its own executable so the replacement affects no other test. The destination
// endpoints copy into preallocated storage, so any allocation counted is the router's.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "tests/daemon/daemon_test_util.h"
#include "tests/support/allocation_counter.h"

namespace oscbridge::daemon {
namespace {

using testing::bundle;
using testing::message;

using test::Counting;

// Keeps the last packet in a fixed array and counts packets: sending allocates nothing.
class StoringEndpoint final : public Endpoint {
 public:
  using Endpoint::Endpoint;
  std::string open() override { return ""; }
  EndpointState state() const override { return {}; }
  bool send(const OutgoingPacket& packet) override {
    last_size = std::min(packet.bytes.size(), last.size());
    std::copy_n(packet.bytes.data(), last_size, last.data());
    ++packets;
    return true;
  }
  std::size_t packet_count() const { return packets; }
  std::string_view last_packet() const { return std::string_view(last.data(), last_size); }

  std::array<char, 65536> last{};
  std::size_t last_size = 0;
  std::size_t packets = 0;
};

using Harness = testing::BasicHarness<StoringEndpoint>;

constexpr std::string_view kRoutes = R"(
- name: fader
  from: a
  match: /1/fader1
  to: b
  address: /track/1/volume
  args: [ { arg: 1, scale: [0, 1, 0, 127] }, { arg: 1, scale: [0, 1, -60.0, 6.0], clamp: true } ]
- name: strip
  from: a
  match: /strip/*/gain
  to: c
  address: /ch/{1}/level
  args: [ "{1}", "strip {1}", { capture: 1, type: i }, $1, { arg: 1, type: s }, true, 0.5 ]
- name: forward
  from: a
  match: '/strip//gain'
  to: b
)";

TEST(RouterNoAllocationTest, TheCounterSeesAllocations) {
  Counting scope;
  auto* text = new std::string(100, 'x');
  delete text;
  EXPECT_GT(scope.count(), 0);
}

TEST(RouterNoAllocationTest, SteadyStateRoutingAllocatesNothing) {
  Harness harness;
  ASSERT_EQ(harness.load_routes(kRoutes), "");
  // Built before counting: ten variants of each input so that values change from message to
  // message, as they do on a real fader.
  std::vector<std::string> inputs;
  for (int i = 0; i < 10; ++i) {
    const float value = static_cast<float>(i) / 9.0f;
    const std::string strip = "/strip/" + std::to_string(i + 1) + "/gain";
    inputs.push_back(message("/1/fader1", value));
    inputs.push_back(message(strip, value));
    inputs.push_back(bundle(osc::TimeTag(0x83aa7e80u, static_cast<std::uint32_t>(i)),
                            {message("/1/fader1", value), message(strip, value),
                             message("/strip/99/gain", 1.0f - value)}));
  }
  for (const auto& input : inputs) harness.route("a", input);  // warm-up: buffers reach size

  auto& b = harness.endpoint("b");
  auto& c = harness.endpoint("c");
  const std::size_t b_before = b.packets;
  const std::size_t c_before = c.packets;
  long counted = 0;
  {
    Counting scope;
    for (int round = 0; round < 1000; ++round) {
      harness.route("a", inputs[static_cast<std::size_t>(round) % inputs.size()]);
    }
    counted = scope.count();
  }
  EXPECT_EQ(counted, 0) << "allocations while routing 1,000 packets";

  // The loop really routed: per 3 packets b got 1 (fader) + 1 (forward) + 1 (bundle) and c got
  // 1 (strip) + 1 (bundle); 1,000 = 333 rounds of 3 inputs plus one fader.
  EXPECT_EQ(b.packets - b_before, 333u * 3 + 1);
  EXPECT_EQ(c.packets - c_before, 333u * 2);
  const auto& a = harness.endpoint("a").counters();
  EXPECT_EQ(a.drops(DropReason::not_applicable), 0u);
  EXPECT_EQ(a.drops(DropReason::no_route), 0u);
  const osc::Packet last = testing::parsed(b.last_packet());
  ASSERT_TRUE(last.is_message());
  EXPECT_EQ(last.message().address(), "/track/1/volume");
}

// Bad input in a flood must not cost an allocation per message either: the drop's detail is
// composed in reused buffers, and its log line is rate-limited.
TEST(RouterNoAllocationTest, SteadyStateDropsAllocateNothing) {
  Harness harness;
  ASSERT_EQ(harness.load_routes(R"(
- { from: a, match: /needs/two, to: b, args: [ $2 ] }
- { from: a, match: '/ch/*', to: b, args: [ { capture: 1, type: i } ] }
- { from: a, match: /scale, to: b, args: [ { arg: 1, scale: [0, 1, 0, 127] } ] }
)"),
            "");
  const std::vector<std::string> inputs = {
      message("/needs/two", 1), message("/ch/not-a-number-at-all"), message("/scale", "text"),
      message("/nobody/listens/to/this/long/address"), std::string("garbage bytes, not OSC")};
  for (int i = 0; i < 3; ++i) {
    for (const auto& input : inputs) harness.route("a", input);
  }
  long counted = 0;
  {
    Counting scope;
    for (int round = 0; round < 1000; ++round) {
      harness.route("a", inputs[static_cast<std::size_t>(round) % inputs.size()]);
    }
    counted = scope.count();
  }
  EXPECT_EQ(counted, 0) << "allocations while dropping 1,000 packets";
  const auto& a = harness.endpoint("a").counters();
  EXPECT_EQ(a.drops(DropReason::not_applicable), 3u * 3 + 600);
  EXPECT_EQ(a.drops(DropReason::no_route), 3u + 200);
  EXPECT_EQ(a.drops(DropReason::malformed), 3u + 200);
  EXPECT_EQ(harness.total_sent(), 0u);
}

}  // namespace
}  // namespace oscbridge::daemon

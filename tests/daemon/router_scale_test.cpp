// The route indexes at scale, functionally: with 1,000 routes (literal matches looked up by
// hash, patterns indexed by their first address level) exactly the right route applies to
// each message. How fast that is belongs to bench/router_bench.cpp, not to a unit test.
#include <string>
#include <vector>

#include "tests/daemon/daemon_test_util.h"

namespace oscbridge::daemon {
namespace {

using testing::arguments;
using testing::Harness;
using testing::message;
using testing::parsed_message;

constexpr int kPairs = 500;  // 500 literal routes and 500 pattern routes

// Route 2i is the literal /lit{i}/value; route 2i+1 is the pattern /pat{i}/*/[0-9] (first
// level literal, so indexed). Interleaved so that file order mixes both indexes.
std::string many_routes() {
  std::string yaml(testing::kThreeEndpoints);
  for (int i = 0; i < kPairs; ++i) {
    const std::string n = std::to_string(i);
    yaml += "- { name: lit" + n + ", from: a, match: /lit" + n +
            "/value, to: b, address: /out/lit" + n + " }\n";
    yaml += "- { name: pat" + n + ", from: a, match: '/pat" + n +
            "/*/[0-9]', to: b, address: '/out/pat" + n + "/{1}/{2}' }\n";
  }
  return yaml;
}

class RouterScaleTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(harness_.load(many_routes()), ""); }

  // Routes address from a; returns the addresses b received for it.
  std::vector<std::string> outputs_for(const std::string& address) {
    auto& packets = harness_.endpoint("b").packets;
    packets.clear();
    harness_.route("a", message(address, 1));
    std::vector<std::string> out;
    for (const auto& packet : packets) out.emplace_back(parsed_message(packet).address());
    return out;
  }

  Harness harness_;
};

TEST_F(RouterScaleTest, EachMessageReachesExactlyItsRoute) {
  ASSERT_EQ(harness_.router().routes().size(), 2u * kPairs);
  for (int i = 0; i < kPairs; ++i) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(outputs_for("/lit" + n + "/value"), std::vector<std::string>{"/out/lit" + n});
    EXPECT_EQ(outputs_for("/pat" + n + "/ch/" + std::to_string(i % 10)),
              std::vector<std::string>{"/out/pat" + n + "/ch/" + std::to_string(i % 10)});
  }
  // Every route applied exactly once: no message reached a route that was not its own.
  for (const auto& route : harness_.router().routes()) {
    EXPECT_EQ(route.counters.matched, 1u) << route.settings.name;
    EXPECT_EQ(route.counters.sent, 1u) << route.settings.name;
  }
  EXPECT_EQ(harness_.endpoint("a").counters().drops(DropReason::no_route), 0u);
}

TEST_F(RouterScaleTest, NearMissesReachNoRoute) {
  const std::vector<std::string> misses = {
      "/lit1/value/x", "/lit1/valu",  "/lit1000/value", "/lit/value", "/pat1/ch/x",
      "/pat1/ch",      "/pat1/a/b/1", "/pat500/ch/1",   "/pat",       "/value"};
  for (const auto& address : misses) {
    EXPECT_TRUE(outputs_for(address).empty()) << address;
  }
  EXPECT_EQ(harness_.endpoint("a").counters().drops(DropReason::no_route), misses.size());
  for (const auto& route : harness_.router().routes()) {
    EXPECT_EQ(route.counters.matched, 0u) << route.settings.name;
  }
}

// A pattern whose first level has a wildcard cannot be indexed by it, and a route without
// match takes everything: both still apply next to indexed routes, in file order.
TEST(RouterScaleMixTest, UnindexedRoutesApplyAlongsideIndexedOnesInFileOrder) {
  std::string yaml(testing::kThreeEndpoints);
  yaml += "- { name: wild-first, from: a, match: '/*/value', to: b, address: /wild }\n";
  for (int i = 0; i < 300; ++i) {
    const std::string n = std::to_string(i);
    yaml += "- { from: a, match: /lit" + n + "/value, to: b, address: /lit }\n";
    yaml += "- { from: a, match: '/lit" + n + "/v*', to: b, address: /pat }\n";
  }
  yaml += "- { name: everything, from: a, to: c }\n";
  Harness harness;
  ASSERT_EQ(harness.load(yaml), "");
  harness.route("a", message("/lit123/value"));
  std::vector<std::string> got;
  for (const auto& packet : harness.endpoint("b").packets) {
    got.emplace_back(parsed_message(packet).address());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"/wild", "/lit", "/pat"}));
  EXPECT_EQ(harness.endpoint("c").packets.size(), 1u);
  EXPECT_EQ(arguments(parsed_message(harness.endpoint("c").packets.at(0))).size(), 0u);
}

}  // namespace
}  // namespace oscbridge::daemon

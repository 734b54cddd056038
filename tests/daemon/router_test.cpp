// Which routes apply to a message, where the results go, what is counted, and how messages of
// one incoming bundle leave together. Configs come from YAML through the real loader; outputs
// are parsed back with osc::parse_packet.
#include <string>
#include <utility>
#include <vector>

#include "tests/daemon/daemon_test_util.h"

namespace oscbridge::daemon {
namespace {

using testing::arguments;
using testing::bundle;
using testing::bundle_messages;
using testing::Harness;
using testing::message;
using testing::parsed;
using testing::parsed_message;

std::vector<std::string> addresses_of(const std::vector<std::string>& packets) {
  std::vector<std::string> out;
  for (const auto& packet : packets) {
    for (const osc::Message& m : bundle_messages(packet)) out.emplace_back(m.address());
  }
  return out;
}

class RouterTest : public ::testing::Test {
 protected:
  void load(std::string_view routes) { ASSERT_EQ(harness_.load_routes(routes), ""); }
  std::vector<std::string>& at(std::string_view endpoint) {
    return harness_.endpoint(endpoint).packets;
  }
  EndpointCounters& counters(std::string_view endpoint) {
    return harness_.endpoint(endpoint).counters();
  }

  Harness harness_;
};

// Deliberately listed so that file order differs from the order of the indexes (literal
// table, pattern index, unindexed list): the outputs must still come in file order.
TEST_F(RouterTest, LiteralPatternAndMatchAllRoutesApplyInFileOrder) {
  load(R"(- { name: all, from: a, to: b, address: /r1 }
- { name: first-level-wildcard, from: a, match: '/*/y', to: b, address: /r2 }
- { name: pattern, from: a, match: '/x/*', to: b, address: /r3 }
- { name: literal, from: a, match: /x/y, to: b, address: /r4 }
- { name: other, from: a, match: /x/z, to: b, address: /never }
- { name: all-again, from: a, to: b, address: /r5 }
)");
  harness_.route("a", message("/x/y", 1));
  EXPECT_EQ(addresses_of(at("b")), (std::vector<std::string>{"/r1", "/r2", "/r3", "/r4", "/r5"}));
  for (const char* name : {"all", "first-level-wildcard", "pattern", "literal", "all-again"}) {
    EXPECT_EQ(harness_.route_named(name).counters.matched, 1u) << name;
    EXPECT_EQ(harness_.route_named(name).counters.sent, 1u) << name;
  }
  EXPECT_EQ(harness_.route_named("other").counters.matched, 0u);
  EXPECT_EQ(counters("a").received, 1u);
  EXPECT_EQ(counters("a").drops(DropReason::no_route), 0u);
}

TEST_F(RouterTest, LiteralRouteMatchesOnlyItsAddress) {
  load("- { from: a, match: /mixer/fader/1, to: b }\n");
  for (const char* address :
       {"/mixer/fader/10", "/mixer/fader", "/mixer/fader/1/x", "/Mixer/fader/1"}) {
    harness_.route("a", message(address));
  }
  EXPECT_TRUE(at("b").empty());
  EXPECT_EQ(counters("a").drops(DropReason::no_route), 4u);
  harness_.route("a", message("/mixer/fader/1"));
  EXPECT_EQ(at("b").size(), 1u);
}

TEST_F(RouterTest, PatternRoutesIndexedByFirstLevelStillMatchEveryForm) {
  load(R"(- { from: a, match: '/deck/*', to: b, address: /star }
- { from: a, match: '/deck//gain', to: b, address: /any-depth }
- { from: a, match: '/deck/fader[0-9]', to: b, address: /set }
- { from: a, match: '/{deck,desk}/x', to: b, address: /alternatives }
- { from: a, match: '/dec?/x', to: b, address: /question }
- { from: a, match: '//x', to: b, address: /anywhere }
)");
  harness_.route("a", message("/deck/x"));
  EXPECT_EQ(addresses_of(at("b")),
            (std::vector<std::string>{"/star", "/alternatives", "/question", "/anywhere"}));
  at("b").clear();
  harness_.route("a", message("/deck/gain"));
  EXPECT_EQ(addresses_of(at("b")), (std::vector<std::string>{"/star", "/any-depth"}));
  at("b").clear();
  harness_.route("a", message("/deck/1/2/gain"));
  EXPECT_EQ(addresses_of(at("b")), (std::vector<std::string>{"/any-depth"}));
  at("b").clear();
  harness_.route("a", message("/deck/fader7"));
  EXPECT_EQ(addresses_of(at("b")), (std::vector<std::string>{"/star", "/set"}));
  at("b").clear();
  harness_.route("a", message("/desk/x"));
  EXPECT_EQ(addresses_of(at("b")), (std::vector<std::string>{"/alternatives", "/anywhere"}));
  at("b").clear();
  harness_.route("a", message("/deck"));  // one level only: no pattern here matches it
  EXPECT_TRUE(at("b").empty());
  EXPECT_EQ(counters("a").drops(DropReason::no_route), 1u);
}

TEST_F(RouterTest, FromFiltersBySourceEndpoint) {
  load(R"(- { name: from-b, from: b, to: c, address: /from-b }
- { name: from-a-or-c, from: [a, c], to: b, address: /from-a-or-c }
)");
  harness_.route("a", message("/x"));
  EXPECT_TRUE(at("c").empty());
  EXPECT_EQ(addresses_of(at("b")), (std::vector<std::string>{"/from-a-or-c"}));
  harness_.route("b", message("/x"));
  EXPECT_EQ(addresses_of(at("c")), (std::vector<std::string>{"/from-b"}));
  harness_.route("c", message("/x"));
  EXPECT_EQ(at("b").size(), 2u);
  EXPECT_EQ(harness_.route_named("from-b").counters.matched, 1u);
  EXPECT_EQ(harness_.route_named("from-a-or-c").counters.matched, 2u);
}

// A route keeps the first 64 endpoints of `from` as bits and any further ones apart: both
// halves, and the edge between them, must filter alike.
TEST(RouterFromTest, FromFiltersAlikeBelowAndBeyondTheSixtyFourthEndpoint) {
  std::string yaml = "endpoints:\n";
  for (int i = 0; i < 70; ++i) {
    yaml += "  e" + std::to_string(i) +
            ": { protocol: udp, listen: 127.0.0.1:" + std::to_string(20000 + i) +
            (i == 0 ? ", send: 127.0.0.1:21000 }\n" : " }\n");
  }
  yaml += R"(routes:
  - { name: early, from: [e3, e63], match: /x, to: e0, address: /early }
  - { name: late, from: [e64, e69], match: /x, to: e0, address: /late }
)";
  Harness harness;
  ASSERT_EQ(harness.load(yaml), "");
  for (int i = 1; i < 70; ++i) harness.route("e" + std::to_string(i), message("/x"));
  EXPECT_EQ(addresses_of(harness.endpoint("e0").packets),
            (std::vector<std::string>{"/early", "/early", "/late", "/late"}));
  std::vector<std::string> sources;
  for (const Endpoint* origin : harness.endpoint("e0").origins) sources.push_back(origin->name());
  EXPECT_EQ(sources, (std::vector<std::string>{"e3", "e63", "e64", "e69"}));
  EXPECT_EQ(harness.endpoint("e65").counters().drops(DropReason::no_route), 1u);
}

TEST_F(RouterTest, MessagesFromAnEndpointNoRouteAcceptsAreCountedAsNoRoute) {
  load("- { from: b, to: c }\n");
  harness_.route("a", message("/x"));
  harness_.route("a", message("/y"));
  EXPECT_EQ(harness_.total_sent(), 0u);
  EXPECT_EQ(counters("a").received, 2u);
  EXPECT_EQ(counters("a").drops(DropReason::no_route), 2u);
}

TEST_F(RouterTest, ARouteWithoutFromNeverSendsBackToTheSource) {
  load("- { to: [a, b] }\n");
  harness_.route("a", message("/x"));
  EXPECT_TRUE(at("a").empty());
  EXPECT_EQ(at("b").size(), 1u);
  // Not /x: b sending back at once what it was just sent would be its echo (echo_window).
  harness_.route("b", message("/y"));
  EXPECT_EQ(at("a").size(), 1u);
  EXPECT_EQ(at("b").size(), 1u);
  harness_.route("c", message("/x"));
  EXPECT_EQ(at("a").size(), 2u);
  EXPECT_EQ(at("b").size(), 2u);
  EXPECT_EQ(harness_.route_named("route 1").counters.sent, 4u);
}

TEST_F(RouterTest, ARouteNamingTheSourceInFromAndToEchoes) {
  load(R"(- { name: echo, from: a, match: /ping, to: [a, b], address: /pong }
- { name: others, from: [b, c], to: [a, b, c] }
)");
  harness_.route("a", message("/ping"));
  EXPECT_EQ(addresses_of(at("a")), (std::vector<std::string>{"/pong"}));
  EXPECT_EQ(addresses_of(at("b")), (std::vector<std::string>{"/pong"}));
  harness_.route("b", message("/x"));  // b is in from and to, so b hears itself too
  EXPECT_EQ(at("b").size(), 2u);
  EXPECT_EQ(at("a").size(), 2u);
  EXPECT_EQ(at("c").size(), 1u);
}

// final: true (issue 8, item 10): once a final route matched a message, later routes do not
// take it, even when the final route's templates did not apply to it; earlier routes still do.
TEST_F(RouterTest, AFinalRouteStopsLaterRoutesForTheMessagesItMatched) {
  load(R"(- { name: early, from: a, match: '/buttons/*', to: c, address: /early }
- { name: fence-for-c, from: c, to: a, final: true }
- { name: buttons, from: a, match: '/buttons/*', to: b, address: '/config/{1}', final: true }
- { name: needs-two, from: a, match: /two, to: b, args: [$2], final: true }
- { name: catch-all, from: a, to: b }
)");
  harness_.route("a", message("/buttons/3", 1));
  EXPECT_EQ(addresses_of(at("c")), (std::vector<std::string>{"/early"}));
  EXPECT_EQ(addresses_of(at("b")), (std::vector<std::string>{"/config/3"}));
  EXPECT_EQ(harness_.route_named("catch-all").counters.matched, 0u);
  // Not matched by a final route (fence-for-c takes only c's messages): the catch-all applies.
  harness_.route("a", message("/fader", 0.5f));
  EXPECT_EQ(addresses_of(at("b")), (std::vector<std::string>{"/config/3", "/fader"}));
  // Matched, but $2 is missing: nothing from needs-two, and still nothing from the catch-all.
  harness_.route("a", message("/two", 1));
  EXPECT_EQ(at("b").size(), 2u);
  EXPECT_EQ(harness_.route_named("needs-two").counters.dropped, 1u);
  EXPECT_EQ(harness_.route_named("catch-all").counters.matched, 1u);
  EXPECT_EQ(counters("a").drops(DropReason::not_applicable), 1u);
}

TEST_F(RouterTest, EveryPacketSentKnowsItsOriginAndHowManyMessagesItCarries) {
  load("- { from: a, to: b }\n- { from: c, to: b }\n");
  harness_.route("a", message("/x", 1));
  harness_.route("c", bundle(osc::TimeTag(5), {message("/y", 2), message("/z", 3)}));
  const auto& b = harness_.endpoint("b");
  ASSERT_EQ(b.packets.size(), 2u);
  EXPECT_EQ(b.origins,
            (std::vector<const Endpoint*>{&harness_.endpoint("a"), &harness_.endpoint("c")}));
  // The bundle carries two messages: sent counts messages, not packets.
  EXPECT_EQ(counters("b").sent, 3u);
}

TEST_F(RouterTest, MalformedPacketsAreCountedAndRouteNothing) {
  load("- { from: a, to: b }\n");
  const std::string good = message("/x", 1);
  for (std::string bad :
       {std::string("garbage"), std::string("/x\0\0,i\0\0\0\0", 10), std::string("#bundle\0", 8)}) {
    harness_.route("a", bad);
  }
  // A bundle with one good element and one broken one: validated whole, so nothing leaves.
  std::string broken = bundle(osc::TimeTag(5), {good, good});
  broken.resize(broken.size() - 4);
  harness_.route("a", broken);
  EXPECT_EQ(harness_.total_sent(), 0u);
  EXPECT_EQ(counters("a").drops(DropReason::malformed), 4u);
  // Each unreadable packet arrived all the same: it counts as one message received.
  EXPECT_EQ(counters("a").received, 4u);
  harness_.route("a", good);  // and the endpoint keeps working
  EXPECT_EQ(at("b").size(), 1u);
}

class BundleTest : public RouterTest {
 protected:
  static constexpr osc::TimeTag kTime{0x83aa7e80u, 0x80000000u};
  static constexpr osc::TimeTag kLater{0x83aa7e81u, 0u};

  // The timetag and messages of a packet that must be a bundle.
  static std::pair<osc::TimeTag, std::vector<std::string>> contents(const std::string& packet) {
    const osc::Packet p = parsed(packet);
    EXPECT_TRUE(p.is_bundle()) << "expected a bundle";
    std::vector<std::string> addresses;
    for (const osc::Message& m : bundle_messages(packet)) addresses.emplace_back(m.address());
    return {p.bundle().time(), addresses};
  }
};

TEST_F(BundleTest, MessagesToOneDestinationLeaveInOneBundleWithTheOriginalTimetag) {
  load(R"(- { from: a, match: '/x/*', to: b }
- { from: a, match: /y, to: c }
- { from: a, match: /y, to: b, address: /y-copy }
)");
  harness_.route("a", bundle(kTime, {message("/x/1", 1), message("/y", 2.0f), message("/x/2"),
                                     message("/unrouted")}));
  ASSERT_EQ(at("b").size(), 1u);
  auto [time_b, addresses_b] = contents(at("b")[0]);
  EXPECT_EQ(time_b, kTime);
  EXPECT_EQ(addresses_b, (std::vector<std::string>{"/x/1", "/y-copy", "/x/2"}));
  ASSERT_EQ(at("c").size(), 1u);  // a separate bundle, even for a single message
  auto [time_c, addresses_c] = contents(at("c")[0]);
  EXPECT_EQ(time_c, kTime);
  EXPECT_EQ(addresses_c, (std::vector<std::string>{"/y"}));
  EXPECT_EQ(counters("a").received, 4u);
  EXPECT_EQ(counters("a").drops(DropReason::no_route), 1u);
}

TEST_F(BundleTest, BundledMessagesAreTransformedAndKeepTheirArguments) {
  load("- { from: a, match: '/f/*', to: b, address: '/g/{1}', args: [ { arg: 1, type: i } ] }\n");
  harness_.route("a", bundle(kTime, {message("/f/1", 0.4f), message("/f/2", 7.6)}));
  ASSERT_EQ(at("b").size(), 1u);
  const auto messages = bundle_messages(at("b")[0]);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].address(), "/g/1");
  EXPECT_EQ(arguments(messages[0]).at(0).as_int32(), 0);
  EXPECT_EQ(messages[1].address(), "/g/2");
  EXPECT_EQ(arguments(messages[1]).at(0).as_int32(), 8);
}

TEST_F(BundleTest, ABareMessageIsSentBare) {
  load("- { from: a, to: b }\n");
  harness_.route("a", bundle(kTime, {message("/in-bundle")}));
  const std::string bare = message("/bare", 1);
  harness_.route("a", bare);
  ASSERT_EQ(at("b").size(), 2u);
  EXPECT_TRUE(parsed(at("b")[0]).is_bundle());
  EXPECT_EQ(at("b")[1], bare);
}

TEST_F(BundleTest, NoEmptyBundleForADestinationNothingWasRoutedTo) {
  load("- { to: [a, b] }\n");
  harness_.route("a", bundle(kTime, {message("/x"), message("/y")}));
  EXPECT_TRUE(at("a").empty()) << "no route back, and no empty bundle either";
  ASSERT_EQ(at("b").size(), 1u);
  EXPECT_EQ(contents(at("b")[0]).second, (std::vector<std::string>{"/x", "/y"}));
  EXPECT_TRUE(at("c").empty());
}

TEST_F(BundleTest, EmptyBundleSendsNothing) {
  load("- { from: a, to: b }\n");
  harness_.route("a", bundle(kTime, {}));
  EXPECT_EQ(harness_.total_sent(), 0u);
  EXPECT_EQ(counters("a").drops(DropReason::malformed), 0u);
}

TEST_F(BundleTest, NestedBundlesWithOneTimetagLeaveAsOneBundle) {
  load("- { from: a, to: b }\n");
  harness_.route("a", bundle(kTime, {message("/1"), bundle(kTime, {message("/2"), message("/3")}),
                                     message("/4")}));
  ASSERT_EQ(at("b").size(), 1u);
  auto [time, addresses] = contents(at("b")[0]);
  EXPECT_EQ(time, kTime);
  EXPECT_EQ(addresses, (std::vector<std::string>{"/1", "/2", "/3", "/4"}));
}

// Each message keeps the timetag of its innermost bundle and the order is kept: runs of one
// timetag share a bundle.
TEST_F(BundleTest, NestedBundlesKeepEachMessagesTimetagAndOrder) {
  load("- { from: a, to: b }\n");
  harness_.route(
      "a", bundle(kTime,
                  {message("/1"), bundle(kLater, {message("/2"), bundle(kLater, {message("/3")})}),
                   message("/4")}));
  ASSERT_EQ(at("b").size(), 3u);
  const std::vector<std::pair<osc::TimeTag, std::vector<std::string>>> expected = {
      {kTime, {"/1"}}, {kLater, {"/2", "/3"}}, {kTime, {"/4"}}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    auto got = contents(at("b")[i]);
    EXPECT_EQ(got.first, expected[i].first) << i;
    EXPECT_EQ(got.second, expected[i].second) << i;
  }
}

TEST_F(BundleTest, NestingDeeperThanTheSourceAllowsIsMalformed) {
  ASSERT_EQ(harness_.load(R"(endpoints:
  a: { protocol: udp, listen: 127.0.0.1:7001, max_bundle_depth: 2 }
  b: { protocol: udp, send: 127.0.0.1:8002 }
routes:
  - { from: a, to: b }
)"),
            "");
  harness_.route("a", bundle(kTime, {bundle(kTime, {message("/ok")})}));
  EXPECT_EQ(at("b").size(), 1u);
  harness_.route("a", bundle(kTime, {bundle(kTime, {bundle(kTime, {message("/deep")})})}));
  EXPECT_EQ(at("b").size(), 1u);
  EXPECT_EQ(counters("a").drops(DropReason::malformed), 1u);
}

// A bundle larger than the destination's max_frame leaves as several bundles with the same
// timetag, each within max_frame, and a single message larger than that still keeps its
// timetag.
TEST_F(BundleTest, LargeBundlesKeepEveryMessageAndTheTimetag) {
  ASSERT_EQ(harness_.load(R"(endpoints:
  a: { protocol: tcp, listen: 127.0.0.1:7001, max_frame: 4MiB, queue_limit: 8MiB }
  b: { protocol: tcp, listen: 127.0.0.1:7002, max_frame: 64KiB, queue_limit: 8MiB }
routes:
  - { from: a, to: b }
)"),
            "");
  const std::string chunk(3000, 'x');
  std::vector<std::string> elements;
  std::vector<std::string> expected;
  for (int i = 0; i < 60; ++i) {
    expected.push_back("/m/" + std::to_string(i));
    elements.push_back(message(expected.back(), testing::Blob{chunk}));
  }
  const std::string huge_blob(200000, 'y');
  expected.push_back("/huge");
  elements.push_back(message("/huge", testing::Blob{huge_blob}));
  expected.push_back("/after");
  elements.push_back(message("/after"));
  // Built here rather than with testing::bundle, whose buffer is sized for UDP.
  std::size_t total = 16;
  for (const auto& e : elements) total += 4 + e.size();
  std::string packet(total, '\0');
  osc::BundleBuilder builder(std::span<char>(packet.data(), packet.size()), kTime);
  for (const auto& e : elements) builder.add_element(e);
  ASSERT_TRUE(builder.finish());
  harness_.route("a", packet);
  std::vector<std::string> got;
  for (const auto& out : at("b")) {
    auto [time, addresses] = contents(out);
    EXPECT_EQ(time, kTime);
    got.insert(got.end(), addresses.begin(), addresses.end());
  }
  EXPECT_EQ(got, expected);
  EXPECT_GE(at("b").size(), 3u);
  for (const auto& out : at("b")) {
    if (out.find("/huge") == std::string::npos) {
      EXPECT_LE(out.size(), 65536u);
    }
  }
}

}  // namespace
}  // namespace oscbridge::daemon

namespace oscbridge::daemon {
namespace {

// A stage that keeps every other message and releases what it kept when asked, as a rate
// limit releases the last value from its timer.
class HoldingStage final : public Stage {
 public:
  explicit HoldingStage(std::vector<std::string>& log, std::string name)
      : log_(log), name_(std::move(name)) {}
  bool process(const Outgoing& outgoing) override {
    log_.push_back(name_);
    if (++seen_ % 2 == 0) return true;
    held_.emplace_back(outgoing.message);
    destination_ = &outgoing.destination;
    time_ = outgoing.time;
    origin_ = outgoing.origin;
    return false;
  }
  void release() {
    for (const auto& message : held_) pass_on(Outgoing{*destination_, message, time_, origin_});
    held_.clear();
  }

 private:
  std::vector<std::string>& log_;
  std::string name_;
  int seen_ = 0;
  std::vector<std::string> held_;
  Endpoint* destination_ = nullptr;
  osc::TimeTag time_;
  Origin origin_;
};

TEST(RouterStageTest, StagesRunInOrderAndAHeldMessageIsResumedAfterThem) {
  std::vector<std::string> log;
  std::vector<HoldingStage*> holders;
  RouterSetup setup;
  setup.stages = [&](const config::Route& route) {
    std::vector<std::unique_ptr<Stage>> stages;
    if (route.name != "held") return stages;
    auto first = std::make_unique<HoldingStage>(log, "first");
    holders.push_back(first.get());
    stages.push_back(std::move(first));
    auto second = std::make_unique<HoldingStage>(log, "second");
    holders.push_back(second.get());
    stages.push_back(std::move(second));
    return stages;
  };
  Harness harness;
  ASSERT_EQ(harness.load_routes(R"(- { name: held, from: a, match: /x, to: b, address: /held }
- { name: direct, from: a, match: /x, to: c }
)",
                                std::move(setup)),
            "");
  ASSERT_EQ(holders.size(), 2u);
  auto& b = harness.endpoint("b").packets;
  auto& c = harness.endpoint("c").packets;

  harness.route("a", message("/x", 1));  // first holds it
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(c.size(), 1u) << "a stage of one route held up another route";
  EXPECT_EQ(log, (std::vector<std::string>{"first"}));
  EXPECT_EQ(harness.route_named("held").counters.sent, 0u);

  harness.route("a", message("/x", 2));  // first passes, second holds
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(log, (std::vector<std::string>{"first", "first", "second"}));

  // Released from outside route_packet (a timer would do this): the message continues with
  // the stages after the one that held it, then reaches the destination.
  holders[0]->release();  // message 1 goes on to second, which passes it (its 2nd message)
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(parsed_message(b[0]).address(), "/held");
  EXPECT_EQ(arguments(parsed_message(b[0])).at(0).as_int32(), 1);
  holders[1]->release();  // message 2, after the last stage: straight to b
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(arguments(parsed_message(b[1])).at(0).as_int32(), 2);
  EXPECT_EQ(log, (std::vector<std::string>{"first", "first", "second", "second"}));
  EXPECT_EQ(harness.route_named("held").counters.sent, 2u);
}

}  // namespace
}  // namespace oscbridge::daemon

// UDP -> UDP through the real daemon with every kind of template: a pattern whose capture
// rewrites the address, scaling with rounding and clamping, $N, "{N}", typed captures,
// literals, args: [], a message that lacks the scaled argument (dropped for that route and
// counted), and several routes applying to one message. liblo sends and receives.
#include "tests/e2e/udp_helpers.h"

namespace oscbridge::e2e {
namespace {

std::string config(std::uint16_t in_port, std::uint16_t out_port) {
  return "endpoints:\n"
         "  surface: { protocol: udp, listen: " +
         at(in_port) +
         " }\n"
         "  daw: { protocol: udp, send: " +
         at(out_port) +
         " }\n"
         "routes:\n"
         "  - name: faders\n"
         "    from: surface\n"
         "    match: /1/fader*\n"
         "    to: daw\n"
         "    address: /track/{1}/volume\n"
         "    args: [ { arg: 1, scale: [0, 1, 0, 127], type: i } ]\n"
         "  - name: templates\n"
         "    match: /pass/*/*\n"
         "    to: daw\n"
         "    address: /out/{2}/{1}\n"
         "    args: [ $2, $1, \"{1}\", { capture: 2, type: i }, { capture: 1, type: f }, 42, 1.5,\n"
         "            lit, true, false, null, \"ch {2}\", { value: 7, type: h } ]\n"
         "  - name: types\n"
         "    match: /types\n"
         "    to: daw\n"
         "    args: [ { arg: 1, scale: [0, 2, 0, 9], type: d }, { arg: 1, scale: [0, 2, 0, 9], "
         "type: h },\n"
         "            { arg: 1, scale: [0, 2, 0, 9], type: s }, { arg: 1, scale: [0, 2, 0, 9] },\n"
         "            { arg: 1, scale: [0, 2, 0.0, 9.0] } ]\n"
         "  - name: clamp\n"
         "    match: /clamp\n"
         "    to: daw\n"
         "    args: [ { arg: 1, scale: [0, 1, 0, 100], clamp: true }, { arg: 1, scale: [0, 1, 0, "
         "100] },\n"
         "            { arg: 1, scale: [0, 1, 100, 0], clamp: true } ]\n"
         "  - name: empty\n"
         "    match: /empty\n"
         "    to: daw\n"
         "    args: []\n"
         "  - name: multi_a\n"
         "    match: /multi/*\n"
         "    to: daw\n"
         "    address: /multi/a/{1}\n"
         "  - name: multi_b\n"
         "    match: /multi/?\n"
         "    to: daw\n"
         "    address: /multi/b/{1}\n"
         "    args: [ $1 ]\n"
         "  - name: ties\n"
         "    match: /ties\n"
         "    to: daw\n"
         "    args: [ { arg: 1, scale: [0, 1, 0, 5] }, { arg: 1, scale: [0, 1, 0, 5], type: h },\n"
         "            { arg: 1, type: i } ]\n"
         "  - name: end\n"
         "    match: /end\n"
         "    to: daw\n";
}

std::string describe(const std::vector<Received>& messages) {
  std::string text;
  for (const auto& message : messages) {
    text += message.address + " ," + message.types;
    for (const auto& arg : message.args) text += " " + arg;
    text += "\n";
  }
  return text;
}

TEST(UdpTransformTest, TemplatesScalingClampAndDropsThroughTheRealDaemon) {
  auto in_port = free_port();
  LoPeer daw(free_port());
  ASSERT_TRUE(daw.ok());
  Daemon daemon(config(in_port, daw.port()));
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  // One lo_address keeps one socket, so the daemon gets the datagrams in this order and,
  // having one loop thread, forwards them in this order.
  lo_address to_daemon = lo_address_new("127.0.0.1", std::to_string(in_port).c_str());
  ASSERT_NE(to_daemon, nullptr);
  ASSERT_GE(lo_send(to_daemon, "/1/fader3", "f", 0.5f), 0);    // 63.5 rounds to 64
  ASSERT_GE(lo_send(to_daemon, "/1/fader12", "f", 0.25f), 0);  // 31.75 rounds to 32
  ASSERT_GE(lo_send(to_daemon, "/1/fader2", ""), 0);           // no argument 1: not for faders
  ASSERT_GE(lo_send(to_daemon, "/1/fader4", "s", "loud"), 0);  // not a number: not for faders
  ASSERT_GE(lo_send(to_daemon, "/pass/2.5/9", "is", 5, "five"), 0);
  ASSERT_GE(lo_send(to_daemon, "/types", "f", 0.5f), 0);
  ASSERT_GE(lo_send(to_daemon, "/clamp", "f", 1.5f), 0);
  ASSERT_GE(lo_send(to_daemon, "/clamp", "f", -0.5f), 0);
  ASSERT_GE(lo_send(to_daemon, "/empty", "is", 1, "gone"), 0);
  ASSERT_GE(lo_send(to_daemon, "/multi/x", "i", 7), 0);
  // Halves round away from zero (docs: "to the nearest integer"; transform.cpp: std::round).
  ASSERT_GE(lo_send(to_daemon, "/ties", "f", 0.5f), 0);   // 2.5 and 0.5
  ASSERT_GE(lo_send(to_daemon, "/ties", "f", -0.5f), 0);  // -2.5 and -0.5
  ASSERT_GE(lo_send(to_daemon, "/end", ""), 0);
  lo_address_free(to_daemon);

  const std::string expected =
      "/track/3/volume ,i i:64\n"
      "/track/12/volume ,i i:32\n"
      "/out/9/2.5 ,sisififsTFNsh s:five i:5 s:2.5 i:9 f:2.5 i:42 f:1.5 s:lit T F N s:ch 9 h:7\n"
      "/types ,dhsif d:2.25 h:2 s:2.25 i:2 f:2.25\n"
      "/clamp ,iii i:100 i:150 i:0\n"
      "/clamp ,iii i:0 i:-50 i:100\n"
      "/empty ,\n"
      "/multi/a/x ,i i:7\n"
      "/multi/b/x ,i i:7\n"
      "/ties ,ihi i:3 h:3 i:1\n"
      "/ties ,ihi i:-3 h:-3 i:-1\n"
      "/end ,\n";
  // /end comes last, so once it is in nothing sent before it can still be on the way.
  const auto& got = daw.wait_for(12, 10000);
  EXPECT_EQ(describe(got), expected) << daemon.log();

  ASSERT_TRUE(log_counters_now(daemon, "end")) << daemon.log();
  std::string log = daemon.log();
  EXPECT_EQ(counters(log, "route", "faders"), "matched 4, sent 2, dropped 2 (not_applicable 2)")
      << log;
  EXPECT_EQ(counters(log, "route", "templates"), "matched 1, sent 1, dropped 0") << log;
  EXPECT_EQ(counters(log, "route", "multi_a"), "matched 1, sent 1, dropped 0") << log;
  EXPECT_EQ(counters(log, "route", "multi_b"), "matched 1, sent 1, dropped 0") << log;
  EXPECT_EQ(counters(log, "endpoint", "surface"),
            "received 13, sent 0, dropped 2 (not_applicable 2)")
      << log;
  EXPECT_EQ(counters(log, "endpoint", "daw"), "received 0, sent 12, dropped 0") << log;
  // The first drop of a kind is logged with its reason.
  EXPECT_NE(log.find("surface: dropped a message (not_applicable): route 'faders' on /1/fader2: "
                     "message has no argument 1"),
            std::string::npos)
      << log;

  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  EXPECT_EQ(counters(daemon.log(), "route", "faders"),
            "matched 4, sent 2, dropped 2 (not_applicable 2)")
      << daemon.log();
}

// Issue 8, items 2 and 7, through the real binary: a string argument converts to a number
// (and stays itself as s); a rewrite that would send /track//volume does not apply and is
// counted, and the daemon warned about it when it loaded the file.
TEST(UdpTransformTest, StringsConvertAndARewriteWithAnEmptyLevelIsDroppedAndCounted) {
  auto in_port = free_port();
  LoPeer daw(free_port());
  ASSERT_TRUE(daw.ok());
  Daemon daemon(
      "endpoints:\n"
      "  surface: { protocol: udp, listen: " +
      at(in_port) +
      " }\n"
      "  daw: { protocol: udp, send: " +
      at(daw.port()) +
      " }\n"
      "routes:\n"
      "  - name: faders\n"
      "    match: /1/fader*\n"
      "    to: daw\n"
      "    address: /track/{1}/volume\n"
      "  - name: levels\n"
      "    match: /level\n"
      "    to: daw\n"
      "    args: [ { arg: 1, type: i }, { arg: 1, type: s }, "
      "{ arg: 1, scale: [0, 100, 0, 1.0] } ]\n"
      "  - name: end\n"
      "    match: /end\n"
      "    to: daw\n");
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  EXPECT_NE(daemon.log().find("warning: address: {1} can be empty (match '/1/fader*')"),
            std::string::npos)
      << daemon.log();

  lo_address to_daemon = lo_address_new("127.0.0.1", std::to_string(in_port).c_str());
  ASSERT_NE(to_daemon, nullptr);
  ASSERT_GE(lo_send(to_daemon, "/1/fader", "f", 0.5f), 0);  // would be /track//volume
  ASSERT_GE(lo_send(to_daemon, "/1/fader3", "f", 0.5f), 0);
  ASSERT_GE(lo_send(to_daemon, "/level", "s", "42"), 0);
  ASSERT_GE(lo_send(to_daemon, "/level", "s", "loud"), 0);  // no number: not for levels
  ASSERT_GE(lo_send(to_daemon, "/end", ""), 0);
  lo_address_free(to_daemon);

  const auto& got = daw.wait_for(3, 10000);
  EXPECT_EQ(describe(got),
            "/track/3/volume ,f f:0.5\n"
            "/level ,isf i:42 s:42 f:0.42\n"
            "/end ,\n")
      << daemon.log();

  ASSERT_TRUE(log_counters_now(daemon, "end")) << daemon.log();
  const std::string log = daemon.log();
  EXPECT_EQ(counters(log, "route", "faders"), "matched 2, sent 1, dropped 1 (not_applicable 1)")
      << log;
  EXPECT_EQ(counters(log, "route", "levels"), "matched 2, sent 1, dropped 1 (not_applicable 1)")
      << log;
  EXPECT_EQ(counters(log, "endpoint", "surface"),
            "received 5, sent 0, dropped 2 (not_applicable 2)")
      << log;
  EXPECT_NE(log.find("surface: dropped a message (not_applicable): route 'faders' on /1/fader: "
                     "rewritten address '/track//volume': address has an empty level ('//')"),
            std::string::npos)
      << log;
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace oscbridge::e2e

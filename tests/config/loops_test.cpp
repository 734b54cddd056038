// Loops between endpoints of one file (config/loops.h): warned about with every endpoint and
// route in them, and only when routes can really carry a message around.
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace oscbridge::config {
namespace {

using Lines = std::vector<std::string>;

// The loop warnings of a file that loads (other warnings left out).
Lines warnings_of(std::string_view yaml) {
  const LoadResult result = load_string(yaml, "t.yaml");
  EXPECT_TRUE(result.config) << testing::joined(result.errors);
  Lines loops;
  for (const std::string& warning : result.warnings) {
    if (warning.find(": warning: loop: ") != std::string::npos) loops.push_back(warning);
  }
  return loops;
}

constexpr std::string_view kEnd = ": a message can circulate forever";

// The case: each sends to the other's listen, routes both ways. Each route makes a loop
// of its own (a message arriving at a goes to b, which sends it to a's listen), so two.
TEST(Loops, TwoEndpointsSendingToEachOthersListen) {
  const std::string yaml =
      "endpoints:\n"
      "  a:\n"
      "    protocol: udp\n"
      "    listen: 127.0.0.1:9000\n"
      "    send: 127.0.0.1:9001\n"
      "  b:\n"
      "    protocol: udp\n"
      "    listen: 0.0.0.0:9001\n"
      "    send: localhost:9000\n"
      "routes:\n"
      "  - { name: ab, from: a, to: b }\n"
      "  - { name: ba, from: b, to: a }\n";
  EXPECT_EQ(warnings_of(yaml),
            (Lines{"t.yaml:5:11: warning: loop: endpoint 'a' (line 2) sends to 127.0.0.1:9001, "
                   "the listen of endpoint 'b' (line 6), and route 'ba' (line 12) routes what "
                   "arrives at 'b' to 'a'" +
                       std::string(kEnd),
                   "t.yaml:9:11: warning: loop: endpoint 'b' (line 6) sends to localhost:9000, "
                   "the listen of endpoint 'a' (line 2), and route 'ab' (line 11) routes what "
                   "arrives at 'a' to 'b'" +
                       std::string(kEnd)}));
  // One route is enough for one loop; a catch-all route (no from) loops the same way.
  EXPECT_EQ(warnings_of(yaml.substr(0, yaml.find("  - { name: ba"))).size(), 1u);
  EXPECT_EQ(
      warnings_of(yaml.substr(0, yaml.find("  - { name: ab")) + "  - { to: [a, b] }\n").size(), 2u);
}

TEST(Loops, ThroughThreeEndpointsNamesThemAll) {
  EXPECT_EQ(warnings_of("endpoints:\n"
                        "  a: { protocol: udp, listen: 127.0.0.1:9000, send: 127.0.0.1:9001 }\n"
                        "  b: { protocol: udp, listen: 127.0.0.1:9001 }\n"
                        "  c: { protocol: udp, listen: 127.0.0.1:9002, send: 127.0.0.1:9000 }\n"
                        "routes:\n"
                        "  - { name: bc, from: b, to: c, match: /x }\n"
                        "  - { name: ca, from: a, to: a, match: '/*' }\n"),
            Lines{"t.yaml:2:53: warning: loop: endpoint 'a' (line 2) sends to 127.0.0.1:9001, "
                  "the listen of endpoint 'b' (line 3), and route 'bc' (line 6) routes what "
                  "arrives at 'b' to 'c'; endpoint 'c' (line 4) sends to 127.0.0.1:9000, the "
                  "listen of endpoint 'a' (line 2), and route 'ca' (line 7) routes what arrives "
                  "at 'a' back to it" +
                  std::string(kEnd)});
}

// Routes that loop through each other make one warning, which counts the ones it leaves out.
TEST(Loops, OneWarningCountsTheOtherRoutesOfTheSameLoops) {
  EXPECT_EQ(warnings_of("endpoints:\n"
                        "  a: { protocol: udp, listen: 127.0.0.1:9000 }\n"
                        "  b: { protocol: udp, listen: 127.0.0.1:9001, send: 127.0.0.1:9000 }\n"
                        "routes:\n"
                        "  - { name: x, from: a, to: b, match: '/x/*' }\n"
                        "  - { name: y, from: a, to: b, match: '/y/*' }\n"
                        "  - { name: z, from: a, to: b, match: '/z/*' }\n"),
            Lines{"t.yaml:3:53: warning: loop: endpoint 'b' (line 3) sends to 127.0.0.1:9000, the "
                  "listen of endpoint 'a' (line 2), and route 'x' (line 5) routes what arrives at "
                  "'a' to 'b'" +
                  std::string(kEnd) +
                  " (2 other routes loop through these endpoints too, starting with 'y' (line "
                  "6))"});
}

// A route returns a message to the endpoint it came from only when `from` names it.
TEST(Loops, EndpointSendingToItsOwnListen) {
  const std::string endpoint =
      "endpoints:\n"
      "  a: { protocol: udp, listen: 0.0.0.0:9000, send: [10.0.0.1:9, 127.0.0.1:9000] }\n"
      "routes:\n";
  EXPECT_EQ(warnings_of(endpoint + "  - { name: echo, from: a, to: a }\n"),
            Lines{"t.yaml:2:64: warning: loop: endpoint 'a' (line 2) sends to 127.0.0.1:9000, its "
                  "own listen, and route 'echo' (line 4) routes what arrives at 'a' back to it" +
                  std::string(kEnd)});
  EXPECT_EQ(warnings_of(endpoint + "  - { name: all, to: a }\n"), Lines{});
}

TEST(Loops, TcpClientAndServerOfTheSameFile) {
  EXPECT_EQ(warnings_of("endpoints:\n"
                        "  server: { protocol: tcp, listen: \"[::]:3032\" }\n"
                        "  client: { protocol: tcp, connect: \"[::1]:3032\" }\n"
                        "routes:\n"
                        "  - { name: up, from: client, to: server }\n"),
            Lines{"t.yaml:3:37: warning: loop: endpoint 'server' (line 2) sends to its clients, "
                  "among them endpoint 'client' (line 3), which connects to it, and route 'up' "
                  "(line 5) routes what arrives at 'client' to 'server'" +
                  std::string(kEnd)});
}

TEST(Loops, ReplyPeersOfTheSameFile) {
  const std::string endpoints =
      "endpoints:\n"
      "  a: { protocol: udp, listen: 127.0.0.1:9000, send: 127.0.0.1:9001 }\n"
      "  b: { protocol: udp, listen: 127.0.0.1:9001, reply: true }\n"
      "  c: { protocol: udp, listen: 127.0.0.1:9002 }\n"
      "routes:\n";
  EXPECT_EQ(warnings_of(endpoints + "  - { name: ab, from: a, to: b }\n  - { from: c, to: a }\n"),
            Lines{"t.yaml:2:53: warning: loop: endpoint 'b' (line 3) replies (reply: true) to "
                  "endpoint 'a' (line 2), which sends to it from its listen, and route 'ab' "
                  "(line 6) routes what arrives at 'a' to 'b'" +
                  std::string(kEnd)});
  // b learns a as a peer only once a sends, and nothing routes to a.
  EXPECT_EQ(warnings_of(endpoints + "  - { name: ab, from: a, to: b }\n"), Lines{});
}

TEST(Loops, NotWhenNothingComesBack) {
  // Forwarding from a only: to another port, another machine, another family or protocol.
  EXPECT_EQ(warnings_of("endpoints:\n"
                        "  a: { protocol: udp, listen: 0.0.0.0:9000, send: 127.0.0.1:9001 }\n"
                        "  b: { protocol: udp, listen: 127.0.0.1:9001, send: 127.0.0.1:9002 }\n"
                        "  c: { protocol: udp, listen: 127.0.0.1:9003, send: 192.168.1.5:9000 }\n"
                        "  d: { protocol: udp, listen: \"[::1]:9004\", send: \"[::1]:9000\" }\n"
                        "  e: { protocol: tcp, connect: 127.0.0.1:9000 }\n"
                        "  f: { protocol: udp, send: 127.0.0.2:9001 }\n"
                        "routes:\n"
                        "  - { from: a, to: [b, c, d, e, f] }\n"),
            Lines{});
}

// Literal addresses that differ: what a route sends (/y) is not what it or the next one takes.
TEST(Loops, NotWhenLiteralAddressesCannotMatch) {
  const std::string endpoints =
      "endpoints:\n"
      "  a: { protocol: udp, listen: 127.0.0.1:9000, send: 127.0.0.1:9001 }\n"
      "  b: { protocol: udp, listen: 127.0.0.1:9001, send: 127.0.0.1:9000 }\n"
      "routes:\n";
  EXPECT_EQ(warnings_of(endpoints + "  - { from: a, to: b, match: /x, address: /y }\n"), Lines{});
  EXPECT_EQ(warnings_of(endpoints + "  - { from: a, to: b, match: /x, address: /y }\n"
                                    "  - { from: b, to: a, match: /y, address: /x }\n"),
            Lines{});
  // Patterns and captures may produce anything: assumed to match.
  EXPECT_EQ(
      warnings_of(endpoints + "  - { from: a, to: b, match: '/x/*', address: '/y/{1}' }\n").size(),
      1u);
  EXPECT_EQ(warnings_of(endpoints + "  - { from: a, to: b, match: /x, address: /x }\n").size(), 1u);
}

}  // namespace
}  // namespace oscbridge::config

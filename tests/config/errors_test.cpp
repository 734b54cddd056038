// Every class of error the loader must catch, each with its exact FILE:LINE:COL.
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace oscbridge::config {
namespace {

using testing::error_of;
using testing::errors_of;
using testing::route_error;

TEST(SyntaxErrors, ReportYamlCppsPosition) {
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: udp\n"),
            "t.yaml:3:1: YAML syntax error: end of map flow not found");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    - x\n   b: 1\n"),
            "t.yaml:4:4: YAML syntax error: end of map not found");
}

TEST(SyntaxErrors, NameTheUnquotedIpv6Address) {
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n    listen: [::1]:80\n"),
            "t.yaml:4:18: YAML syntax error: end of map not found (an IPv6 address must be "
            "quoted: \"[::1]:9000\")");
}

TEST(DocumentErrors, EmptyOrNotAMappingOrSeveralDocuments) {
  EXPECT_EQ(error_of(""), "t.yaml:1:1: the file is empty; expected endpoints and routes");
  EXPECT_EQ(error_of("# nothing but a comment\n"),
            "t.yaml:1:1: the file is empty; expected endpoints and routes");
  EXPECT_EQ(error_of("- a\n- b\n"),
            "t.yaml:1:1: expected a mapping with endpoints and routes, got a list");
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: udp, send: 127.0.0.1:1 }\n---\nroutes: []\n"),
            "t.yaml:3:1: only one YAML document is allowed ('---' starts a second one)");
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: udp, send: 127.0.0.1:1 }\n...\nroutes: []\n"),
            "t.yaml:4:1: only one YAML document is allowed (the '...' above ends the first one)");
  EXPECT_EQ(error_of("log: { level: info }\n"),
            "t.yaml:1:1: missing 'endpoints': at least one endpoint is needed");
  EXPECT_EQ(error_of("endpoints: {}\n"), "t.yaml:1:12: endpoints: at least one endpoint is needed");
}

TEST(DocumentErrors, TextYamlCppWouldDropOrHangOn) {
  // yaml-cpp starts a new document where the top-level mapping ends; YAML::Load would drop it.
  EXPECT_EQ(error_of("  endpoints:\n    a: { protocol: udp, send: 127.0.0.1:1 }\nroutes: []\n"),
            "t.yaml:3:1: YAML syntax error: unexpected text after the top-level mapping (is this "
            "line indented less than the first one?)");
  // A document starting with ',' makes YAML::LoadAll loop forever.
  EXPECT_EQ(error_of(", a: 1\n"), "t.yaml:1:1: YAML syntax error: unexpected ','");
  EXPECT_EQ(error_of("    max_frame: 1\n   , allow: []\n"),
            "t.yaml:2:4: YAML syntax error: unexpected text after the top-level mapping (is this "
            "line indented less than the first one?)");
}

TEST(UnknownKeys, SuggestTheClosestKnownKey) {
  EXPECT_EQ(errors_of("endpoint:\n  a: { protocol: udp, send: 127.0.0.1:1 }\n"),
            (std::vector<std::string>{
                "t.yaml:1:1: unknown key 'endpoint' in the top level (did you mean 'endpoints'?)",
                "t.yaml:1:1: missing 'endpoints': at least one endpoint is needed"}));
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n    lisen: 127.0.0.1:1\n"
                     "    send: 127.0.0.1:2\n"),
            "t.yaml:4:5: unknown key 'lisen' in endpoint 'a' (did you mean 'listen'?)");
  EXPECT_EQ(
      error_of("log: { levl: info }\nendpoints:\n  a: { protocol: udp, send: 127.0.0.1:1 }\n"),
      "t.yaml:1:8: unknown key 'levl' in log (did you mean 'level'?)");
  EXPECT_EQ(route_error("  - to: daw\n    adress: /x\n"),
            "t.yaml:11:5: unknown key 'adress' in route 'route 1' (did you mean 'address'?)");
  EXPECT_EQ(route_error("  - name: faders\n    to: daw\n    colour: red\n"),
            "t.yaml:12:5: unknown key 'colour' in route 'faders'");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ { arg: 1, scael: [0, 1, 0, 2] } ]\n"),
            "t.yaml:11:23: unknown key 'scael' in args[1] (did you mean 'scale'?)");
}

TEST(DuplicateKeys, EndpointNamesAndSettings) {
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: udp, send: 127.0.0.1:1 }\n"
                     "  a: { protocol: udp, send: 127.0.0.1:2 }\n"),
            "t.yaml:3:3: 'a' is defined twice (first at line 2)");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n    send: 127.0.0.1:1\n"
                     "    send: 127.0.0.1:2\n"),
            "t.yaml:5:5: 'send' is defined twice (first at line 4)");
}

TEST(Addresses, BadHostPortAndPortRange) {
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n    listen: 127.0.0.1:70000\n"),
            "t.yaml:4:13: listen: port 70000 is out of range 1..65535");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n    listen: 127.0.0.1:0\n"),
            "t.yaml:4:13: listen: port 0 is out of range 1..65535");
  EXPECT_EQ(
      error_of("endpoints:\n  a:\n    protocol: udp\n    send: [127.0.0.1:1, 10.0.0.256:2]\n"),
      "t.yaml:4:25: send: '10.0.0.256' is not an IPv4 address");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: tcp\n    connect: localhost\n"),
            "t.yaml:4:14: connect: missing port in 'localhost': expected host:port such as "
            "127.0.0.1:9000");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n    listen: 8000\n"),
            "t.yaml:4:13: listen: expected text, got the number 8000");
}

TEST(Cidrs, BadNetworks) {
  EXPECT_EQ(errors_of("endpoints:\n  a:\n    protocol: udp\n    listen: 0.0.0.0:1\n"
                      "    allow: [10.0.0.0/8, 192.168.1.1/24, lan]\n"),
            (std::vector<std::string>{
                "t.yaml:5:25: allow: '192.168.1.1/24' has bits set after the prefix; did you "
                "mean 192.168.1.0/24?",
                "t.yaml:5:41: allow: 'lan' is not an address or network such as 192.168.1.0/24 "
                "or fd00::/8"}));
  EXPECT_EQ(errors_of("endpoints:\n  a:\n    protocol: udp\n    listen: 0.0.0.0:1\n"
                      "    allow: [fd00::/200, lan]\n"),
            (std::vector<std::string>{
                "t.yaml:5:13: allow: prefix length '200' in 'fd00::/200' must be 0..128",
                "t.yaml:5:25: allow: 'lan' is not an address or network such as 192.168.1.0/24 "
                "or fd00::/8"}));
}

TEST(LogLevel, UnknownLevelWithSuggestion) {
  EXPECT_EQ(
      error_of("log: { level: warning }\nendpoints:\n  a: { protocol: udp, send: 127.0.0.1:1 }\n"),
      "t.yaml:1:15: level: unknown log level 'warning', expected 'trace', 'debug', 'info', "
      "'warn', 'error' or 'off' (did you mean 'warn'?)");
  EXPECT_EQ(error_of("log: info\nendpoints:\n  a: { protocol: udp, send: 127.0.0.1:1 }\n"),
            "t.yaml:1:6: log: expected a mapping such as { level: info }, got the text 'info'");
}

TEST(EndpointShape, ProtocolIsRequiredAndKnown) {
  EXPECT_EQ(error_of("endpoints:\n  a:\n    send: 127.0.0.1:1\n"),
            "t.yaml:2:3: endpoint 'a' needs a protocol: 'udp', 'tcp' or 'midi'");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: tpc\n"),
            "t.yaml:3:15: protocol: unknown protocol 'tpc', expected 'udp', 'tcp' or 'midi' (did "
            "you mean 'tcp'?)");
  EXPECT_EQ(error_of("endpoints:\n  a: udp\n"),
            "t.yaml:2:6: endpoint 'a': expected a mapping of settings, got the text 'udp'");
  EXPECT_EQ(error_of("endpoints:\n  a:\n"),
            "t.yaml:2:3: endpoint 'a': expected a mapping of settings, got nothing");
  EXPECT_EQ(error_of("endpoints:\n  my mixer: { protocol: udp, send: 127.0.0.1:1 }\n"),
            "t.yaml:2:3: endpoint name 'my mixer' may only contain letters, digits, '_', '-' and "
            "'.'");
}

TEST(EndpointShape, EachProtocolNeedsItsAddresses) {
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n"),
            "t.yaml:2:3: udp endpoint 'a' needs listen, send or both");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: tcp\n"),
            "t.yaml:2:3: tcp endpoint 'a' needs listen (to be a server) or connect (to be a "
            "client)");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: tcp\n    listen: 0.0.0.0:1\n"
                     "    connect: 10.0.0.1:1\n"),
            "t.yaml:5:5: a tcp endpoint either listens or connects, not both");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: midi\n"),
            "t.yaml:2:3: midi endpoint 'a' needs port: the name of a MIDI port (or a regular "
            "expression), or virtual: true");
}

TEST(EndpointShape, KeysOfAnotherProtocolOrRole) {
  const auto endpoint_error = [](std::string_view settings) {
    return error_of("endpoints:\n  a:\n" + std::string(settings));
  };
  EXPECT_EQ(endpoint_error("    protocol: udp\n    send: 10.0.0.1:1\n    framing: slip\n"),
            "t.yaml:5:5: 'framing' does not apply to a udp endpoint; it is for tcp endpoints "
            "(UDP datagrams need no framing)");
  EXPECT_EQ(endpoint_error("    protocol: udp\n    send: 10.0.0.1:2\n    connect: 10.0.0.1:1\n"),
            "t.yaml:5:5: 'connect' does not apply to a udp endpoint; it is for tcp endpoints (a "
            "udp endpoint uses send)");
  EXPECT_EQ(endpoint_error("    protocol: udp\n    send: 10.0.0.1:1\n    port: 9000\n"),
            "t.yaml:5:5: 'port' does not apply to a udp endpoint; it is for midi endpoints (for "
            "udp and tcp the port is part of host:port, e.g. listen: 0.0.0.0:8000)");
  EXPECT_EQ(endpoint_error("    protocol: tcp\n    connect: 10.0.0.1:1\n    reply: true\n"),
            "t.yaml:5:5: 'reply' does not apply to a tcp endpoint that connects; it is for udp "
            "endpoints (a tcp server always answers its clients)");
  EXPECT_EQ(endpoint_error("    protocol: tcp\n    connect: 10.0.0.1:1\n    allow: 10.0.0.1\n"),
            "t.yaml:5:5: 'allow' does not apply to a tcp endpoint that connects; it is for "
            "endpoints that listen");
  EXPECT_EQ(endpoint_error("    protocol: tcp\n    connect: 10.0.0.1:1\n    send: 10.0.0.1:2\n"),
            "t.yaml:5:5: 'send' does not apply to a tcp endpoint that connects; it is for udp "
            "endpoints (a tcp endpoint sends over its connections)");
  EXPECT_EQ(endpoint_error("    protocol: tcp\n    connect: 10.0.0.1:1\n    max_clients: 3\n"),
            "t.yaml:5:5: 'max_clients' does not apply to a tcp endpoint that connects; it is for "
            "tcp endpoints that listen");
  EXPECT_EQ(endpoint_error("    protocol: tcp\n    listen: 0.0.0.0:1\n    reconnect_max: 1s\n"),
            "t.yaml:5:5: 'reconnect_max' does not apply to a tcp endpoint that listens; it is for "
            "tcp endpoints that connect");
  EXPECT_EQ(endpoint_error("    protocol: midi\n    port: nano\n    listen: 0.0.0.0:1\n"),
            "t.yaml:5:5: 'listen' does not apply to a midi endpoint; it is for udp and tcp "
            "endpoints");
  EXPECT_EQ(endpoint_error("    protocol: udp\n    send: 10.0.0.1:1\n    queue_limit: 1MiB\n"),
            "t.yaml:5:5: 'queue_limit' does not apply to a udp endpoint; it is for tcp endpoints");
}

TEST(EndpointShape, UdpOptionsThatNeedListenOrReply) {
  EXPECT_EQ(
      error_of("endpoints:\n  a:\n    protocol: udp\n    send: 10.0.0.1:1\n    reply: true\n"),
      "t.yaml:5:5: reply: true needs listen: replies go out from the listen port to peers "
      "heard there");
  EXPECT_EQ(
      error_of("endpoints:\n  a:\n    protocol: udp\n    send: 10.0.0.1:1\n    reply: others\n"),
      "t.yaml:5:5: reply: others needs listen: replies go out from the listen port to peers "
      "heard there");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n    send: 10.0.0.1:1\n"
                     "    allow: 10.0.0.0/8\n"),
            "t.yaml:5:5: allow filters what arrives at listen, but endpoint 'a' does not listen");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n    listen: 0.0.0.0:1\n"
                     "    reply_window: 10s\n"),
            "t.yaml:5:5: reply_window needs reply: true");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n    listen: 0.0.0.0:1\n"
                     "    reply_max_peers: 8\n"),
            "t.yaml:5:5: reply_max_peers needs reply: true");
}

TEST(EndpointShape, WrongValueKinds) {
  EXPECT_EQ(error_of("endpoints:\n  - a\n"),
            "t.yaml:2:3: endpoints: expected a mapping of endpoint names to settings, got a list");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n    send: { host: x }\n"),
            "t.yaml:4:11: send: expected text, got a mapping");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n    send: []\n"),
            "t.yaml:4:11: send: the list is empty");
  EXPECT_EQ(
      error_of("endpoints:\n  a:\n    protocol: udp\n    listen: 0.0.0.0:1\n    reply: yes\n"),
      "t.yaml:5:12: reply: expected true, false or others, got the text 'yes'");
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: udp, send: 127.0.0.1:2 }\n"
                     "routes:\n  - { to: a, final: yes }\n"),
            "t.yaml:4:21: final: expected true or false, got the text 'yes'");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: tcp\n    listen: 0.0.0.0:1\n"
                     "    framing: cobs\n"),
            "t.yaml:5:14: framing: unknown framing 'cobs', expected 'slip' or 'length'");
}

TEST(Limits, OutOfRangeValues) {
  const auto tcp_error = [](std::string_view settings) {
    return error_of("endpoints:\n  a:\n    protocol: tcp\n    listen: 0.0.0.0:1\n" +
                    std::string(settings));
  };
  EXPECT_EQ(tcp_error("    max_clients: 0\n"),
            "t.yaml:5:18: max_clients: 0 is out of range 1..65535");
  EXPECT_EQ(tcp_error("    max_frame: 32MiB\n"),
            "t.yaml:5:16: max_frame: 32MiB is out of range 16..16MiB");
  EXPECT_EQ(tcp_error("    max_frame: 64 kB\n"),
            "t.yaml:5:16: max_frame: expected a size in bytes such as 65536, 64KiB or 1MiB, got "
            "the text '64 kB'");
  EXPECT_EQ(tcp_error("    idle_timeout: 30\n"),
            "t.yaml:5:19: idle_timeout: expected a duration such as 250ms, 30s, 2min or 1h, got "
            "the number 30 (a unit is required)");
  EXPECT_EQ(tcp_error("    idle_timeout: 2d\n"),
            "t.yaml:5:19: idle_timeout: expected a duration such as 250ms, 30s, 2min or 1h, got "
            "the text '2d'");
  EXPECT_EQ(tcp_error("    max_frame: 2MiB\n"),
            "t.yaml:5:5: queue_limit (1MiB) is smaller than max_frame (2MiB): a full-size frame "
            "could never be queued");
  EXPECT_EQ(tcp_error("    max_bundle_depth: 65\n"),
            "t.yaml:5:23: max_bundle_depth: 65 is out of range 1..64");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n    listen: 0.0.0.0:1\n"
                     "    max_frame: 65537\n"),
            "t.yaml:5:16: max_frame: 65537 is out of range 16..64KiB");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: udp\n    listen: 0.0.0.0:1\n"
                     "    reply: true\n    reply_max_peers: 0\n"),
            "t.yaml:6:22: reply_max_peers: 0 is out of range 1..65535");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: tcp\n    connect: 10.0.0.1:1\n"
                     "    reconnect_min: 20s\n    reconnect_max: 10s\n"),
            "t.yaml:5:5: reconnect_min is longer than reconnect_max");
  EXPECT_EQ(error_of("endpoints:\n  a:\n    protocol: tcp\n    connect: 10.0.0.1:1\n"
                     "    reconnect_min: 5ms\n"),
            "t.yaml:5:20: reconnect_min: 5ms is out of range 10ms..1min");
}

TEST(DuplicateListen, SameProtocolAndPortOverlapping) {
  EXPECT_EQ(error_of("endpoints:\n"
                     "  a: { protocol: udp, listen: 0.0.0.0:8000 }\n"
                     "  b: { protocol: udp, listen: 192.168.1.2:8000 }\n"),
            "t.yaml:3:31: listen: udp 192.168.1.2:8000 overlaps 0.0.0.0:8000 of endpoint 'a' "
            "(line 2)");
  EXPECT_EQ(error_of("endpoints:\n"
                     "  a: { protocol: tcp, listen: 127.0.0.1:3032 }\n"
                     "  b: { protocol: tcp, listen: \"[::]:3032\" }\n"),
            "t.yaml:3:31: listen: tcp [::]:3032 overlaps 127.0.0.1:3032 of endpoint 'a' (line 2)");
  // Also when either endpoint has another error: fixing it must not reveal the overlap.
  EXPECT_EQ(
      testing::joined(errors_of("endpoints:\n"
                                "  a: { protocol: udp, listen: 0.0.0.0:8000, max_frame: 1 }\n"
                                "  b: { protocol: udp, listen: 127.0.0.1:8000, reply: 1 }\n")),
      "t.yaml:2:56: max_frame: 1 is out of range 16..64KiB\n"
      "t.yaml:3:31: listen: udp 127.0.0.1:8000 overlaps 0.0.0.0:8000 of endpoint 'a' "
      "(line 2)\n"
      "t.yaml:3:54: reply: expected true, false or others, got the number 1\n");
  // Different protocols, ports or specific hosts can share.
  testing::loaded(
      "endpoints:\n"
      "  a: { protocol: udp, listen: 0.0.0.0:8000 }\n"
      "  b: { protocol: tcp, listen: 0.0.0.0:8000 }\n"
      "  c: { protocol: udp, listen: 0.0.0.0:8001 }\n"
      "  d: { protocol: tcp, listen: 127.0.0.1:9000 }\n"
      "  e: { protocol: tcp, listen: 127.0.0.2:9000 }\n");
}

// `run` refuses these at start (daemon/udp_endpoint.cpp sends from the listen socket), so
// validate must too: an IPv4 socket has no IPv6 destination, an IPv6 one other than [::] no
// IPv4 one.
TEST(SendFamily, SendAddressTheListenSocketCannotReach) {
  const std::string why = ": replies and sends go out from the listen socket; ";
  EXPECT_EQ(error_of("endpoints:\n"
                     "  a:\n"
                     "    protocol: udp\n"
                     "    listen: 127.0.0.1:8000\n"
                     "    send: [127.0.0.1:9000, \"[::1]:9001\"]\n"),
            "t.yaml:5:28: send: [::1]:9001 is IPv6 but listen 127.0.0.1:8000 is IPv4" + why +
                "listen on [::] or send to an IPv4 address");
  EXPECT_EQ(
      error_of("endpoints:\n"
               "  a: { protocol: udp, listen: 0.0.0.0:8000, send: \"[::ffff:10.0.0.1]:9\" }\n"),
      "t.yaml:2:51: send: [::ffff:10.0.0.1]:9 is IPv6 but listen 0.0.0.0:8000 is IPv4" + why +
          "listen on [::] or send to an IPv4 address");
  const std::string v6_listen =
      " but listen [::1]:8000 is IPv6, and only an IPv6 socket bound "
      "to [::] reaches IPv4" +
      why + "listen on [::] or an IPv4 address, or send to an IPv6 address";
  EXPECT_EQ(error_of("endpoints:\n"
                     "  a: { protocol: udp, listen: \"[::1]:8000\", send: 10.0.0.1:9 }\n"),
            "t.yaml:2:51: send: 10.0.0.1:9 is IPv4" + v6_listen);
  EXPECT_EQ(
      error_of("endpoints:\n"
               "  a: { protocol: udp, listen: \"[::1]:8000\", send: \"[::ffff:10.0.0.1]:9\" }\n"),
      "t.yaml:2:51: send: [::ffff:10.0.0.1]:9 is IPv4-mapped" + v6_listen);
  // [::] is dual stack; names resolve where the daemon runs; without listen, the daemon picks
  // a sending socket of the destination's family.
  testing::loaded(
      "endpoints:\n"
      "  a: { protocol: udp, listen: \"[::]:8000\", send: [10.0.0.1:9, \"[::1]:9\"] }\n"
      "  b: { protocol: udp, listen: 127.0.0.1:8001, send: [mixer.local:9, 10.0.0.1:9] }\n"
      "  c: { protocol: udp, listen: \"[::1]:8002\", send: [mixer.local:9, \"[fd00::1]:9\"] }\n"
      "  d: { protocol: udp, listen: localhost:8003, send: [\"[::1]:9\", 10.0.0.1:9] }\n"
      "  e: { protocol: udp, send: [\"[::1]:9\", 10.0.0.1:9] }\n");
}

TEST(RouteEndpoints, UnknownNamesWithSuggestions) {
  EXPECT_EQ(route_error("  - from: dsek\n    to: daw\n"),
            "t.yaml:10:11: from: unknown endpoint 'dsek' (did you mean 'desk'?)");
  EXPECT_EQ(route_error("  - to: [daw, lights]\n"), "t.yaml:10:15: to: unknown endpoint 'lights'");
  EXPECT_EQ(route_error("  - from: desk\n"),
            "t.yaml:10:5: route 'route 1' needs to: the endpoint or list of endpoints its "
            "messages go to");
  EXPECT_EQ(route_error("  - to: [daw, daw]\n"),
            "t.yaml:10:15: to: endpoint 'daw' is listed twice");
  EXPECT_EQ(route_error("  - from: []\n    to: daw\n"), "t.yaml:10:11: from: the list is empty");
  EXPECT_EQ(route_error("  - from: { desk: 1 }\n    to: daw\n"),
            "t.yaml:10:11: from: expected text, got a mapping");
}

TEST(RouteEndpoints, DestinationMustBeAbleToSend) {
  EXPECT_EQ(error_of("endpoints:\n"
                     "  in: { protocol: udp, listen: 0.0.0.0:8000 }\n"
                     "routes:\n"
                     "  - to: in\n"),
            "t.yaml:4:9: to: udp endpoint 'in' has no send address and no reply: true, so a "
            "message routed to it could go nowhere");
}

TEST(RouteShape, WrongKindsAndDuplicateNames) {
  EXPECT_EQ(
      error_of(std::string(testing::kTwoEndpoints.substr(0, testing::kTwoEndpoints.size() - 8)) +
               "routes:\n  faders: { to: daw }\n"),
      "t.yaml:10:3: routes: expected a list of routes (each line starting with '- '), got "
      "a mapping");
  EXPECT_EQ(route_error("  - daw\n"),
            "t.yaml:10:5: routes[1]: expected a mapping with from, match, to, ..., got the text "
            "'daw'");
  EXPECT_EQ(route_error("  - { name: x, to: daw }\n  - { name: x, to: desk }\n"),
            "t.yaml:11:5: route name 'x' is already used at line 10");
  EXPECT_EQ(route_error("  - { name: '', to: daw }\n"), "t.yaml:10:13: name: must not be empty");
}

// Fixing one error must not reveal another that was there all along.
TEST(RouteShape, DuplicateNamesOfRoutesWithOtherErrors) {
  const std::string routes =
      "  - { name: x, to: nowhere }\n"
      "  - { name: x, to: daw, match: '/a[' }\n"
      "  - { name: x, to: daw }\n";
  EXPECT_EQ(testing::joined(testing::errors_of(std::string(testing::kTwoEndpoints) + routes)),
            "t.yaml:10:20: to: unknown endpoint 'nowhere'\n"
            "t.yaml:11:5: route name 'x' is already used at line 10\n"
            "t.yaml:11:32: match: invalid pattern '/a[': unbalanced '[' at position 3\n"
            "t.yaml:12:5: route name 'x' is already used at line 10\n");
}

TEST(Patterns, InvalidPatternPointsAtTheProblem) {
  EXPECT_EQ(route_error("  - match: /a/[bc\n    to: daw\n"),
            "t.yaml:10:15: match: invalid pattern '/a/[bc': unbalanced '[' at position 4");
  EXPECT_EQ(route_error("  - match: fader\n    to: daw\n"),
            "t.yaml:10:12: match: invalid pattern 'fader': pattern must start with '/' at "
            "position 1");
  // Quoted: the column stays at the scalar, as quotes and escapes shift the text.
  EXPECT_EQ(route_error("  - match: \"/a/[bc\"\n    to: daw\n"),
            "t.yaml:10:12: match: invalid pattern '/a/[bc': unbalanced '[' at position 4");
}

TEST(Captures, AddressReferencesBeyondThePattern) {
  EXPECT_EQ(route_error("  - match: /fader/*\n    to: daw\n    address: /track/{2}\n"),
            "t.yaml:12:14: address: {2} refers to capture 2, but match '/fader/*' has only 1 "
            "capture");
  EXPECT_EQ(route_error("  - to: daw\n    address: /track/{1}\n"),
            "t.yaml:11:14: address: {1} refers to a capture, but the route has no match, so "
            "nothing is captured");
  EXPECT_EQ(route_error("  - match: /fader/1\n    to: daw\n    address: /track/{1}\n"),
            "t.yaml:12:14: address: {1} refers to a capture, but match '/fader/1' has no "
            "wildcards, so nothing is captured");
  EXPECT_EQ(route_error("  - match: /a/*/b/?\n    to: daw\n    address: /x/{0}\n"),
            "t.yaml:12:14: address: {0}: captures are numbered from 1");
}

TEST(Captures, ArgReferencesBeyondThePattern) {
  EXPECT_EQ(route_error("  - match: /fader/*\n    to: daw\n    args: [ \"{1}\", \"{3}\" ]\n"),
            "t.yaml:12:20: args[2]: {3} refers to capture 3, but match '/fader/*' has only 1 "
            "capture");
  EXPECT_EQ(
      route_error("  - match: /a/{x,y}/*\n    to: daw\n    args: [ { capture: 3, type: i } ]\n"),
      "t.yaml:12:24: args[1]: {3} refers to capture 3, but match '/a/{x,y}/*' has only 2 "
      "captures");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ \"track {1}\" ]\n"),
            "t.yaml:11:13: args[1]: {1} refers to a capture, but the route has no match, so "
            "nothing is captured");
}

TEST(ArgTemplates, ArgumentNumbersStartAtOne) {
  EXPECT_EQ(route_error("  - to: daw\n    args: [ $0 ]\n"),
            "t.yaml:11:13: args[1]: '$0': arguments are numbered from $1 to $65536");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ { arg: 0, type: i } ]\n"),
            "t.yaml:11:20: args[1].arg: arguments are numbered from 1, got 0");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ { arg: -2 } ]\n"),
            "t.yaml:11:20: args[1].arg: arguments are numbered from 1, got -2");
  EXPECT_EQ(route_error("  - match: /a/*\n    to: daw\n    args: [ { capture: 0 } ]\n"),
            "t.yaml:12:24: args[1].capture: captures are numbered from 1, got 0");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ $first ]\n"),
            "t.yaml:11:13: args[1]: '$first' is not an argument reference such as $1; write "
            "$$first for text that starts with '$'");
}

TEST(ArgTemplates, ScaleMustBeFourNumbersWithAnInputRange) {
  EXPECT_EQ(route_error("  - to: daw\n    args: [ { arg: 1, scale: [0, 1, 2] } ]\n"),
            "t.yaml:11:30: args[1].scale: expected a list of 4 numbers [in_lo, in_hi, out_lo, "
            "out_hi], got a list of 3");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ { arg: 1, scale: 5 } ]\n"),
            "t.yaml:11:30: args[1].scale: expected a list of 4 numbers [in_lo, in_hi, out_lo, "
            "out_hi], got the number 5");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ { arg: 1, scale: [0, one, 0, 1] } ]\n"),
            "t.yaml:11:34: args[1].scale in_hi: expected a finite number, got the text 'one'");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ { arg: 1, scale: [0.5, 0.5, 0, 1] } ]\n"),
            "t.yaml:11:30: args[1].scale: in_lo and in_hi are both 0.5, so the input range is "
            "empty");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ { arg: 1, scale: [0, .inf, 0, 1] } ]\n"),
            "t.yaml:11:34: args[1].scale in_hi: expected a finite number, got the number .inf");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ { arg: 1, clamp: true } ]\n"),
            "t.yaml:11:23: args[1]: 'clamp' needs a 'scale' to clamp to");
}

TEST(ArgTemplates, UnknownTypeLetters) {
  EXPECT_EQ(route_error("  - to: daw\n    args: [ { arg: 1, type: x } ]\n"),
            "t.yaml:11:29: args[1].type: unknown type 'x' (expected 'i', 'f', 'd', 'h' or 's')");
  EXPECT_EQ(route_error("  - match: /a/*\n    to: daw\n    args: [ { capture: 1, type: int } ]\n"),
            "t.yaml:12:33: args[1].type: unknown type 'int' (expected 'i', 'f', 'd', 'h' or 's')");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ { value: 1, type: T } ]\n"),
            "t.yaml:11:31: args[1].type: unknown type 'T' (expected 'i', 'f', 'd', 'h' or 's')");
}

TEST(ArgTemplates, MalformedArgumentShapes) {
  EXPECT_EQ(route_error("  - to: daw\n    args: $1\n"),
            "t.yaml:11:11: args: expected a list such as [$1, 0.5], got the text '$1' (write "
            "args: [] to send no arguments)");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ [1, 2] ]\n"),
            "t.yaml:11:13: args[1]: an argument is a value or a mapping, not a list");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ { type: i } ]\n"),
            "t.yaml:11:13: args[1]: needs one of 'arg', 'capture' or 'value'");
  EXPECT_EQ(route_error("  - match: /a/*\n    to: daw\n    args: [ { arg: 1, capture: 1 } ]\n"),
            "t.yaml:12:13: args[1]: use only one of 'arg', 'capture' or 'value'");
  EXPECT_EQ(
      route_error(
          "  - match: /a/*\n    to: daw\n    args: [ { capture: 1, scale: [0, 1, 0, 2] } ]\n"),
      "t.yaml:12:27: args[1]: 'scale' applies to 'arg', not 'capture'");
  EXPECT_EQ(route_error("  - match: /a/*\n    to: daw\n    args: [ {1} ]\n"),
            "t.yaml:12:13: args[1]: unquoted {1} is a YAML mapping; write \"{1}\" in quotes for "
            "capture 1");
  EXPECT_EQ(route_error("  - match: /a/*\n    to: daw\n    args: [ \"{1\" ]\n"),
            "t.yaml:12:13: args[1]: '{' at offset 0 does not start a capture reference such as "
            "{1}; write {{ for a literal '{'");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ \"a}b\" ]\n"),
            "t.yaml:11:13: args[1]: unmatched '}' at offset 1; write }} for a literal '}'");
}

TEST(ArgTemplates, LiteralsThatDoNotFitTheirType) {
  EXPECT_EQ(route_error("  - to: daw\n    args: [ 5000000000 ]\n"),
            "t.yaml:11:13: args[1]: 5000000000 does not fit an int32 (i); use type: h for a "
            "64-bit integer");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ { value: 1e39 } ]\n"),
            "t.yaml:11:22: args[1].value: 1e39 does not fit a float32 (f); use type: d for a "
            "64-bit float");
  EXPECT_EQ(route_error("  - to: daw\n    args: [ { value: abc, type: i } ]\n"),
            "t.yaml:11:22: args[1].value: the text 'abc' is not a valid 'i' value");
}

TEST(Addresses, AddressTemplateMustBeAnOscAddress) {
  EXPECT_EQ(route_error("  - to: daw\n    address: track/1\n"),
            "t.yaml:11:14: address: 'track/1' must start with '/'");
  EXPECT_EQ(route_error("  - to: daw\n    address: /track/*\n"),
            "t.yaml:11:14: address: '/track/*' contains '*', which OSC does not allow in an "
            "address");
  EXPECT_EQ(route_error("  - to: daw\n    address: \"/my track\"\n"),
            "t.yaml:11:14: address: '/my track' contains ' ', which OSC does not allow in an "
            "address");
  EXPECT_EQ(route_error("  - to: daw\n    address: /a/{{x}}\n"),
            "t.yaml:11:14: address: '/a/{{x}}' contains '{', which OSC does not allow in an "
            "address");
  // Without captures the address never changes: an empty level is an error here, once,
  // rather than a drop for every message routed.
  EXPECT_EQ(route_error("  - to: daw\n    address: /track//volume\n"),
            "t.yaml:11:14: address: '/track//volume': address has an empty level ('//')");
  EXPECT_EQ(route_error("  - to: daw\n    address: /track/\n"),
            "t.yaml:11:14: address: '/track/': address ends with '/' (an empty level)");
}

TEST(ManyErrors, AllReportedAtOnceInFileOrder) {
  const std::vector<std::string> errors = errors_of(R"(log: { level: loud }
endpoints:
  desk:
    protocol: udp
    listen: 0.0.0.0:99999
    framing: slip
  daw:
    protocol: tcp
  desk2:
    protocol: udp
    send: 10.0.0.1:1
routes:
  - from: dsk
    match: /a/*
    to: [daw, nowhere]
    address: /b/{2}
    args: [ $0, { arg: 1, scale: [1, 1, 0, 1], type: z } ]
)");
  EXPECT_EQ(errors,
            (std::vector<std::string>{
                "t.yaml:1:15: level: unknown log level 'loud', expected 'trace', 'debug', "
                "'info', 'warn', 'error' or 'off'",
                "t.yaml:5:13: listen: port 99999 is out of range 1..65535",
                "t.yaml:6:5: 'framing' does not apply to a udp endpoint; it is for tcp "
                "endpoints (UDP datagrams need no framing)",
                "t.yaml:7:3: tcp endpoint 'daw' needs listen (to be a server) or connect (to be "
                "a client)",
                "t.yaml:13:11: from: unknown endpoint 'dsk' (did you mean 'desk'?)",
                "t.yaml:15:15: to: unknown endpoint 'nowhere'",
                "t.yaml:16:14: address: {2} refers to capture 2, but match '/a/*' has only 1 "
                "capture",
                "t.yaml:17:13: args[1]: '$0': arguments are numbered from $1 to $65536",
                "t.yaml:17:34: args[2].scale: in_lo and in_hi are both 1, so the input range is "
                "empty",
                "t.yaml:17:54: args[2].type: unknown type 'z' (expected 'i', 'f', 'd', 'h' or "
                "'s')",
            }))
      << testing::joined(errors);
}

TEST(HostileInput, NeverThrowsOrCrashes) {
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  const std::string cases[] = {
      deep,
      "endpoints: " + deep,
      std::string("\0\x01\xff\xfe", 4),
      "endpoints:\n  a: &x { protocol: udp, send: 127.0.0.1:1 }\n  b: *x\n  c: *nope\n",
      "? [a, b]\n: c\n",
      "endpoints:\n  ? [a]\n  : { protocol: udp }\n",
      "%YAML 9.9\n---\na: 1\n",
      "endpoints: !!binary aGVsbG8=\n",
      "\t\tendpoints:\n",
  };
  for (const std::string& yaml : cases) {
    LoadResult result;
    EXPECT_NO_THROW(result = load_string(yaml, "t.yaml")) << yaml.substr(0, 40);
    EXPECT_FALSE(result.config) << yaml.substr(0, 40);
    EXPECT_FALSE(result.errors.empty()) << yaml.substr(0, 40);
    for (const std::string& error : result.errors) EXPECT_EQ(error.rfind("t.yaml:", 0), 0u);
  }
}

}  // namespace
}  // namespace oscbridge::config

namespace oscbridge::config {
namespace {

// Issue 10: flow-control keys, each at its value's position.
TEST(FlowErrors, RateDeadbandOnChangeAndEchoWindowOutOfRange) {
  const std::string endpoints =
      "endpoints:\n  a: { protocol: udp, listen: 127.0.0.1:1, send: 127.0.0.1:2 }\n";
  EXPECT_EQ(errors_of(endpoints + "routes:\n  - { to: a, rate: 0, deadband: -1, on_change: 2 }\n"),
            (std::vector<std::string>{
                "t.yaml:4:20: rate: 0 is out of range: messages per second per address, more "
                "than 0 and at most 10000",
                "t.yaml:4:33: deadband: -1 must be more than 0 (the smallest change that passes)",
                "t.yaml:4:48: on_change: expected true or false, got the number 2"}));
  EXPECT_EQ(error_of(endpoints + "routes:\n  - { to: a, rate: fast }\n"),
            "t.yaml:4:20: rate: expected a finite number, got the text 'fast'");
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: udp, send: 127.0.0.1:2, echo_window: 100 }\n"),
            "t.yaml:2:55: echo_window: expected a duration such as 250ms, 30s, 2min or 1h, got "
            "the number 100 (a unit is required)");
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: udp, send: 127.0.0.1:2, echo_window: 1min }\n"),
            "t.yaml:2:55: echo_window: 1min is out of range 0ms..10s");
}

TEST(FlowSettings, ReadWithTheirDefaults) {
  auto result = load_string(
      "endpoints:\n"
      "  a: { protocol: udp, listen: 127.0.0.1:1, send: 127.0.0.1:2 }\n"
      "  b: { protocol: udp, send: 127.0.0.1:3, echo_window: 0 }\n"
      "  c: { protocol: tcp, connect: 127.0.0.1:4, echo_window: 250ms }\n"
      "routes:\n"
      "  - { from: a, to: b, rate: 50, deadband: 0.01, on_change: true }\n"
      "  - { from: b, to: a }\n",
      "t.yaml");
  ASSERT_TRUE(result.config) << (result.errors.empty() ? "" : result.errors.front());
  const Config& config = *result.config;
  EXPECT_EQ(config.endpoints[0].echo_window, kDefaultEchoWindow);
  EXPECT_EQ(config.endpoints[1].echo_window, std::chrono::milliseconds(0));
  EXPECT_EQ(config.endpoints[2].echo_window, std::chrono::milliseconds(250));
  EXPECT_EQ(config.routes[0].rate, 50.0);
  EXPECT_EQ(config.routes[0].deadband, 0.01);
  EXPECT_TRUE(config.routes[0].on_change);
  EXPECT_EQ(config.routes[1].rate, 0.0);
  EXPECT_FALSE(config.routes[1].deadband);
  EXPECT_FALSE(config.routes[1].on_change);
}

}  // namespace
}  // namespace oscbridge::config

namespace oscbridge::config {
namespace {

TEST(FlowErrors, KeepaliveAndOnConnectMessages) {
  EXPECT_EQ(errors_of("endpoints:\n"
                      "  a:\n"
                      "    protocol: udp\n"
                      "    send: 127.0.0.1:2\n"
                      "    keepalive: { every: 5, send: [ [xremote], [/a, true] ] }\n"
                      "    on_connect: [ [/hello] ]\n"),
            (std::vector<std::string>{
                "t.yaml:5:25: keepalive: every: expected a duration such as 250ms, 30s, 2min or "
                "1h, got the number 5 (a unit is required)",
                "t.yaml:5:37: keepalive: send[1][1]: 'xremote' is not an OSC address (it starts "
                "with '/' and has no spaces or pattern characters)",
                "t.yaml:5:52: keepalive: send[2][2]: expected a number or a string, got true",
                "t.yaml:6:5: on_connect on a udp endpoint needs reply: true: it greets each "
                "reply peer the first time it is heard"}));
  EXPECT_EQ(errors_of("endpoints:\n  a: { protocol: udp, send: 127.0.0.1:2, keepalive: {} }\n"),
            (std::vector<std::string>{
                "t.yaml:2:42: keepalive needs every: how often to send, e.g. 9s",
                "t.yaml:2:42: keepalive needs send: the messages to send, e.g. [ [/xremote] ]"}));
  auto loaded = load_string(
      "endpoints:\n  a: { protocol: tcp, connect: 127.0.0.1:2, keepalive: { every: 9s, send: "
      "[ [/xremote], [\"/subscribe\", \"/ch/01/mix/fader\", 10, 0.5] ] } }\n",
      "t.yaml");
  ASSERT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors.front());
  const auto& keepalive = *loaded.config->endpoints[0].keepalive;
  EXPECT_EQ(keepalive.every, std::chrono::seconds(9));
  ASSERT_EQ(keepalive.send.size(), 2u);
  EXPECT_EQ(keepalive.send[1].address, "/subscribe");
  ASSERT_EQ(keepalive.send[1].args.size(), 3u);
  EXPECT_EQ(keepalive.send[1].args[0].text, "/ch/01/mix/fader");
  EXPECT_EQ(keepalive.send[1].args[1].type, ArgType::int32);
  EXPECT_EQ(keepalive.send[1].args[2].type, ArgType::float32);
}

}  // namespace
}  // namespace oscbridge::config

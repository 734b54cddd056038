// Loading valid files: DESIGN.md's example key by key, defaults, the built-in configuration,
// the summary line, and every file in examples/.
#include "config/load.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace oscbridge::config {
namespace {

using namespace std::chrono_literals;

// Verbatim from DESIGN.md, "config/: the YAML file users write".
constexpr std::string_view kDesignExample =
    R"yaml(log: { level: info }              # trace | debug | info | warn | error | off

endpoints:
  touchosc:                       # names are the user's; used in routes and logs
    protocol: udp
    listen: 0.0.0.0:8000          # bind and receive
    send: 192.168.1.50:9000       # default destination when routed to (may be a list)
    reply: true                   # also answer every peer that sent here recently,
                                  # from the listen port (X32-style mixers need this)
    allow: [192.168.1.0/24]       # accepted sources; others dropped and counted
  reaper:
    protocol: udp
    listen: 127.0.0.1:8001
    send: 127.0.0.1:9001
  ardour:
    protocol: tcp
    connect: 127.0.0.1:3819       # client: reconnects with backoff, a new client each time
    framing: slip                 # slip (OSC 1.1, default) | length (OSC 1.0)
  eos:
    protocol: tcp
    listen: 0.0.0.0:3032          # server: routed messages go to every connected client
    framing: length
  nano:
    protocol: midi
    port: nanoKONTROL2            # matched against MIDI port names (in and out)

routes:
  - name: faders                  # optional; shown in logs and counters
    from: touchosc                # endpoint or list; omitted = every endpoint
    match: /1/fader*              # OSC address pattern; omitted = every message
    to: reaper                    # endpoint or list
    address: /track/{1}/volume    # {N} = text the N-th wildcard matched; omitted = unchanged
    args: [ { arg: 1, scale: [0, 1, 0, 127], type: i } ]   # omitted = unchanged
  - from: nano
    match: /midi/1/cc/*
    to: ardour
    address: /strip/gain
    args: [ "{1}", { arg: 1, scale: [0, 127, 0.0, 1.0] } ]
)yaml";

Config load_ok(std::string_view yaml) {
  LoadResult result = load_string(yaml, "test.yaml");
  for (const std::string& error : result.errors) ADD_FAILURE() << error;
  EXPECT_TRUE(result.config);
  return result.config.value_or(Config{});
}

TemplatePart text(std::string value) {
  return {TemplatePart::Kind::text, std::move(value), 0};
}
TemplatePart capture(std::size_t index) {
  return {TemplatePart::Kind::capture, "", index};
}

TEST(LoadDesignExample, Endpoints) {
  const Config config = load_ok(kDesignExample);
  EXPECT_EQ(config.log_level, LogLevel::info);
  ASSERT_EQ(config.endpoints.size(), 5u);

  UdpSettings touchosc;
  touchosc.listen = HostPort{"0.0.0.0", 8000};
  touchosc.send = {HostPort{"192.168.1.50", 9000}};
  touchosc.reply = Reply::all;
  Cidr lan;
  lan.family = AddressFamily::ipv4;
  lan.address = {192, 168, 1, 0};
  lan.prefix_length = 24;
  touchosc.allow = {lan};
  EXPECT_EQ(config.endpoints[0], (Endpoint{"touchosc", touchosc}));

  UdpSettings reaper;
  reaper.listen = HostPort{"127.0.0.1", 8001};
  reaper.send = {HostPort{"127.0.0.1", 9001}};
  EXPECT_EQ(config.endpoints[1], (Endpoint{"reaper", reaper}));

  TcpSettings ardour;
  ardour.connect = HostPort{"127.0.0.1", 3819};
  ardour.framing = Framing::slip;
  EXPECT_EQ(config.endpoints[2], (Endpoint{"ardour", ardour}));

  TcpSettings eos;
  eos.listen = HostPort{"0.0.0.0", 3032};
  eos.framing = Framing::length;
  EXPECT_EQ(config.endpoints[3], (Endpoint{"eos", eos}));

  MidiSettings nano;
  nano.port = "nanoKONTROL2";
  EXPECT_EQ(config.endpoints[4], (Endpoint{"nano", nano}));
  EXPECT_EQ(config.endpoints[4].protocol(), Protocol::midi);
  EXPECT_EQ(config.endpoints[2].protocol(), Protocol::tcp);
  EXPECT_EQ(config.endpoints[0].protocol(), Protocol::udp);
}

TEST(LoadDesignExample, Routes) {
  const Config config = load_ok(kDesignExample);
  ASSERT_EQ(config.routes.size(), 2u);

  Route faders;
  faders.name = "faders";
  faders.from = {"touchosc"};
  faders.match = "/1/fader*";
  faders.to = {"reaper"};
  faders.address =
      AddressTemplate{"/track/{1}/volume", {text("/track/"), capture(1), text("/volume")}};
  faders.args =
      std::vector<ArgTemplate>{ConvertedArg{1, Scale{0, 1, 0, 127}, ArgType::int32, false}};
  EXPECT_EQ(config.routes[0], faders);

  Route gain;
  gain.name = "route 2";
  gain.from = {"nano"};
  gain.match = "/midi/1/cc/*";
  gain.to = {"ardour"};
  gain.address = AddressTemplate{"/strip/gain", {text("/strip/gain")}};
  gain.args = std::vector<ArgTemplate>{
      TextArg{{capture(1)}}, ConvertedArg{1, Scale{0, 127, 0.0, 1.0}, ArgType::float32, false}};
  EXPECT_EQ(config.routes[1], gain);
}

TEST(LoadDesignExample, NeverResolvesHostNames) {
  // .invalid never resolves (RFC 6761): a loader that looked names up would fail here.
  const Config config = load_ok(R"(
endpoints:
  mixer:
    protocol: tcp
    connect: no-such-mixer.invalid:3819
  desk:
    protocol: udp
    listen: no-such-desk.invalid:8000
    send: [no-such-host.invalid:9000, other.invalid:9001]
)");
  ASSERT_EQ(config.endpoints.size(), 2u);
  EXPECT_EQ(config.endpoints[0].tcp()->connect, (HostPort{"no-such-mixer.invalid", 3819}));
  EXPECT_EQ(config.endpoints[1].udp()->send.size(), 2u);
}

TEST(LoadDefaults, OmittedKeysTakeDesignDefaults) {
  const Config config = load_ok(R"(
endpoints:
  in:
    protocol: udp
    listen: 127.0.0.1:8000
  server:
    protocol: tcp
    listen: 127.0.0.1:3032
  client:
    protocol: tcp
    connect: 127.0.0.1:3819
routes:
  - to: server
)");
  EXPECT_EQ(config.log_level, LogLevel::info);
  for (const Endpoint& endpoint : config.endpoints) {
    SCOPED_TRACE(endpoint.name);
    ASSERT_TRUE(endpoint.network());
    EXPECT_EQ(endpoint.network()->max_frame, 65536u);
    EXPECT_EQ(endpoint.max_frame(), 65536u);
    EXPECT_EQ(endpoint.network()->max_bundle_depth, 8);
    EXPECT_TRUE(endpoint.network()->allow.empty());
    if (const TcpSettings* tcp = endpoint.tcp()) {
      EXPECT_EQ(tcp->max_clients, 64u);
      EXPECT_EQ(tcp->queue_limit, 1024u * 1024u);
      EXPECT_EQ(tcp->idle_timeout, 30s);
      EXPECT_EQ(tcp->reconnect_min, 100ms);
      EXPECT_EQ(tcp->reconnect_max, 10s);
      EXPECT_EQ(tcp->framing, Framing::slip);
    } else {
      ASSERT_TRUE(endpoint.udp());
      EXPECT_EQ(endpoint.udp()->reply_window, 60s);
      EXPECT_EQ(endpoint.udp()->reply_max_peers, 64u);
      EXPECT_EQ(endpoint.udp()->reply, Reply::off);
    }
  }
  ASSERT_EQ(config.routes.size(), 1u);
  const Route& route = config.routes[0];
  EXPECT_EQ(route.name, "route 1");
  EXPECT_TRUE(route.from.empty());
  EXPECT_FALSE(route.match);
  EXPECT_FALSE(route.address);
  EXPECT_FALSE(route.args);
  EXPECT_FALSE(route.final);
}

TEST(LoadEndpoints, ReplyIsTrueFalseOrOthers) {
  const Config config = load_ok(
      "endpoints:\n"
      "  a: { protocol: udp, listen: 127.0.0.1:1, reply: true }\n"
      "  b: { protocol: udp, listen: 127.0.0.1:2, reply: false, send: 127.0.0.1:9 }\n"
      "  c: { protocol: udp, listen: 127.0.0.1:3, reply: others, reply_window: 5s }\n"
      "  d: { protocol: udp, listen: 127.0.0.1:4, reply: \"others\" }\n");
  ASSERT_EQ(config.endpoints.size(), 4u);
  EXPECT_EQ(config.endpoints[0].udp()->reply, Reply::all);
  EXPECT_EQ(config.endpoints[1].udp()->reply, Reply::off);
  EXPECT_EQ(config.endpoints[2].udp()->reply, Reply::others);
  EXPECT_EQ(config.endpoints[2].udp()->reply_window, 5s);
  EXPECT_EQ(config.endpoints[3].udp()->reply, Reply::others);
}

TEST(LoadRoutes, FinalIsABoolean) {
  const Config config = load_ok(
      "endpoints:\n  a: { protocol: udp, listen: 127.0.0.1:1, send: 127.0.0.1:2 }\n"
      "routes:\n  - { from: a, match: /x, to: a, final: true }\n  - { to: a, final: false }\n");
  ASSERT_EQ(config.routes.size(), 2u);
  EXPECT_TRUE(config.routes[0].final);
  EXPECT_FALSE(config.routes[1].final);
}

TEST(LoadDefaults, RoutesMayBeOmittedOrEmpty) {
  constexpr std::string_view kEndpoints =
      "endpoints:\n  a: { protocol: udp, listen: 127.0.0.1:1 }\n";
  EXPECT_TRUE(load_ok(kEndpoints).routes.empty());
  EXPECT_TRUE(load_ok(std::string(kEndpoints) + "routes: []\n").routes.empty());
  EXPECT_TRUE(load_ok(std::string(kEndpoints) + "routes:\n#  - to: a\n").routes.empty());
}

TEST(LoadLimits, EveryLimitIsConfigurable) {
  const Config config = load_ok(R"(
log: { level: debug }
endpoints:
  mixer:
    protocol: udp
    listen: 0.0.0.0:10023
    reply: true
    reply_window: 2min
    reply_max_peers: 8
    max_frame: 1500
    max_bundle_depth: 3
  server:
    protocol: tcp
    listen: "[::]:3032"
    max_clients: 4
    max_frame: 16MiB
    queue_limit: 32MiB
    idle_timeout: 1h
  client:
    protocol: tcp
    connect: "[::1]:3819"
    framing: length
    reconnect_min: 250ms
    reconnect_max: 5s
    queue_limit: 64KiB
)");
  EXPECT_EQ(config.log_level, LogLevel::debug);
  ASSERT_EQ(config.endpoints.size(), 3u);
  ASSERT_TRUE(config.endpoints[0].udp());
  const UdpSettings& mixer = *config.endpoints[0].udp();
  EXPECT_EQ(mixer.reply_window, 120s);
  EXPECT_EQ(mixer.reply_max_peers, 8u);
  EXPECT_EQ(mixer.max_frame, 1500u);
  EXPECT_EQ(mixer.max_bundle_depth, 3);
  ASSERT_TRUE(config.endpoints[1].tcp());
  const TcpSettings& server = *config.endpoints[1].tcp();
  EXPECT_EQ(server.listen, (HostPort{"::", 3032}));
  EXPECT_EQ(server.max_clients, 4u);
  EXPECT_EQ(server.max_frame, 16u * 1024 * 1024);
  EXPECT_EQ(server.queue_limit, 32u * 1024 * 1024);
  EXPECT_EQ(server.idle_timeout, 1h);
  ASSERT_TRUE(config.endpoints[2].tcp());
  const TcpSettings& client = *config.endpoints[2].tcp();
  EXPECT_EQ(client.connect, (HostPort{"::1", 3819}));
  EXPECT_EQ(client.framing, Framing::length);
  EXPECT_EQ(client.reconnect_min, 250ms);
  EXPECT_EQ(client.reconnect_max, 5s);
  EXPECT_EQ(client.queue_limit, 64u * 1024);
}

TEST(LoadLogLevel, EveryLevel) {
  const std::pair<std::string_view, LogLevel> levels[] = {
      {"trace", LogLevel::trace}, {"debug", LogLevel::debug}, {"info", LogLevel::info},
      {"warn", LogLevel::warn},   {"error", LogLevel::error}, {"off", LogLevel::off}};
  for (const auto& [name, level] : levels) {
    const Config config = load_ok("log: { level: " + std::string(name) +
                                  " }\nendpoints:\n  a: { protocol: udp, send: 127.0.0.1:1 }\n");
    EXPECT_EQ(config.log_level, level) << name;
    EXPECT_EQ(to_string(level), name);
  }
}

TEST(LoadEquality, ReloadSeesWhichEndpointChanged) {
  const Config before = load_ok(kDesignExample);
  std::string edited(kDesignExample);
  edited.replace(edited.find("127.0.0.1:9001"), 14, "127.0.0.1:9002");
  const Config after = load_ok(edited);
  EXPECT_NE(before, after);
  EXPECT_NE(before.endpoints[1], after.endpoints[1]);  // reaper's send changed
  for (std::size_t i : {0u, 2u, 3u, 4u}) EXPECT_EQ(before.endpoints[i], after.endpoints[i]);
  EXPECT_EQ(before.routes, after.routes);
  EXPECT_EQ(load_ok(kDesignExample), before);
}

TEST(DefaultConfig, ForwardsUdp9000To9001) {
  const Config config = default_config();
  ASSERT_EQ(config.endpoints.size(), 2u);
  EXPECT_EQ(config.endpoints[0].name, "input");
  ASSERT_TRUE(config.endpoints[0].udp());
  EXPECT_EQ(config.endpoints[0].udp()->listen, (HostPort{"127.0.0.1", 9000}));
  EXPECT_TRUE(config.endpoints[0].udp()->send.empty());
  EXPECT_EQ(config.endpoints[1].name, "output");
  ASSERT_TRUE(config.endpoints[1].udp());
  EXPECT_FALSE(config.endpoints[1].udp()->listen);
  EXPECT_EQ(config.endpoints[1].udp()->send, std::vector<HostPort>{(HostPort{"127.0.0.1", 9001})});
  ASSERT_EQ(config.routes.size(), 1u);
  EXPECT_EQ(config.routes[0].from, std::vector<std::string>{"input"});
  EXPECT_EQ(config.routes[0].to, std::vector<std::string>{"output"});
  EXPECT_FALSE(config.routes[0].match);
  EXPECT_FALSE(config.routes[0].args);
}

TEST(DefaultConfig, IsWhatTheDocumentedYamlLoadsTo) {
  // docs/configuration.md shows the default as this file; the two must not drift apart.
  EXPECT_EQ(load_ok(R"(
log: { level: info }
http: { listen: 127.0.0.1:8080 }
endpoints:
  input:
    protocol: udp
    listen: 127.0.0.1:9000
  output:
    protocol: udp
    send: 127.0.0.1:9001
routes:
  - name: forward
    from: input
    to: output
)"),
            default_config());
}

TEST(Summary, CountsEndpointsByProtocolAndRoutes) {
  EXPECT_EQ(summary(load_ok(kDesignExample)), "5 endpoints (2 udp, 2 tcp, 1 midi), 2 routes");
  EXPECT_EQ(summary(default_config()), "2 endpoints (2 udp), 1 route");
  Config one;
  one.endpoints.push_back(Endpoint{"server", TcpSettings{}});
  EXPECT_EQ(summary(one), "1 endpoint (1 tcp), 0 routes");
  EXPECT_EQ(summary(Config{}), "0 endpoints, 0 routes");
}

TEST(Examples, EveryExampleFileLoads) {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(OSCBRIDGE_EXAMPLES_DIR)) {
    if (entry.path().extension() != ".yaml") continue;
    ++count;
    const LoadResult result = load_file(entry.path().string());
    EXPECT_TRUE(result.config) << entry.path();
    for (const std::string& error : result.errors) ADD_FAILURE() << error;
    if (result.config) {
      EXPECT_FALSE(result.config->routes.empty()) << entry.path();
    }
  }
  EXPECT_GE(count, 5u);
}

TEST(LoadFile, ReportsAnUnreadableFileWithoutAPosition) {
  const LoadResult result = load_file("/nonexistent/oscbridge.yaml");
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.errors,
            std::vector<std::string>{"/nonexistent/oscbridge.yaml: cannot open: No such file or "
                                     "directory"});
  const LoadResult directory = load_file("/");
  EXPECT_FALSE(directory.config);
  ASSERT_EQ(directory.errors.size(), 1u);
  EXPECT_EQ(directory.errors[0].rfind("/: cannot read", 0), 0u) << directory.errors[0];
}

TEST(LoadFile, LabelsErrorsWithThePath) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("oscbridge-load-test-" + std::to_string(getpid()));
  {
    std::ofstream file(path);
    file << "endpoints:\n  a:\n    protocol: udpp\n";
  }
  const LoadResult result = load_file(path.string());
  std::filesystem::remove(path);
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.errors,
            std::vector<std::string>{path.string() +
                                     ":3:15: protocol: unknown protocol 'udpp', expected 'udp', "
                                     "'tcp' or 'midi' (did you mean 'udp'?)"});
}

}  // namespace
}  // namespace oscbridge::config

// Router::route_packet with 10 and with 1,000 routes, in the same run: DESIGN.md says the cost
// of routing must not grow with the number of routes (literal matches by hash, patterns indexed
// by their first level). The baseline, LinearScan, tries all 1,000 patterns in turn, which is
// what the index avoids. Destinations only count packets, so the router's own cost is measured.
//
// Half the routes are literal (/lit{i}/value), half patterns (/pat{i}/*/[0-9]), interleaved;
// each benchmark routes messages that hit routes spread over the whole table.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "config/load.h"
#include "daemon/endpoint.h"
#include "daemon/router.h"
#include "osc/encoder.h"
#include "osc/pattern.h"
#include "socket/event_loop.h"
#include "socket/resolver.h"

namespace oscbridge::daemon {
namespace {

class CountingEndpoint final : public Endpoint {
 public:
  using Endpoint::Endpoint;
  std::string open() override { return ""; }
  bool send(const OutgoingPacket& packet) override {
    bytes += packet.bytes.size();
    return true;
  }
  EndpointState state() const override { return {}; }
  std::size_t bytes = 0;
};

// loop_guard: whether the endpoints keep loop detection on (the default) or turn it off.
std::string routes_yaml(int pairs, bool loop_guard = true) {
  const std::string guard = loop_guard ? "" : ", loop_guard: off";
  std::string yaml = "endpoints:\n  a: { protocol: udp, listen: 127.0.0.1:7001" + guard +
                     " }\n  b: { protocol: udp, send: 127.0.0.1:8002" + guard + " }\nroutes:\n";
  for (int i = 0; i < pairs; ++i) {
    const std::string n = std::to_string(i);
    yaml += "- { from: a, match: /lit" + n + "/value, to: b, address: /out/lit" + n + " }\n";
    yaml += "- { from: a, match: '/pat" + n + "/*/[0-9]', to: b, address: '/out/{1}/{2}' }\n";
  }
  return yaml;
}

std::string encode(const std::string& address, float value) {
  std::string buffer(256, '\0');
  osc::MessageBuilder builder(std::span<char>(buffer.data(), buffer.size()), address);
  builder.add_float(value);
  auto size = builder.finish();
  buffer.resize(size ? *size : 0);
  return buffer;
}

// A router over routes_yaml(pairs) and 16 messages aimed at routes spread over the table.
struct Setup {
  explicit Setup(int pairs, bool patterns, bool loop_guard = true) {
    auto loaded = config::load_string(routes_yaml(pairs, loop_guard), "bench.yaml");
    if (!loaded.config) {
      std::fprintf(stderr, "%s\n", loaded.errors.empty() ? "?" : loaded.errors.front().c_str());
      std::abort();
    }
    config = std::move(*loaded.config);
    std::vector<Endpoint*> pointers;
    for (std::size_t i = 0; i < config.endpoints.size(); ++i) {
      endpoints.push_back(std::make_unique<CountingEndpoint>(config.endpoints[i], context));
      endpoints.back()->index = i;
      pointers.push_back(endpoints.back().get());
    }
    router = std::make_unique<Router>(config, pointers);
    for (int k = 0; k < 16; ++k) {
      const std::string n = std::to_string(k * pairs / 16);
      messages.push_back(
          encode(patterns ? "/pat" + n + "/ch/" + std::to_string(k % 10) : "/lit" + n + "/value",
                 static_cast<float>(k) / 16.0f));
    }
  }

  socket::EventLoop loop;
  socket::Resolver resolver{loop};
  EndpointContext context{loop, resolver, nullptr};
  config::Config config;
  std::vector<std::unique_ptr<CountingEndpoint>> endpoints;
  std::unique_ptr<Router> router;
  std::vector<std::string> messages;
};

void Route(benchmark::State& state, bool patterns, bool loop_guard = true) {
  Setup setup(static_cast<int>(state.range(0)) / 2, patterns, loop_guard);
  Origin source;
  source.endpoint = setup.endpoints[0].get();
  for (auto _ : state) {
    for (const auto& message : setup.messages) setup.router->route_packet(source, message);
  }
  if (setup.endpoints[1]->bytes == 0) state.SkipWithError("nothing was routed");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(setup.messages.size()));
}

void RouteLiteral(benchmark::State& state) {
  Route(state, false);
}
void RoutePattern(benchmark::State& state) {
  Route(state, true);
}
// The same as RouteLiteral with loop detection (on by default) turned off: its cost per message.
void RouteLiteralNoLoopGuard(benchmark::State& state) {
  Route(state, false, false);
}

// What routing would cost without the index: every pattern of a 1,000-route table tried.
void LinearScan(benchmark::State& state) {
  Setup setup(static_cast<int>(state.range(0)) / 2, true);
  std::vector<osc::Pattern> patterns;
  for (const auto& route : setup.config.routes) {
    patterns.push_back(*osc::compile_pattern(*route.match).pattern);
  }
  osc::Captures captures;
  std::size_t matched = 0;
  for (auto _ : state) {
    for (const auto& message : setup.messages) {
      const std::string_view address(message.data());
      for (const auto& pattern : patterns) matched += pattern.matches(address, captures) ? 1 : 0;
    }
  }
  benchmark::DoNotOptimize(matched);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(setup.messages.size()));
}

BENCHMARK(RouteLiteral)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(RoutePattern)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(LinearScan)->Arg(10)->Arg(1000);
BENCHMARK(RouteLiteralNoLoopGuard)->Arg(10)->Arg(1000);

}  // namespace
}  // namespace oscbridge::daemon

BENCHMARK_MAIN();

// The routing cost of flow control (issue 10), in one run: the same route with every stage on
// (rate, deadband, on_change, and echo suppression on both endpoints) against that route with
// none (echo_window: 0 everywhere). The input is a fader moving over 16 addresses, so the
// deadband and on_change compare real values and the rate limit holds and replaces them.
// Everything runs on the loop thread (run_sync), as in the daemon; the rate limit's timer
// releases held values there too. Destinations only count bytes.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "config/load.h"
#include "daemon/endpoint.h"
#include "daemon/flow_stages.h"
#include "daemon/router.h"
#include "osc/encoder.h"
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

std::string yaml(bool flow) {
  const std::string echo = flow ? "" : ", echo_window: 0";
  return "endpoints:\n"
         "  a: { protocol: udp, listen: 127.0.0.1:7001" +
         echo +
         " }\n"
         "  b: { protocol: udp, send: 127.0.0.1:8002" +
         echo +
         " }\n"
         "routes:\n"
         "  - { from: a, match: '/fader/*', to: b, address: '/track/{1}/volume'" +
         (flow ? std::string(", rate: 1000, deadband: 0.0001, on_change: true") : "") + " }\n";
}

std::string encode(const std::string& address, float value) {
  std::string buffer(256, '\0');
  osc::MessageBuilder builder(std::span<char>(buffer.data(), buffer.size()), address);
  builder.add_float(value);
  auto size = builder.finish();
  buffer.resize(size ? *size : 0);
  return buffer;
}

void Route(benchmark::State& state, bool flow) {
  socket::EventLoop loop;
  socket::Resolver resolver{loop};
  EndpointContext context{loop, resolver, nullptr};
  auto loaded = config::load_string(yaml(flow), "bench.yaml");
  if (!loaded.config) {
    std::fprintf(stderr, "%s\n", loaded.errors.empty() ? "?" : loaded.errors.front().c_str());
    std::abort();
  }
  std::vector<std::unique_ptr<CountingEndpoint>> endpoints;
  std::vector<Endpoint*> pointers;
  for (std::size_t i = 0; i < loaded.config->endpoints.size(); ++i) {
    endpoints.push_back(std::make_unique<CountingEndpoint>(loaded.config->endpoints[i], context));
    endpoints.back()->index = i;
    pointers.push_back(endpoints.back().get());
  }
  std::vector<std::string> messages;
  for (int k = 0; k < 256; ++k) {
    messages.push_back(encode("/fader/" + std::to_string(k % 16), static_cast<float>(k) / 256));
  }
  Origin source;
  source.endpoint = endpoints[0].get();
  std::unique_ptr<Router> router;
  loop.run_sync([&] {
    RouterSetup setup;
    setup.stages = [&loop](const config::Route& route) { return make_flow_stages(route, loop); };
    router = std::make_unique<Router>(*loaded.config, pointers, std::move(setup));
    for (auto _ : state) {
      for (const auto& message : messages) router->route_packet(source, message);
    }
  });
  if (endpoints[1]->bytes == 0) state.SkipWithError("nothing was routed");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(messages.size()));
  loop.run_sync([&] { router.reset(); });
}

void RouteWithoutFlowControl(benchmark::State& state) {
  Route(state, false);
}
void RouteWithEveryStage(benchmark::State& state) {
  Route(state, true);
}

BENCHMARK(RouteWithoutFlowControl)->UseRealTime();
BENCHMARK(RouteWithEveryStage)->UseRealTime();

}  // namespace
}  // namespace oscbridge::daemon

BENCHMARK_MAIN();

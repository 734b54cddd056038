// Helpers for the router and transform tests: a recording endpoint that stands in for the
// destination sockets, a harness that builds a Router from YAML through the real loader, and
// small encoders for test input. Outputs are checked by parsing them with osc::parse_packet.
// Single-threaded: the router runs on the test thread; the EventLoop only exists because an
// Endpoint needs one in its context.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/load.h"
#include "daemon/endpoint.h"
#include "daemon/router.h"
#include "osc/encoder.h"
#include "osc/packet.h"
#include "socket/event_loop.h"
#include "socket/resolver.h"

namespace oscbridge::daemon::testing {

// Records every packet routed to it instead of sending it anywhere.
class RecordingEndpoint final : public Endpoint {
 public:
  using Endpoint::Endpoint;
  std::string open() override { return ""; }
  bool send(const OutgoingPacket& packet) override {
    packets.emplace_back(packet.bytes);
    counters_.sent += packet.messages;
    origins.push_back(packet.origin != nullptr ? packet.origin->endpoint : nullptr);
    return true;
  }
  EndpointState state() const override { return {"recording", {}}; }
  std::size_t packet_count() const { return packets.size(); }
  std::vector<std::string> packets;
  std::vector<const Endpoint*> origins;  // per packet: the endpoint its messages came from
};

// Three UDP endpoints a, b, c and the `routes:` key; tests append their routes.
inline constexpr std::string_view kThreeEndpoints = R"(endpoints:
  a:
    protocol: udp
    listen: 127.0.0.1:7001
    send: 127.0.0.1:8001
  b:
    protocol: udp
    listen: 127.0.0.1:7002
    send: 127.0.0.1:8002
  c:
    protocol: udp
    listen: 127.0.0.1:7003
    send: 127.0.0.1:8003
routes:
)";

// EndpointType stands in for every endpoint of the config; it needs packet_count().
template <class EndpointType>
class BasicHarness {
 public:
  BasicHarness() = default;
  BasicHarness(const BasicHarness&) = delete;
  BasicHarness& operator=(const BasicHarness&) = delete;

  // Loads yaml (a whole file) and builds the router; returns the loader's errors, joined.
  std::string load(std::string_view yaml, RouterSetup setup = {}) {
    config::LoadResult result = config::load_string(yaml, "test.yaml");
    std::string errors;
    for (const auto& error : result.errors) errors += error + "\n";
    if (!result.config) return errors.empty() ? "no config" : errors;
    config_ = std::move(*result.config);
    std::vector<Endpoint*> pointers;
    for (std::size_t i = 0; i < config_.endpoints.size(); ++i) {
      auto endpoint = std::make_unique<EndpointType>(config_.endpoints[i], context_);
      endpoint->index = i;
      pointers.push_back(endpoint.get());
      endpoints_.push_back(std::move(endpoint));
    }
    router_ = std::make_unique<Router>(config_, pointers, std::move(setup));
    return "";
  }

  // The three endpoints of kThreeEndpoints plus `routes` (YAML list items).
  std::string load_routes(std::string_view routes, RouterSetup setup = {}) {
    return load(std::string(kThreeEndpoints) + std::string(routes), std::move(setup));
  }

  EndpointType& endpoint(std::string_view name) {
    for (auto& endpoint : endpoints_) {
      if (endpoint->name() == name) return *endpoint;
    }
    ADD_FAILURE() << "no endpoint " << name;
    return *endpoints_.front();
  }

  void route(std::string_view from, std::string_view packet) {
    Origin origin;
    origin.endpoint = &endpoint(from);
    router_->route_packet(origin, packet);
  }

  Router& router() { return *router_; }
  const config::Config& config() const { return config_; }

  // Every packet any endpoint received, for "nothing else was sent" checks.
  std::size_t total_sent() const {
    std::size_t total = 0;
    for (const auto& endpoint : endpoints_) total += endpoint->packet_count();
    return total;
  }

  const CompiledRoute& route_named(std::string_view name) {
    for (const auto& route : router_->routes()) {
      if (route.settings.name == name) return route;
    }
    ADD_FAILURE() << "no route " << name;
    return router_->routes().front();
  }

 private:
  socket::EventLoop loop_;
  socket::Resolver resolver_{loop_};
  EndpointContext context_{loop_, resolver_, nullptr};
  config::Config config_;
  std::vector<std::unique_ptr<EndpointType>> endpoints_;
  std::unique_ptr<Router> router_;
};

using Harness = BasicHarness<RecordingEndpoint>;

// Encodes one message: each value adds the argument its C++ type names.
struct Nil {};
struct Blob {
  std::string_view bytes;
};

inline void add(osc::MessageBuilder& m, std::int32_t v) {
  m.add_int32(v);
}
inline void add(osc::MessageBuilder& m, std::int64_t v) {
  m.add_int64(v);
}
inline void add(osc::MessageBuilder& m, float v) {
  m.add_float(v);
}
inline void add(osc::MessageBuilder& m, double v) {
  m.add_double(v);
}
inline void add(osc::MessageBuilder& m, bool v) {
  m.add_bool(v);
}
inline void add(osc::MessageBuilder& m, const char* v) {
  m.add_string(v);
}
inline void add(osc::MessageBuilder& m, std::string_view v) {
  m.add_string(v);
}
inline void add(osc::MessageBuilder& m, Nil) {
  m.add_nil();
}
inline void add(osc::MessageBuilder& m, Blob v) {
  m.add_blob(v.bytes);
}

// Bytes an argument may need, tag and padding included, so the buffer fits any message.
inline std::size_t room_for(std::string_view v) {
  return v.size() + 16;
}
inline std::size_t room_for(const char* v) {
  return room_for(std::string_view(v));
}
inline std::size_t room_for(Blob v) {
  return room_for(v.bytes);
}
template <class T>
std::size_t room_for(T) {
  return 16;
}

template <class... Args>
std::string message(std::string_view address, Args... args) {
  std::string buffer(address.size() + 64 + (room_for(args) + ... + 0), '\0');
  osc::MessageBuilder builder(std::span<char>(buffer.data(), buffer.size()), address);
  (add(builder, args), ...);
  auto size = builder.finish();
  EXPECT_TRUE(size) << address << ": " << size.error().reason;
  buffer.resize(size ? *size : 0);
  return buffer;
}

inline std::string bundle(osc::TimeTag time, const std::vector<std::string>& elements) {
  std::string buffer(65536, '\0');
  osc::BundleBuilder builder(std::span<char>(buffer.data(), buffer.size()), time);
  for (const auto& element : elements) builder.add_element(element);
  auto size = builder.finish();
  EXPECT_TRUE(size) << size.error().reason;
  buffer.resize(size ? *size : 0);
  return buffer;
}

// A parsed view of a recorded packet; the packet must outlive it.
inline osc::Packet parsed(std::string_view bytes) {
  auto packet = osc::parse_packet(bytes);
  EXPECT_TRUE(packet) << "unparseable output: " << packet.error().reason << " at "
                      << packet.error().offset;
  return packet ? *packet : osc::Packet{};
}

inline osc::Message parsed_message(std::string_view bytes) {
  osc::Packet packet = parsed(bytes);
  EXPECT_TRUE(packet.is_message()) << "expected a bare message";
  return packet.message();
}

// The messages of a bundle packet, in order (nested bundles flattened).
inline std::vector<osc::Message> bundle_messages(std::string_view bytes) {
  std::vector<osc::Message> out;
  auto status = osc::for_each_message(
      bytes, [&](const osc::Message& message, osc::TimeTag) { out.push_back(message); });
  EXPECT_TRUE(status) << status.error().reason;
  return out;
}

inline std::vector<osc::Argument> arguments(const osc::Message& message) {
  std::vector<osc::Argument> out;
  for (osc::Argument argument : message.arguments()) out.push_back(argument);
  return out;
}

}  // namespace oscbridge::daemon::testing

// The route table, compiled from a Config: for every message that arrives it finds the routes
// that apply (literal matches by hash, patterns through an index on their first address
// level, so the cost does not grow with the number of routes), in file order up to the first
// `final` route that matches (applied or not), transforms the message per
// route, passes it through the route's stages (stage.h) and hands it to the destination
// endpoints. Messages from one incoming bundle that go to the same endpoint leave in one bundle
// with the original timetag. Buffers are sized once from the endpoints' max_frame, so whatever
// a destination accepts can be rewritten and routed, and routing allocates nothing.
// Each endpoint's echo_window is kept here too (echo_guard.h): what was sent to an endpoint is
// remembered, and the same message arriving back from it within the window is dropped as `echo`
// before any route sees it.
// Bundles from an endpoint with `schedule: true` that are due later wait in its Scheduler
// (scheduler.h) and come back through route_packet when due; loop detection (loop_guard.h)
// notes what is sent to each endpoint and drops an address that keeps coming back from it.
//
// Ownership and threading: built and used on the loop thread only. It points at the
// daemon's endpoints and is rebuilt on every reload, before any endpoint it points at goes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "daemon/counters.h"
#include "daemon/echo_guard.h"
#include "daemon/endpoint.h"
#include "daemon/loop_guard.h"
#include "daemon/route_index.h"
#include "daemon/stage.h"
#include "daemon/tap.h"
#include "daemon/transform.h"
#include "osc/encoder.h"
#include "osc/pattern.h"
#include "socket/event_loop.h"

namespace oscbridge::daemon {

// The endpoints a route takes messages from, asked for every candidate route of every
// message: the first 64 as bits inside the route (a vector<bool> there cost a cache miss per
// candidate), any further ones in a vector.
class EndpointSet {
 public:
  void add(std::size_t endpoint);
  bool empty() const { return !any_; }
  bool contains(std::size_t endpoint) const {
    if (endpoint < kInline) return ((inline_ >> endpoint) & 1U) != 0;
    endpoint -= kInline;
    return endpoint < further_.size() && further_[endpoint];
  }

 private:
  static constexpr std::size_t kInline = 64;
  std::uint64_t inline_ = 0;
  std::vector<bool> further_;
  bool any_ = false;
};

// What routing reads for every candidate comes first, what it reads for a route that applies
// next, the route's settings last.
struct CompiledRoute {
  EndpointSet from;  // empty: from every endpoint
  // The pattern is literal: the route is only found by its whole address in the literal index,
  // which compared the address already, so it is not matched again.
  bool literal = false;
  std::optional<osc::Pattern> pattern;  // nullopt: the route matches every message
  std::vector<Endpoint*> to;
  std::vector<std::unique_ptr<Stage>> stages;  // in order, between transform and destination
  RouteCounters counters;
  config::Route settings;

  bool accepts_from(std::size_t endpoint) const { return from.empty() || from.contains(endpoint); }
  // A route sends back to the endpoint a message came from only when it names that endpoint
  // in `from` too: a deliberate echo, not a loop through a catch-all route.
  bool may_return_to(std::size_t endpoint) const { return from.contains(endpoint); }
};

// Builds the stages of one route (none by default).
using StageFactory = std::function<std::vector<std::unique_ptr<Stage>>(const config::Route&)>;

struct RouterSetup {
  // The router being replaced (on reload): routes of the same name keep their counters.
  const class Router* previous = nullptr;
  StageFactory stages;
  // Told about messages in and out while anyone taps (tap.h); outlives the router.
  TapHub* tap = nullptr;
  // The loop the router runs on: its round_started() is the time of every packet routed
  // within that round. Without one, the clock is read once per packet.
  const socket::EventLoop* loop = nullptr;
};

class Router {
 public:
  // endpoints[i] serves config.endpoints[i] (null: that endpoint is not open, routes skip
  // it); config must already be validated.
  Router(const config::Config& config, const std::vector<Endpoint*>& endpoints,
         RouterSetup setup = {});
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // One datagram or deframed TCP frame from origin.endpoint.
  void route_packet(const Origin& origin, std::string_view packet);

  const std::vector<CompiledRoute>& routes() const { return routes_; }

  // Continues a message through route's stages from position next_stage on and then to its
  // destination, as if the message had just been transformed: how a stage that held a message
  // (a rate limit, a schedule) releases it from a timer. Not for use inside route_packet().
  void resume(std::uint32_t route, std::size_t next_stage, const Outgoing& outgoing);
  // A stage of route dropped a message for good (Stage::drop).
  void count_stage_drop(std::uint32_t route, DropReason reason);

 private:
  // Transparent lookup: the address is a view into the packet, never copied to find routes.

  // A bundle under construction for one destination endpoint, and the route of each of its
  // messages, whose counters learn at the flush whether the endpoint took them.
  struct Outbox {
    std::vector<char> buffer;
    std::optional<osc::BundleBuilder> bundle;
    std::vector<std::uint32_t> routes;
    osc::TimeTag time;
    bool pending = false;
  };

  void index_route(std::uint32_t route);
  void collect_candidates(std::string_view address);
  void route_message(const Origin& origin, const osc::Message& message, osc::TimeTag time);
  void pass(std::uint32_t route, std::size_t next_stage, const Outgoing& outgoing);
  void deliver(std::uint32_t route, const Outgoing& outgoing);
  void flush(Endpoint& destination);
  void count_delivery(std::uint32_t route, const Endpoint& destination, bool taken);

  std::vector<CompiledRoute> routes_;
  std::vector<Endpoint*> endpoints_;
  RouteIndex literal_routes_;           // by the whole address
  RouteIndex pattern_routes_by_level_;  // by the first level of the pattern's literal prefix
  std::vector<std::uint32_t> unindexed_routes_;
  std::vector<std::uint32_t> candidates_;
  // Filled by a route's pattern, read by its transform: a member, since a zeroed local cost a
  // few dozen stores per message.
  osc::Captures captures_;
  MessageTransformer transformer_;
  std::string why_not_;
  std::string drop_detail_;
  bool in_bundle_ = false;
  const Origin* bundle_origin_ = nullptr;  // set while in_bundle_
  bool trace_ = false;  // trace logging on, read once per packet (a library call each time)
  // The time the packet being routed arrived, for the echo and loop guards: the loop round's
  // start (a clock read per datagram was ~1 % of the CPU at 120k msg/s on a VM whose clock
  // is paravirtual), else read at most once per packet. Outside route_packet (a stage resuming
  // a held message from a timer) now() reads the clock each time.
  const socket::EventLoop* loop_ = nullptr;
  bool in_packet_ = false;
  std::optional<EchoGuard::Clock::time_point> packet_time_;
  EchoGuard::Clock::time_point now() {
    if (!in_packet_) return EchoGuard::Clock::now();
    if (!packet_time_)
      packet_time_ = loop_ != nullptr ? loop_->round_started() : EchoGuard::Clock::now();
    return *packet_time_;
  }
  std::vector<Outbox> outboxes_;  // by endpoint index
  TapHub* tap_ = nullptr;
  std::vector<EchoGuard> echo_;  // by endpoint index (echo_window)

  // Scheduled bundles and loop detection (scheduler.h, loop_guard.h).
  // True: the packet was held for later (or dropped as schedule_full).
  bool hold_for_later(const Origin& origin, std::string_view packet);
  // DropReason::loop when address arriving from origin is part of a loop (loop_guard.h).
  bool in_loop(const Origin& origin, std::string_view address);
  void warn_loop(const Origin& origin, std::size_t sent_to, std::string_view address);
  LoopGuard loop_guard_;
  // Where endpoints send, when written as IP addresses: a message arriving from one of these
  // peers may be what that endpoint sent, relayed back.
  struct SendPeer {
    sockaddr_storage address;
    std::uint32_t endpoint;
  };
  std::vector<SendPeer> send_peers_;
};

}  // namespace oscbridge::daemon

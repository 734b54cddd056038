#include "daemon/router.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/scheduler.h"
#include "socket/resolve.h"

namespace oscbridge::daemon {

namespace {

// "#bundle", the timetag, and the size field of one element.
constexpr std::size_t kBundleOverhead = 8 + 8 + 4;

// "/mixer/..." -> "mixer": the first address level, when the text holds all of it.
std::optional<std::string_view> first_level(std::string_view address) {
  auto end = address.find('/', 1);
  if (address.empty() || address[0] != '/' || end == std::string_view::npos) return std::nullopt;
  return address.substr(1, end - 1);
}

// Whether anything can arrive from the endpoint: a udp endpoint without `listen` only sends
// (answers to its sending socket are discarded), a midi one with `input: false` only plays.
bool can_receive(const config::Endpoint& settings) {
  if (const auto* udp = settings.udp()) return udp->listen.has_value();
  if (const auto* midi = settings.midi()) return midi->input;
  return true;
}

// The largest message any destination takes: the transformer must be able to produce it.
std::size_t largest_frame(const config::Config& config) {
  std::size_t largest = MessageTransformer::kDefaultMaxMessage;
  for (const auto& endpoint : config.endpoints) largest = std::max(largest, endpoint.max_frame());
  return largest;
}

// By endpoint index: its loop_guard (0 for an endpoint that is not open).
std::vector<std::uint32_t> loop_thresholds(const std::vector<Endpoint*>& endpoints) {
  std::vector<std::uint32_t> thresholds(endpoints.size(), 0);
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    if (endpoints[i] != nullptr) thresholds[i] = endpoints[i]->settings().loop_guard;
  }
  return thresholds;
}

// The IP addresses among the endpoints' send destinations (names resolve later: left out).
template <class SendPeer>
std::vector<SendPeer> send_peers(const std::vector<Endpoint*>& endpoints) {
  std::vector<SendPeer> peers;
  auto add = [&](const config::HostPort& target, std::size_t endpoint) {
    SendPeer peer{};
    peer.endpoint = static_cast<std::uint32_t>(endpoint);
    auto& v4 = reinterpret_cast<sockaddr_in&>(peer.address);
    auto& v6 = reinterpret_cast<sockaddr_in6&>(peer.address);
    if (::inet_pton(AF_INET, target.host.c_str(), &v4.sin_addr) == 1) {
      v4.sin_family = AF_INET;
      v4.sin_port = htons(target.port);
    } else if (::inet_pton(AF_INET6, target.host.c_str(), &v6.sin6_addr) == 1) {
      v6.sin6_family = AF_INET6;
      v6.sin6_port = htons(target.port);
    } else {
      return;
    }
    peers.push_back(peer);
  };
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    if (endpoints[i] == nullptr || endpoints[i]->settings().loop_guard == 0) continue;
    const auto& settings = endpoints[i]->settings();
    if (const auto* udp = settings.udp()) {
      for (const auto& target : udp->send) add(target, i);
    } else if (const auto* tcp = settings.tcp(); tcp != nullptr && tcp->connect) {
      add(*tcp->connect, i);
    }
  }
  return peers;
}

// The address of an encoded message: the text before its first NUL.
std::string_view address_of(std::string_view message) {
  return message.substr(0, message.find('\0'));
}

}  // namespace

void EndpointSet::add(std::size_t endpoint) {
  any_ = true;
  if (endpoint < kInline) {
    inline_ |= std::uint64_t{1} << endpoint;
    return;
  }
  endpoint -= kInline;
  if (endpoint >= further_.size()) further_.resize(endpoint + 1, false);
  further_[endpoint] = true;
}

void Stage::pass_on(const Outgoing& outgoing) {
  if (router_ != nullptr) router_->resume(route_, position_ + 1, outgoing);
}

void Stage::drop(const Outgoing& outgoing, DropReason reason, std::string_view detail) {
  if (router_ != nullptr) router_->count_stage_drop(route_, reason);
  outgoing.destination.drop(reason, detail);
}

Router::Router(const config::Config& config, const std::vector<Endpoint*>& endpoints,
               RouterSetup setup)
    : endpoints_(endpoints),
      transformer_(largest_frame(config)),
      outboxes_(endpoints.size()),
      tap_(setup.tap),
      echo_(endpoints.size()),
      loop_guard_(loop_thresholds(endpoints)),
      send_peers_(send_peers<SendPeer>(endpoints)) {
  loop_ = setup.loop;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    // An echo needs a way back: remembering what is sent to an endpoint nothing arrives from
    // would cost a copy per message for nothing.
    if (endpoints[i] != nullptr && can_receive(endpoints[i]->settings())) {
      echo_[i] = EchoGuard(endpoints[i]->settings().echo_window);
    }
  }
  auto index_of = [&](const std::string& name) -> std::size_t {
    for (std::size_t i = 0; i < config.endpoints.size(); ++i) {
      if (config.endpoints[i].name == name) return i;
    }
    return config.endpoints.size();  // unreachable after validation
  };
  for (const auto& settings : config.routes) {
    CompiledRoute route;
    route.settings = settings;
    if (settings.match) {
      auto compiled = osc::compile_pattern(*settings.match);
      route.pattern = std::move(compiled.pattern);
    }
    for (const auto& name : settings.from) route.from.add(index_of(name));
    for (const auto& name : settings.to) {
      auto i = index_of(name);
      if (i < endpoints.size() && endpoints[i] != nullptr) route.to.push_back(endpoints[i]);
    }
    if (setup.previous != nullptr) {
      for (const auto& old : setup.previous->routes()) {
        if (old.settings.name == settings.name) route.counters = old.counters;
      }
    }
    if (setup.stages) route.stages = setup.stages(settings);
    routes_.push_back(std::move(route));
  }
  for (std::uint32_t i = 0; i < routes_.size(); ++i) {
    index_route(i);
    for (std::size_t position = 0; position < routes_[i].stages.size(); ++position) {
      routes_[i].stages[position]->attach(*this, i, position);
    }
  }
  candidates_.reserve(routes_.size());
  for (std::size_t i = 0; i < outboxes_.size(); ++i) {
    std::size_t frame =
        endpoints[i] != nullptr ? endpoints[i]->settings().max_frame() : config::kDefaultMaxFrame;
    outboxes_[i].buffer.resize(frame);
    // Grows only with a bundle of more messages than ever before, like buffer above.
    outboxes_[i].routes.reserve(64);
  }
}

void Router::index_route(std::uint32_t route) {
  const auto& pattern = routes_[route].pattern;
  if (!pattern) {
    unindexed_routes_.push_back(route);
  } else if (pattern->is_literal()) {
    literal_routes_.add(pattern->text(), route);
    routes_[route].literal = true;
  } else if (auto level = first_level(pattern->literal_prefix())) {
    pattern_routes_by_level_.add(*level, route);
  } else {
    unindexed_routes_.push_back(route);
  }
}

void Router::collect_candidates(std::string_view address) {
  candidates_.clear();
  auto add = [&](const RouteIndex& index, std::string_view key) {
    auto found = index.find(key);
    candidates_.insert(candidates_.end(), found.begin(), found.end());
  };
  add(literal_routes_, address);
  if (auto level = first_level(address)) add(pattern_routes_by_level_, *level);
  candidates_.insert(candidates_.end(), unindexed_routes_.begin(), unindexed_routes_.end());
  // Routes apply in file order, whichever index found them.
  if (candidates_.size() > 1) std::sort(candidates_.begin(), candidates_.end());
}

void Router::route_packet(const Origin& origin, std::string_view packet) {
  Endpoint& source = *origin.endpoint;
  if (source.settings().schedule) [[unlikely]] {
    if (hold_for_later(origin, packet)) return;
  }
  in_bundle_ = packet.size() >= 8 && packet.substr(0, 8) == std::string_view("#bundle\0", 8);
  bundle_origin_ = &origin;
  // At most one clock read for the whole packet (see now()): the echo guard compares every
  // message received and sent against it, and a read per message cost ~3 % of the CPU at
  // 120k msg/s.
  in_packet_ = true;
  trace_ = spdlog::should_log(spdlog::level::trace);
  osc::ParseOptions options;
  options.max_bundle_depth = source.settings().max_bundle_depth();
  auto status = osc::for_each_message(
      packet,
      [&](const osc::Message& message, osc::TimeTag time) { route_message(origin, message, time); },
      options);
  if (in_bundle_) {
    // in_bundle_ ends with the packet: a stage may resume a message later, outside it.
    for (Endpoint* destination : endpoints_) {
      if (destination != nullptr) flush(*destination);
    }
    in_bundle_ = false;
  }
  bundle_origin_ = nullptr;
  in_packet_ = false;
  packet_time_.reset();
  if (!status) {
    assign_joined(drop_detail_,
                  {status.error().reason, " at byte ", Decimal(status.error().offset)});
    source.drop_incoming(DropReason::malformed, drop_detail_);
  }
}

void Router::route_message(const Origin& origin, const osc::Message& message, osc::TimeTag time) {
  Endpoint& source = *origin.endpoint;
  ++source.counters().received;
  if (tap_ != nullptr && tap_->active()) [[unlikely]] {
    tap_->received(origin, message, time, in_bundle_);
  }
  std::string_view address = message.address();
  if (EchoGuard& echo = echo_[source.index];
      echo.remembers_any() && echo.take_echo(message.bytes(), origin, now())) {
    return source.drop(DropReason::echo, address);
  }
  if (loop_guard_.guards_any() && in_loop(origin, address)) [[unlikely]] {
    return source.drop(DropReason::loop, address);
  }
  collect_candidates(address);
  bool matched_any = false;
  osc::Captures& captures = captures_;
  for (std::uint32_t index : candidates_) {
    CompiledRoute& route = routes_[index];
    if (!route.accepts_from(source.index)) continue;
    captures.count = 0;
    if (route.pattern && !route.literal && !route.pattern->matches(address, captures)) continue;
    matched_any = true;
    ++route.counters.matched;
    auto out = transformer_.apply(route.settings, message, captures, why_not_);
    if (!out) {
      route.counters.drop(DropReason::not_applicable);
      assign_joined(drop_detail_,
                    {"route '", route.settings.name, "' on ", address, ": ", why_not_});
      source.drop(DropReason::not_applicable, drop_detail_);
      // A final route fences off later routes once it matched, applied or not: a catch-all
      // after it never sends the message it was meant to keep back.
      if (route.settings.final) break;
      continue;
    }
    for (Endpoint* destination : route.to) {
      if (destination == &source && !route.may_return_to(source.index)) continue;
      if (trace_) [[unlikely]] {
        spdlog::trace("{} -> {} via '{}': {} ({} bytes)", source.name(), destination->name(),
                      route.settings.name, address, out->size());
      }
      pass(index, 0, Outgoing{*destination, *out, time, origin});
    }
    if (route.settings.final) break;
  }
  if (!matched_any) source.drop(DropReason::no_route, address);
}

void Router::pass(std::uint32_t route, std::size_t next_stage, const Outgoing& outgoing) {
  auto& stages = routes_[route].stages;
  for (std::size_t i = next_stage; i < stages.size(); ++i) {
    if (!stages[i]->process(outgoing)) return;
  }
  deliver(route, outgoing);
}

void Router::count_delivery(std::uint32_t route, const Endpoint& destination, bool taken) {
  auto& counters = routes_[route].counters;
  if (taken) {
    ++counters.sent;
  } else {
    counters.drop(destination.last_drop_reason());
  }
}

void Router::resume(std::uint32_t route, std::size_t next_stage, const Outgoing& outgoing) {
  if (route < routes_.size()) pass(route, next_stage, outgoing);
}

void Router::count_stage_drop(std::uint32_t route, DropReason reason) {
  if (route < routes_.size()) routes_[route].counters.drop(reason);
}

void Router::deliver(std::uint32_t route, const Outgoing& outgoing) {
  Endpoint& destination = outgoing.destination;
  std::string_view message = outgoing.message;
  osc::TimeTag time = outgoing.time;
  if (loop_guard_.guards(destination.index) && loop_guard_.worth_noting(destination.index, now())) {
    const Endpoint* from = outgoing.origin.endpoint;
    loop_guard_.sent(
        destination.index, address_of(message), route,
        from != nullptr ? static_cast<std::uint32_t>(from->index) : LoopGuard::kNoEndpoint,
        peer_key(outgoing.origin.peer), now());
  }
  if (tap_ != nullptr && tap_->active()) [[unlikely]] {
    tap_->sent(destination, routes_[route].settings.name, message, time, in_bundle_);
  }
  if (!in_bundle_) {
    const bool taken = destination.output(OutgoingPacket{message, 1, &outgoing.origin});
    if (EchoGuard& echo = echo_[destination.index]; taken && echo.enabled()) {
      echo.sent(message, &outgoing.origin, now());
    }
    return count_delivery(route, destination, taken);
  }
  Outbox& outbox = outboxes_[destination.index];
  if (outbox.pending &&
      (outbox.time != time || outbox.bundle->element_space().size() < message.size())) {
    flush(destination);
  }
  if (!outbox.pending) {
    // Sending a message this large bare would drop its timetag (run it now, not when asked),
    // so the outbox grows instead: only over TCP with a large max_frame, once per new maximum.
    if (outbox.buffer.size() < kBundleOverhead + message.size()) {
      outbox.buffer.resize(kBundleOverhead + message.size());
    }
    outbox.bundle.emplace(std::span<char>(outbox.buffer.data(), outbox.buffer.size()), time);
    outbox.time = time;
    outbox.pending = true;
  }
  outbox.bundle->add_element(message);
  outbox.routes.push_back(route);
}

void Router::flush(Endpoint& destination) {
  Outbox& outbox = outboxes_[destination.index];
  if (!outbox.pending) return;
  outbox.pending = false;
  auto size = outbox.bundle->finish();
  outbox.bundle.reset();
  // deliver() made room for every element, so this is not expected to fail; if it does, the
  // messages are lost and counted like any others.
  if (!size) destination.drop(DropReason::too_large, outbox.routes.size(), size.error().reason);
  const bool taken =
      size && destination.output(OutgoingPacket{std::string_view(outbox.buffer.data(), *size),
                                                outbox.routes.size(), bundle_origin_});
  for (std::uint32_t route : outbox.routes) count_delivery(route, destination, taken);
  outbox.routes.clear();
  if (EchoGuard& echo = echo_[destination.index]; taken && echo.enabled()) {
    const auto sent_at = now();
    (void)osc::for_each_message(std::string_view(outbox.buffer.data(), *size),
                                [&](const osc::Message& message, osc::TimeTag) {
                                  echo.sent(message.bytes(), bundle_origin_, sent_at);
                                });
  }
}

bool Router::hold_for_later(const Origin& origin, std::string_view packet) {
  Endpoint& source = *origin.endpoint;
  const auto& settings = source.settings();
  switch (source.scheduler().offer(origin, packet, std::chrono::system_clock::now(),
                                   settings.schedule_max)) {
    case Scheduler::Decision::now:
      return false;
    case Scheduler::Decision::too_far:
      ++source.counters().schedule_too_far;
      return false;
    case Scheduler::Decision::held:
      return true;
    case Scheduler::Decision::full:
      break;
  }
  // Every message of the bundle is lost: each counts as received and dropped.
  std::uint64_t messages = 0;
  osc::ParseOptions options;
  options.max_bundle_depth = settings.max_bundle_depth();
  (void)osc::for_each_message(
      packet, [&](const osc::Message&, osc::TimeTag) { ++messages; }, options);
  messages = std::max<std::uint64_t>(messages, 1);
  source.counters().received += messages;
  assign_joined(drop_detail_, {"bundle of ", Decimal(messages),
                               " messages: ", Decimal(source.scheduler().queue().size()),
                               " bundles held already"});
  source.drop(DropReason::schedule_full, messages, drop_detail_);
  return true;
}

bool Router::in_loop(const Origin& origin, std::string_view address) {
  Endpoint& source = *origin.endpoint;
  const std::uint64_t from_peer = peer_key(origin.peer);
  auto check = [&](std::size_t sent_to) {
    const auto verdict = loop_guard_.arrived(
        sent_to, address, sent_to == source.index ? from_peer : LoopGuard::kAnyPeer, now());
    if (verdict == LoopGuard::Verdict::drop_new_loop) warn_loop(origin, sent_to, address);
    return verdict != LoopGuard::Verdict::pass;
  };
  if (loop_guard_.guards(source.index)) {
    loop_guard_.heard_from(source.index, now());
    if (check(source.index)) return true;
  }
  for (const SendPeer& peer : send_peers_) {
    if (peer.endpoint != source.index && same_peer(peer.address, origin.peer)) {
      loop_guard_.heard_from(peer.endpoint, now());
      if (check(peer.endpoint)) return true;
    }
  }
  return false;
}

void Router::warn_loop(const Origin& origin, std::size_t sent_to, std::string_view address) {
  const Endpoint& source = *origin.endpoint;
  const auto& cause = loop_guard_.cause();
  std::string sent_by = cause.route < routes_.size()
                            ? "route '" + routes_[cause.route].settings.name + "'"
                            : std::string("a route");
  if (cause.from < endpoints_.size() && endpoints_[cause.from] != nullptr) {
    sent_by += " from endpoint '" + endpoints_[cause.from]->name() + "'";
  }
  // The routes that carry it on from here close the circle.
  std::string onward;
  collect_candidates(address);
  for (std::uint32_t index : candidates_) {
    const CompiledRoute& route = routes_[index];
    osc::Captures captures;
    if (!route.accepts_from(source.index)) continue;
    if (route.pattern && !route.pattern->matches(address, captures)) continue;
    onward += (onward.empty() ? "'" : ", '") + route.settings.name + "'";
    if (route.settings.final) break;
  }
  std::string back = "endpoint '" + source.name() + "'";
  if (sent_to != source.index && endpoints_[sent_to] != nullptr) {
    back += " from " + socket::format_address(origin.peer) + ", where endpoint '" +
            endpoints_[sent_to]->name() + "' sends";
  }
  spdlog::warn(
      "loop: {} came back {} times within 1 s at {} after {} sent it there{}{}; "
      "dropping {} from there (counted as loop) until it has been quiet for 1 s",
      address, cause.returns, back, sent_by, onward.empty() ? "" : ", and route(s) ",
      onward.empty() ? std::string() : onward + " send it on again", address);
}

}  // namespace oscbridge::daemon

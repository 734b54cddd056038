#include "daemon/router.h"

#include <spdlog/spdlog.h>

#include <algorithm>

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

// The largest message any destination takes: the transformer must be able to produce it.
std::size_t largest_frame(const config::Config& config) {
  std::size_t largest = MessageTransformer::kDefaultMaxMessage;
  for (const auto& endpoint : config.endpoints) largest = std::max(largest, endpoint.max_frame());
  return largest;
}

}  // namespace

void Stage::pass_on(const Outgoing& outgoing) {
  if (router_ != nullptr) router_->resume(route_, position_ + 1, outgoing);
}

void Stage::drop(const Outgoing& outgoing, DropReason reason, std::string_view detail) {
  if (router_ != nullptr) router_->count_stage_drop(route_);
  outgoing.destination.drop(reason, detail);
}

Router::Router(const config::Config& config, const std::vector<Endpoint*>& endpoints,
               RouterSetup setup)
    : endpoints_(endpoints),
      transformer_(largest_frame(config)),
      outboxes_(endpoints.size()),
      tap_(setup.tap),
      echo_(endpoints.size()) {
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    if (endpoints[i] != nullptr) echo_[i] = EchoGuard(endpoints[i]->settings().echo_window);
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
    if (!settings.from.empty()) {
      route.from.assign(endpoints.size(), false);
      for (const auto& name : settings.from) {
        if (auto i = index_of(name); i < endpoints.size()) route.from[i] = true;
      }
    }
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
    literal_routes_[pattern->text()].push_back(route);
  } else if (auto level = first_level(pattern->literal_prefix())) {
    pattern_routes_by_level_[std::string(*level)].push_back(route);
  } else {
    unindexed_routes_.push_back(route);
  }
}

void Router::collect_candidates(std::string_view address) {
  candidates_.clear();
  auto add = [&](const Index& index, std::string_view key) {
    if (auto found = index.find(key); found != index.end()) {
      candidates_.insert(candidates_.end(), found->second.begin(), found->second.end());
    }
  };
  add(literal_routes_, address);
  if (auto level = first_level(address)) add(pattern_routes_by_level_, *level);
  candidates_.insert(candidates_.end(), unindexed_routes_.begin(), unindexed_routes_.end());
  // Routes apply in file order, whichever index found them.
  std::sort(candidates_.begin(), candidates_.end());
}

void Router::route_packet(const Origin& origin, std::string_view packet) {
  Endpoint& source = *origin.endpoint;
  in_bundle_ = packet.size() >= 8 && packet.substr(0, 8) == std::string_view("#bundle\0", 8);
  bundle_origin_ = &origin;
  // One clock read for the whole packet: the echo guard compares every message received and
  // sent against it, and a read per message cost ~3 % of the CPU at 120k msg/s.
  packet_time_ = EchoGuard::Clock::now();
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
      echo.enabled() && echo.take_echo(message.bytes(), origin, now())) {
    return source.drop(DropReason::echo, address);
  }
  collect_candidates(address);
  bool matched_any = false;
  osc::Captures captures;
  for (std::uint32_t index : candidates_) {
    CompiledRoute& route = routes_[index];
    if (!route.accepts_from(source.index)) continue;
    captures.count = 0;
    if (route.pattern && !route.pattern->matches(address, captures)) continue;
    matched_any = true;
    ++route.counters.matched;
    auto out = transformer_.apply(route.settings, message, captures, why_not_);
    if (!out) {
      ++route.counters.dropped;
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
      if (spdlog::should_log(spdlog::level::trace)) {
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

void Router::count_delivery(std::uint32_t route, bool taken) {
  auto& counters = routes_[route].counters;
  ++(taken ? counters.sent : counters.dropped);
}

void Router::resume(std::uint32_t route, std::size_t next_stage, const Outgoing& outgoing) {
  if (route < routes_.size()) pass(route, next_stage, outgoing);
}

void Router::count_stage_drop(std::uint32_t route) {
  if (route < routes_.size()) ++routes_[route].counters.dropped;
}

void Router::deliver(std::uint32_t route, const Outgoing& outgoing) {
  Endpoint& destination = outgoing.destination;
  std::string_view message = outgoing.message;
  osc::TimeTag time = outgoing.time;
  if (tap_ != nullptr && tap_->active()) [[unlikely]] {
    tap_->sent(destination, routes_[route].settings.name, message, time, in_bundle_);
  }
  if (!in_bundle_) {
    const bool taken = destination.output(OutgoingPacket{message, 1, &outgoing.origin});
    if (EchoGuard& echo = echo_[destination.index]; taken && echo.enabled()) {
      echo.sent(message, &outgoing.origin, now());
    }
    return count_delivery(route, taken);
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
  const bool taken =
      size && destination.output(OutgoingPacket{std::string_view(outbox.buffer.data(), *size),
                                                outbox.routes.size(), bundle_origin_});
  for (std::uint32_t route : outbox.routes) count_delivery(route, taken);
  outbox.routes.clear();
  if (EchoGuard& echo = echo_[destination.index]; taken && echo.enabled()) {
    const auto sent_at = now();
    (void)osc::for_each_message(std::string_view(outbox.buffer.data(), *size),
                                [&](const osc::Message& message, osc::TimeTag) {
                                  echo.sent(message.bytes(), bundle_origin_, sent_at);
                                });
  }
}

}  // namespace oscbridge::daemon

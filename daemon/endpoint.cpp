#include "daemon/endpoint.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/fixed_messages.h"
#include "daemon/midi_endpoint.h"
#include "daemon/pacer.h"
#include "daemon/scheduler.h"
#include "daemon/state_store.h"
#include "daemon/tcp_endpoints.h"
#include "daemon/udp_endpoint.h"

namespace oscbridge::daemon {

namespace {
constexpr auto kDropLogInterval = std::chrono::seconds(5);

// A message nobody routes (a surface's heartbeat) or nobody listens to yet (no reply peer,
// no client) is often expected, so it is no warning; nor is what flow control drops on
// purpose (rate, unchanged, deadband, echo).
spdlog::level::level_enum drop_log_level(DropReason reason) {
  switch (reason) {
    case DropReason::no_route:
    case DropReason::no_peer:
    case DropReason::rate:
    case DropReason::unchanged:
    case DropReason::deadband:
    case DropReason::echo:
      return spdlog::level::debug;
    default:
      return spdlog::level::warn;
  }
}
}  // namespace

Endpoint::Endpoint(const config::Endpoint& settings, EndpointContext& context)
    : settings_(settings),
      context_(context),
      greeting_(encode_fixed_messages(settings.on_connect)) {
  apply_state_and_pace(config::Endpoint{});
}

Endpoint::~Endpoint() {
  for (auto& log : drop_logs_) {
    if (log.summary_timer != 0) context_.loop.cancel(log.summary_timer);
  }
}

void Endpoint::deliver(std::string_view packet, const sockaddr_storage* peer) {
  Origin origin;
  origin.endpoint = this;
  if (peer != nullptr) origin.peer = *peer;
  context_.on_packet(origin, packet);
}

void Endpoint::drop(DropReason reason, std::uint64_t messages, std::string_view detail) {
  record_drop(reason, DropKind::message, messages, detail);
}

void Endpoint::refuse_client(DropReason reason, std::string_view peer, std::string_view why) {
  // The detail as a summary shows it: "127.0.0.1:51234: not in allow".
  std::string detail;
  detail.reserve(peer.size() + 2 + why.size());
  detail.append(peer).append(": ").append(why);
  record_drop(reason, DropKind::client, 1, detail);
}

void Endpoint::record_drop(DropReason reason, DropKind kind, std::uint64_t messages,
                           std::string_view detail) {
  counters_.drops(reason) += messages;
  last_drop_reason_ = reason;
  // A drop the log level hides (no_route below debug) is only counted: no copy, no timer.
  if (!spdlog::should_log(drop_log_level(reason))) return;
  auto& log = drop_logs_[static_cast<std::size_t>(reason)];
  log.unlogged += messages;
  log.kind = kind;
  log.latest.assign(detail);
  auto now = std::chrono::steady_clock::now();
  if (log.last == std::chrono::steady_clock::time_point{} || now - log.last >= kDropLogInterval) {
    return log_drops(reason);
  }
  // Within the interval: told by the timer when it ends, with the latest detail of this burst.
  if (log.summary_timer == 0) {
    log.summary_timer = context_.loop.run_after(log.last + kDropLogInterval - now, [this, reason] {
      drop_logs_[static_cast<std::size_t>(reason)].summary_timer = 0;
      log_drops(reason);
    });
  }
}

void Endpoint::log_drops(DropReason reason) {
  auto& log = drop_logs_[static_cast<std::size_t>(reason)];
  if (log.unlogged == 0) return;
  auto level = drop_log_level(reason);
  const bool client = log.kind == DropKind::client;
  if (log.unlogged == 1 && client) {
    spdlog::log(level, "{}: refused client {} ({})", name(), log.latest, to_string(reason));
  } else if (log.unlogged == 1) {
    spdlog::log(level, "{}: dropped a message ({}): {}", name(), to_string(reason), log.latest);
  } else {
    spdlog::log(level, "{}: {} {} {} ({}) in the last {} s; latest: {}", name(),
                client ? "refused" : "dropped", log.unlogged, client ? "clients" : "messages",
                to_string(reason), kDropLogInterval.count(), log.latest);
  }
  log.last = std::chrono::steady_clock::now();
  log.unlogged = 0;
}

bool Endpoint::can_update_to(const config::Endpoint& next) const {
  return next.protocol() == settings_.protocol() && next.listen() == settings_.listen();
}

void Endpoint::update_settings(const config::Endpoint& next) {
  const config::Endpoint previous = settings_;
  settings_ = next;
  greeting_ = encode_fixed_messages(next.on_connect);
  apply_state_and_pace(previous);
}

// State and pacing, from previous settings to settings_: a kept endpoint keeps its state
// (into a store of the new size when state_max changed: the most recently updated addresses
// stay) and the packets waiting for their turn.
void Endpoint::apply_state_and_pace(const config::Endpoint& previous) {
  if (!settings_.state) {
    state_.reset();
  } else if (!state_) {
    state_ = std::make_unique<StateStore>(settings_.state_max);
  } else if (previous.state_max != settings_.state_max) {
    auto resized = std::make_unique<StateStore>(settings_.state_max);
    state_->for_each([&](std::string_view message) {
      (void)resized->record(message, settings_.max_bundle_depth());
    });
    state_ = std::move(resized);
  }
  if (settings_.pace <= 0.0) {
    if (paced_) paced_->flush();
    paced_.reset();
  } else if (!paced_) {
    paced_ =
        std::make_unique<PacedOutput>(context_.loop, *this, settings_.pace, settings_.pace_queue);
  } else if (previous.pace != settings_.pace || previous.pace_queue != settings_.pace_queue) {
    paced_->set_limits(settings_.pace, settings_.pace_queue);
  }
}

bool Endpoint::output(const OutgoingPacket& packet, Output kind) {
  if (state_ && kind == Output::routed) {
    if (const std::size_t evicted = state_->record(packet.bytes, settings_.max_bundle_depth())) {
      counters_.state_evicted += evicted;
      if (!state_full_logged_) {
        state_full_logged_ = true;
        spdlog::warn(
            "{}: state is full ({} addresses, state_max): the least recently updated addresses "
            "are forgotten (counted as state_evicted); raise state_max to keep them",
            name(), state_->max_addresses());
      }
    }
  }
  if (paced_) return paced_->submit(packet);
  return send(packet);
}

void Endpoint::welcome(const std::function<void(std::string_view packet)>& send_one) {
  for (const auto& packet : greeting_) send_one(packet);
  if (!state_ || state_->size() == 0) return;
  spdlog::debug("{}: replaying the state of {} addresses", name(), state_->size());
  state_->for_each(send_one);
}

Scheduler& Endpoint::scheduler() {
  if (!scheduler_) {
    scheduler_ = std::make_unique<Scheduler>(context_.loop, settings_.schedule_queue,
                                             [this](const Origin& origin, std::string_view packet) {
                                               context_.on_packet(origin, packet);
                                             });
  } else if (scheduler_->queue().capacity() != settings_.schedule_queue) {
    scheduler_->queue().set_capacity(settings_.schedule_queue);
  }
  return *scheduler_;
}

bool allowed_source(const std::vector<config::Cidr>& allow, const sockaddr_storage& source) {
  if (allow.empty()) return true;
  return std::any_of(allow.begin(), allow.end(),
                     [&](const config::Cidr& cidr) { return cidr.contains(source); });
}

std::unique_ptr<Endpoint> make_endpoint(const config::Endpoint& settings, EndpointContext& context,
                                        std::string& error) {
  switch (settings.protocol()) {
    case config::Protocol::udp:
      return std::make_unique<UdpEndpoint>(settings, context);
    case config::Protocol::tcp:
      if (settings.tcp()->connect) return std::make_unique<TcpClientEndpoint>(settings, context);
      return std::make_unique<TcpServerEndpoint>(settings, context);
    case config::Protocol::midi:
      return std::make_unique<MidiEndpoint>(settings, context);
  }
  error = "unknown protocol";
  return nullptr;
}

}  // namespace oscbridge::daemon

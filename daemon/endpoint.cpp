#include "daemon/endpoint.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/tcp_endpoints.h"
#include "daemon/udp_endpoint.h"

namespace oscbridge::daemon {

namespace {
constexpr auto kDropLogInterval = std::chrono::seconds(5);
}  // namespace

Endpoint::Endpoint(const config::Endpoint& settings, EndpointContext& context)
    : settings_(settings), context_(context) {}

void Endpoint::deliver(std::string_view packet, const sockaddr_storage* peer) {
  Origin origin;
  origin.endpoint = this;
  if (peer != nullptr) origin.peer = *peer;
  context_.on_packet(origin, packet);
}

void Endpoint::drop(DropReason reason, std::uint64_t messages, std::string_view detail) {
  counters_.drops(reason) += messages;
  auto& log = drop_logs_[static_cast<std::size_t>(reason)];
  log.unlogged += messages;
  auto now = std::chrono::steady_clock::now();
  if (log.last != std::chrono::steady_clock::time_point{} && now - log.last < kDropLogInterval) {
    return;
  }
  // A message nobody routes (a surface's heartbeat) or nobody listens to yet (no reply peer,
  // no client) is often expected, so it is no warning.
  auto level = reason == DropReason::no_route || reason == DropReason::no_peer
                   ? spdlog::level::debug
                   : spdlog::level::warn;
  if (log.unlogged == 1) {
    spdlog::log(level, "{}: dropped a message ({}): {}", name(), to_string(reason), detail);
  } else {
    spdlog::log(level, "{}: dropped {} messages ({}) in the last {} s; latest: {}", name(),
                log.unlogged, to_string(reason), kDropLogInterval.count(), detail);
  }
  log.last = now;
  log.unlogged = 0;
}

bool Endpoint::can_update_to(const config::Endpoint& next) const {
  return next.protocol() == settings_.protocol() && next.listen() == settings_.listen();
}

void Endpoint::update_settings(const config::Endpoint& next) {
  settings_ = next;
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
      error = "MIDI endpoints are not available in this build yet (endpoint '" + settings.name +
              "'); see docs/configuration.md";
      return nullptr;
  }
  error = "unknown protocol";
  return nullptr;
}

}  // namespace oscbridge::daemon

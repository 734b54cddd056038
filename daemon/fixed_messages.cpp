#include "daemon/fixed_messages.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "daemon/tcp_endpoints.h"
#include "osc/encoder.h"

namespace oscbridge::daemon {

std::vector<std::string> encode_fixed_messages(const std::vector<config::FixedMessage>& messages) {
  std::vector<std::string> packets;
  std::vector<char> buffer;
  for (const auto& message : messages) {
    std::size_t size = message.address.size() + 8;
    for (const auto& arg : message.args) size += arg.text.size() + 12;
    buffer.assign(size + 64, '\0');
    osc::MessageBuilder builder(std::span<char>(buffer.data(), buffer.size()), message.address);
    for (const auto& arg : message.args) {
      switch (arg.type) {
        case config::ArgType::int32:
          builder.add_int32(static_cast<std::int32_t>(arg.integer));
          break;
        case config::ArgType::float32:
          builder.add_float(static_cast<float>(arg.real));
          break;
        default:
          builder.add_string(arg.text);
          break;
      }
    }
    if (auto encoded = builder.finish()) {
      packets.emplace_back(buffer.data(), *encoded);
    } else {
      spdlog::error("cannot encode {}: {}", message.address, encoded.error().reason);
    }
  }
  return packets;
}

KeepaliveTimer::KeepaliveTimer(socket::EventLoop& loop, Endpoint& endpoint,
                               const config::Keepalive& keepalive)
    : loop_(loop), endpoint_(endpoint), packets_(encode_fixed_messages(keepalive.send)) {
  timer_ = loop_.run_every(keepalive.every, [this] { send(); });
}

KeepaliveTimer::~KeepaliveTimer() {
  loop_.cancel(timer_);
}

void KeepaliveTimer::send() {
  // A client without its connection has nobody to keep alive; its reconnect sends on_connect.
  if (auto* client = dynamic_cast<TcpClientEndpoint*>(&endpoint_); client && !client->connected()) {
    return;
  }
  for (const auto& packet : packets_) {
    endpoint_.output(OutgoingPacket{packet, 1, nullptr}, Endpoint::Output::own);
  }
}

}  // namespace oscbridge::daemon

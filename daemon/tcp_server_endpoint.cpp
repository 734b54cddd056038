#include <spdlog/spdlog.h>

#include "config/address.h"
#include "daemon/tcp_endpoints.h"

namespace oscbridge::daemon {

TcpServerEndpoint::TcpServerEndpoint(const config::Endpoint& settings, EndpointContext& context)
    : Endpoint(settings, context) {}

TcpServerEndpoint::~TcpServerEndpoint() {
  if (server_) server_->close();
}

std::string TcpServerEndpoint::open() {
  auto [server, error] = socket::create_server(settings_.listen->host, settings_.listen->port,
                                               socket::Protocol::tcp, context_.loop);
  if (!server) return "cannot listen on " + config::to_string(*settings_.listen) + ": " + error;
  server_ = std::move(server);
  server_->set_send_queue_limit(settings_.queue_limit);
  socket::NotifierTable table;
  table.socket_error = [this](const std::string& message) {
    spdlog::warn("{}: {}", name(), message);
  };
  table.socket_accepted = [this](socket::SocketClient& client) { on_accepted(client); };
  table.socket_message = [this](socket::SocketClient& client, std::string_view bytes) {
    on_bytes(client, bytes);
  };
  table.socket_closed = [this](socket::SocketClient& client) { on_closed(client); };
  server_->run(std::move(table));
  spdlog::info("{}: listening on tcp {} ({} framing)", name(), config::to_string(*settings_.listen),
               config::to_string(settings_.framing));
  return {};
}

void TcpServerEndpoint::on_accepted(socket::SocketClient& client) {
  std::string peer = client.peer_address() + ":" + std::to_string(client.peer_port());
  if (connections_.size() >= settings_.max_clients) {
    drop(DropReason::max_clients, "closed client " + peer + ": already " +
                                      std::to_string(connections_.size()) + " connected");
    client.close();
    return;
  }
  connections_.emplace(&client, std::make_unique<Connection>(settings_, context_.loop));
  spdlog::info("{}: client {} connected", name(), peer);
}

void TcpServerEndpoint::on_bytes(socket::SocketClient& client, std::string_view bytes) {
  auto found = connections_.find(&client);
  if (found == connections_.end()) return;  // refused by max_clients, closing
  Connection& connection = *found->second;
  bool usable = connection.framer.feed(
      bytes, [&](std::string_view packet) { deliver(packet); },
      [&](DropReason reason, std::string_view detail) {
        drop(reason, std::string(detail) + " from " + client.peer_address());
      });
  // deliver() may have led to this client being closed; it is still alive until
  // socket_closed, which arrives on a later turn of the loop.
  if (!usable) {
    spdlog::warn("{}: closing client {}: stream framing lost", name(), client.peer_address());
    client.close();
    return;
  }
  connection.idle.update(connection.framer.has_partial_frame(), [this, &client] {
    spdlog::warn("{}: closing client {}: partial frame idle for {} ms", name(),
                 client.peer_address(), settings_.idle_timeout.count());
    client.close();
  });
}

void TcpServerEndpoint::on_closed(socket::SocketClient& client) {
  if (connections_.erase(&client) > 0) {
    spdlog::info("{}: client {}:{} disconnected", name(), client.peer_address(),
                 client.peer_port());
  }
}

void TcpServerEndpoint::send(std::string_view packet) {
  if (connections_.empty()) return;
  StreamFramer::encode(settings_.framing, packet, frame_buffer_);
  for (auto& [client, connection] : connections_) {
    if (!client->is_open()) continue;
    auto result = client->send(frame_buffer_);
    if (result.success) {
      ++counters_.sent;
    } else if (result.error == "send queue full") {
      drop(DropReason::queue_full, "client " + client->peer_address() + " is not reading");
    } else {
      drop(DropReason::send_failed, "client " + client->peer_address() + ": " + result.error);
    }
  }
}

}  // namespace oscbridge::daemon

#include <spdlog/spdlog.h>

#include "config/address.h"
#include "daemon/tcp_endpoints.h"

namespace oscbridge::daemon {

TcpServerEndpoint::TcpServerEndpoint(const config::Endpoint& settings, EndpointContext& context)
    : Endpoint(settings, context) {}

TcpServerEndpoint::~TcpServerEndpoint() = default;

std::string TcpServerEndpoint::open() {
  socket::Listener::Handlers handlers;
  handlers.on_accept = [this](std::unique_ptr<socket::Connection> connection) {
    on_accept(std::move(connection));
  };
  handlers.on_error = [this](const std::string& message) {
    spdlog::warn("{}: {}", name(), message);
  };
  auto result = socket::Listener::open(context_.loop, tcp().listen->host, tcp().listen->port,
                                       stream_limits(tcp()), handlers);
  if (!result.listener) {
    return result.message;
  }
  listener_ = std::move(result.listener);
  spdlog::info("{}: listening on tcp {} ({} framing)", name(), config::to_string(*tcp().listen),
               config::to_string(tcp().framing));
  return {};
}

bool TcpServerEndpoint::can_update_to(const config::Endpoint& next) const {
  return Endpoint::can_update_to(next) && same_stream_settings(tcp(), *next.tcp());
}

void TcpServerEndpoint::update_settings(const config::Endpoint& next) {
  Endpoint::update_settings(next);
  listener_->set_limits(stream_limits(tcp()));
  std::vector<socket::ConnectionId> refused;
  for (auto& [id, client] : clients_) {
    client->connection->set_queue_limit(tcp().queue_limit);
    client->idle.set_timeout(tcp().idle_timeout);
    if (!allowed_source(tcp().allow, client->connection->peer())) refused.push_back(id);
  }
  for (auto id : refused) close_client(id, "no longer in allow");
}

void TcpServerEndpoint::on_accept(std::unique_ptr<socket::Connection> connection) {
  const std::string peer = connection->peer_text();
  if (!allowed_source(tcp().allow, connection->peer())) {
    return refuse_client(DropReason::acl, peer, "not in allow");
  }
  if (clients_.size() >= tcp().max_clients) {
    return refuse_client(DropReason::max_clients, peer,
                         "already " + std::to_string(clients_.size()) + " connected");
  }
  socket::ConnectionId id = connection->id();
  socket::Connection::Handlers handlers;
  handlers.on_data = [this, id](socket::Connection&, std::string_view bytes) {
    on_data(id, bytes);
  };
  handlers.on_close = [this, id](socket::Connection&, std::error_code error) {
    close_client(id, error == socket::Errc::peer_closed ? "" : error.message());
  };
  connection->set_handlers(std::move(handlers));
  auto& stream =
      *clients_
           .emplace(id, std::make_unique<TcpStream>(std::move(connection), tcp(), context_.loop))
           .first->second;
  spdlog::info("{}: client {} connected", name(), peer);
  welcome([&](std::string_view packet) {
    stream.send(*this, tcp().framing, OutgoingPacket{packet, 1, nullptr}, frame_buffer_);
  });
}

// why: "" when the client went away by itself; else why the daemon closes it.
void TcpServerEndpoint::close_client(socket::ConnectionId id, std::string_view why) {
  auto found = clients_.find(id);
  if (found == clients_.end()) return;
  auto client = std::move(found->second);
  clients_.erase(found);
  if (why.empty()) {
    spdlog::info("{}: client {} disconnected", name(), client->peer);
  } else {
    spdlog::warn("{}: closing client {}: {}", name(), client->peer, why);
  }
  client->count_lost(*this, "client " + client->peer);
}

void TcpServerEndpoint::on_data(socket::ConnectionId id, std::string_view bytes) {
  auto found = clients_.find(id);
  if (found == clients_.end()) return;
  TcpStream& client = *found->second;
  bool usable = client.framer.feed(
      bytes, [&](std::string_view packet) { deliver(packet, &client.connection->peer()); },
      [&](DropReason reason, std::string_view detail) {
        drop_incoming(reason, std::string(detail) + " from " + client.peer);
      });
  // Routing never closes a connection synchronously (sends are queued for the end of the
  // round), so the client is still here.
  if (!usable) return close_client(id, "stream framing lost");
  client.idle.update(client.framer.has_partial_frame(), [this, id] {
    close_client(id,
                 "partial frame idle for " + std::to_string(tcp().idle_timeout.count()) + " ms");
  });
}

bool TcpServerEndpoint::send(const OutgoingPacket& packet) {
  if (clients_.empty()) {
    drop(DropReason::no_peer, packet.messages, "no client is connected");
    return false;
  }
  bool taken = false;
  for (auto& [id, client] : clients_) {
    taken = client->send(*this, tcp().framing, packet, frame_buffer_) || taken;
  }
  return taken;
}

EndpointState TcpServerEndpoint::state() const {
  EndpointState state;
  state.word = "listening";
  state.summary = "listening on tcp " + config::to_string(*tcp().listen) + ", " +
                  std::to_string(clients_.size()) + " client(s)";
  for (const auto& [id, client] : clients_) state.peers.push_back(client->peer);
  return state;
}

}  // namespace oscbridge::daemon

#include "daemon/udp_endpoint.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "config/address.h"
#include "socket/resolve.h"

namespace oscbridge::daemon {

namespace {

using Clock = std::chrono::steady_clock;

bool is_v4_mapped(const sockaddr_storage& address) {
  return address.ss_family == AF_INET6 &&
         IN6_IS_ADDR_V4MAPPED(&reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr);
}

}  // namespace

std::size_t UdpEndpoint::PeerKeyHash::operator()(const PeerKey& key) const {
  // FNV-1a: a few peers, a short key; no need for anything stronger.
  std::size_t hash = 1469598103934665603ull;
  for (auto byte : key.bytes) hash = (hash ^ byte) * 1099511628211ull;
  return hash;
}

UdpEndpoint::UdpEndpoint(const config::Endpoint& settings, EndpointContext& context)
    : Endpoint(settings, context), batch_bytes_(kBatchBytes) {
  batch_.reserve(kBatchDatagrams);
  batch_view_.reserve(kBatchDatagrams);
}

UdpEndpoint::~UdpEndpoint() {
  flush_handle_->endpoint = nullptr;  // a flush deferred to the end of this round finds nobody
  if (server_) {
    flush_batch();
    server_->close();
  }
}

std::uint16_t UdpEndpoint::listen_port() const {
  return server_ ? server_->local_port() : 0;
}

std::string UdpEndpoint::open() {
  if (settings_.listen) {
    auto [server, error] = socket::create_server(settings_.listen->host, settings_.listen->port,
                                                 socket::Protocol::udp, context_.loop);
    if (!server) return "cannot listen on " + config::to_string(*settings_.listen) + ": " + error;
    server_ = std::move(server);
    socket::NotifierTable table;
    table.socket_error = [this](const std::string& message) {
      spdlog::warn("{}: {}", name(), message);
    };
    table.socket_message = [this](socket::SocketClient& peer, std::string_view datagram) {
      on_datagram(peer, datagram);
    };
    server_->run(std::move(table));
    spdlog::info("{}: listening on udp {}", name(), config::to_string(*settings_.listen));
  }
  int family = server_ ? socket::address_family(*server_) : AF_UNSPEC;
  for (const auto& destination : settings_.send) {
    if (server_) {
      auto resolved = socket::resolve_address(destination.host, destination.port,
                                              socket::Protocol::udp, family);
      if (!resolved.ok()) {
        return "cannot send to " + config::to_string(destination) + ": " + resolved.error;
      }
      // From an IPv6 socket an IPv4 destination is the mapped ::ffff:a.b.c.d, which only a
      // socket bound to "::" (dual stack) or to a mapped address can reach. Bound to ::1,
      // every send would fail ("Network is unreachable") while the daemon looked healthy.
      if (family == AF_INET6 && is_v4_mapped(resolved.address)) {
        std::string local = server_->local_address();
        if (local != "::" && local.find(':') != std::string::npos) {
          return "cannot send to " + config::to_string(destination) +
                 ": an IPv4 destination, but the endpoint listens on the IPv6 address " + local +
                 " and sends from there; listen on an IPv4 address or send to an IPv6 one";
        }
      }
      destinations_.push_back(resolved.address);
    } else {
      auto [client, error] =
          socket::create_client(destination.host, destination.port, socket::Protocol::udp, 2000);
      if (!client) return "cannot send to " + config::to_string(destination) + ": " + error;
      senders_.push_back(std::move(client));
    }
    spdlog::info("{}: sending to udp {}", name(), config::to_string(destination));
  }
  return {};
}

bool UdpEndpoint::allowed(const sockaddr_storage& source) const {
  if (settings_.allow.empty()) return true;
  return std::any_of(settings_.allow.begin(), settings_.allow.end(),
                     [&](const config::Cidr& cidr) { return cidr.contains(source); });
}

void UdpEndpoint::on_datagram(socket::SocketClient& peer, std::string_view datagram) {
  const sockaddr_storage& source = peer.peer_sockaddr();
  if (!allowed(source)) return drop(DropReason::acl, "source " + socket::format_address(source));
  if (datagram.size() > settings_.max_frame) {
    return drop(DropReason::too_large,
                std::to_string(datagram.size()) + " bytes from " + socket::format_address(source));
  }
  if (settings_.reply) remember_peer(source);
  deliver(datagram);
}

void UdpEndpoint::remember_peer(const sockaddr_storage& source) {
  PeerKey key;
  key.bytes[0] = static_cast<std::uint8_t>(source.ss_family);
  if (source.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&source);
    std::memcpy(&key.bytes[2], &v4->sin_port, 2);
    std::memcpy(&key.bytes[4], &v4->sin_addr, 4);
  } else {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(&source);
    std::memcpy(&key.bytes[2], &v6->sin6_port, 2);
    std::memcpy(&key.bytes[4], &v6->sin6_addr, 16);
  }
  auto now = Clock::now();
  auto found = reply_peers_.find(key);
  if (found != reply_peers_.end()) {
    found->second.last_heard = now;
    return;
  }
  if (reply_peers_.size() >= kMaxReplyPeers) {
    // Forget the quietest peer rather than refuse a new one.
    auto oldest = std::min_element(reply_peers_.begin(), reply_peers_.end(), [](auto& a, auto& b) {
      return a.second.last_heard < b.second.last_heard;
    });
    reply_peers_.erase(oldest);
  }
  reply_peers_.emplace(key, Peer{source, now});
  spdlog::info("{}: replying to new peer {}", name(), socket::format_address(source));
}

void UdpEndpoint::send_to(const sockaddr_storage& destination, std::string_view packet) {
  if (packet.size() > kBatchBytes) {
    auto result = server_->send_to(destination, packet);
    if (result.success) {
      ++counters_.sent;
    } else {
      drop(DropReason::send_failed,
           "to " + socket::format_address(destination) + ": " + result.error);
    }
    return;
  }
  if (batch_.size() == kBatchDatagrams || batch_used_ + packet.size() > kBatchBytes) flush_batch();
  std::copy(packet.begin(), packet.end(), batch_bytes_.begin() + batch_used_);
  batch_.push_back(Queued{destination, batch_used_, packet.size()});
  batch_used_ += packet.size();
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    context_.loop.defer([handle = flush_handle_] {
      if (handle->endpoint != nullptr) handle->endpoint->flush_batch();
    });
  }
}

void UdpEndpoint::flush_batch() {
  flush_scheduled_ = false;
  if (batch_.empty()) return;
  batch_view_.clear();
  for (const auto& queued : batch_) {
    batch_view_.push_back(
        {&queued.destination, std::string_view(batch_bytes_.data() + queued.offset, queued.size)});
  }
  std::size_t next = 0;
  std::size_t failed = 0;
  while (next < batch_view_.size()) {
    std::string error;
    next += server_->send_many(batch_view_.data() + next, batch_view_.size() - next, error);
    if (next < batch_view_.size()) {
      // sendmmsg stopped at the datagram at `next`: count it and go on with the rest.
      drop(DropReason::send_failed,
           "to " + socket::format_address(batch_[next].destination) + ": " + error);
      ++failed;
      ++next;
    }
  }
  counters_.sent += batch_view_.size() - failed;
  batch_.clear();
  batch_used_ = 0;
}

void UdpEndpoint::send(std::string_view packet) {
  for (const auto& destination : destinations_) send_to(destination, packet);
  for (const auto& sender : senders_) {
    auto result = sender->send(packet);
    if (!result.success) {
      // A connected UDP socket reports the ICMP error ("Connection refused") of an EARLIER
      // datagram on the next send, which then does not go out: a destination that starts
      // after the daemon would lose the first message sent once it is up. Reporting clears
      // the error, so one retry sends this packet; when it goes, the error was the earlier
      // datagram's, and is counted as that one's drop.
      auto retry = sender->send(packet);
      if (retry.success) {
        drop(DropReason::send_failed, "to " + socket::format_address(sender->peer_sockaddr()) +
                                          ": " + result.error + " (an earlier datagram)");
      }
      result = std::move(retry);
    }
    if (result.success) {
      ++counters_.sent;
    } else {
      drop(DropReason::send_failed,
           "to " + socket::format_address(sender->peer_sockaddr()) + ": " + result.error);
    }
  }
  if (!settings_.reply || !server_) return;
  auto now = Clock::now();
  for (auto peer = reply_peers_.begin(); peer != reply_peers_.end();) {
    if (now - peer->second.last_heard > settings_.reply_window) {
      spdlog::info(
          "{}: peer {} silent for {} s, no longer replied to", name(),
          socket::format_address(peer->second.address),
          std::chrono::duration_cast<std::chrono::seconds>(settings_.reply_window).count());
      peer = reply_peers_.erase(peer);
      continue;
    }
    send_to(peer->second.address, packet);
    ++peer;
  }
}

}  // namespace oscbridge::daemon

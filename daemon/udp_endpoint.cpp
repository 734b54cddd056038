#include "daemon/udp_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "config/address.h"
#include "socket/resolve.h"

namespace oscbridge::daemon {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kResolveTimeout = std::chrono::seconds(5);
constexpr auto kResolveRetryMin = std::chrono::milliseconds(500);
constexpr auto kResolveRetryMax = std::chrono::milliseconds(30'000);
// Reply peers: each interval logs this many admitted or forgotten peers one by one and the
// first refused one; the rest are summarized when the interval ends.
constexpr auto kPeerLogInterval = std::chrono::seconds(5);
constexpr std::size_t kPeerLogLines = 8;

long long whole_seconds(std::chrono::milliseconds duration) {
  return std::chrono::duration_cast<std::chrono::seconds>(duration).count();
}

bool is_v4_mapped(const sockaddr_storage& address) {
  return address.ss_family == AF_INET6 &&
         IN6_IS_ADDR_V4MAPPED(&reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr);
}

// Literal addresses resolve at once without the system resolver, so they are settled in
// open(): a bad one refuses the start, and nothing routed in the first round is lost.
bool is_literal(const std::string& host) {
  return socket::is_literal_address(host);  // "fe80::1%eth0" too, which inet_pton refuses
}

std::size_t family_slot(int family) {
  return family == AF_INET6 ? 1 : 0;
}

}  // namespace

UdpEndpoint::UdpEndpoint(const config::Endpoint& settings, EndpointContext& context)
    : Endpoint(settings, context),
      reply_peers_(settings.udp()->reply_max_peers, settings.udp()->reply_window),
      batch_bytes_(kBatchBytes) {
  batch_.reserve(kBatchDatagrams);
  batch_view_.reserve(kBatchDatagrams);
}

UdpEndpoint::~UdpEndpoint() {
  if (peer_log_.summary != 0) context_.loop.cancel(peer_log_.summary);
  stop_destinations();
  flush_batch();
  if (server_) server_->close();
  for (auto& sender : senders_) {
    if (sender) sender->close();
  }
}

std::uint16_t UdpEndpoint::listen_port() const {
  return server_ ? server_->local_port() : 0;
}

std::string UdpEndpoint::open() {
  if (udp().listen) {
    auto [server, error] = socket::create_server(udp().listen->host, udp().listen->port,
                                                 socket::Protocol::udp, context_.loop);
    if (!server) return "cannot listen on " + config::to_string(*udp().listen) + ": " + error;
    server_ = std::move(server);
  }
  // Literal destinations are checked now, so that one the socket cannot reach refuses the
  // start (or the reload) instead of failing every send.
  destinations_.clear();
  for (const auto& where : udp().send) destinations_.push_back(make_destination(where));
  for (auto& destination : destinations_) {
    if (!is_literal(destination.where.host)) continue;
    int family = server_ ? socket::address_family(*server_) : AF_UNSPEC;
    auto resolved = socket::resolve_address(destination.where.host, destination.where.port,
                                            socket::Protocol::udp, family, 0);
    std::string problem =
        resolved.ok() ? accept_address(destination, resolved.address) : resolved.error;
    if (!problem.empty()) {
      server_.reset();
      return "cannot send to " + config::to_string(destination.where) + ": " + problem;
    }
  }
  if (server_) {
    socket::NotifierTable table;
    table.socket_error = [this](const std::string& message) {
      spdlog::warn("{}: {}", name(), message);
    };
    table.socket_message = [this](socket::SocketClient& peer, std::string_view datagram) {
      on_datagram(peer, datagram);
    };
    server_->run(std::move(table));
    spdlog::info("{}: listening on udp {}", name(), config::to_string(*udp().listen));
  }
  start_destinations();
  return {};
}

std::string UdpEndpoint::accept_address(Destination& destination, const sockaddr_storage& address) {
  if (server_) {
    // From an IPv6 socket an IPv4 destination is the mapped ::ffff:a.b.c.d, which only a
    // socket bound to "::" (dual stack) or to a mapped address can reach. Bound to ::1,
    // every send would fail ("Network is unreachable") while the daemon looked healthy.
    if (socket::address_family(*server_) == AF_INET6 && is_v4_mapped(address)) {
      std::string local = server_->local_address();
      if (local != "::" && local.find(':') != std::string::npos) {
        return "an IPv4 destination, but the endpoint listens on the IPv6 address " + local +
               " and sends from there; listen on an IPv4 address or send to an IPv6 one";
      }
    }
    destination.via = server_.get();
  } else {
    std::string error;
    destination.via = sender_for(address.ss_family, error);
    if (destination.via == nullptr) return error;
  }
  destination.address = address;
  destination.problem.clear();
  return {};
}

socket::SocketServer* UdpEndpoint::sender_for(int family, std::string& error) {
  auto& sender = senders_[family_slot(family)];
  if (!sender) {
    auto [server, message] = socket::create_udp_sender(family, context_.loop);
    if (!server) {
      error = "cannot open a sending socket: " + message;
      return nullptr;
    }
    sender = std::move(server);
  }
  return sender.get();
}

void UdpEndpoint::start_destinations() {
  for (std::size_t i = 0; i < destinations_.size(); ++i) {
    auto& destination = destinations_[i];
    destination.backoff = kResolveRetryMin;
    if (destination.via != nullptr) {
      spdlog::info("{}: sending to udp {}", name(), config::to_string(destination.where));
    } else {
      resolve(i);
    }
  }
}

void UdpEndpoint::stop_destinations() {
  for (auto& destination : destinations_) {
    if (destination.request != 0) context_.resolver.cancel(destination.request);
    if (destination.retry != 0) context_.loop.cancel(destination.retry);
    destination.request = 0;
    destination.retry = 0;
  }
}

void UdpEndpoint::resolve(std::size_t index) {
  auto& destination = destinations_[index];
  destination.retry = 0;
  if (destination.problem.empty()) destination.problem = "resolving";
  int family = server_ ? socket::address_family(*server_) : AF_UNSPEC;
  destination.request = context_.resolver.resolve(
      destination.where.host, destination.where.port, socket::Protocol::udp, family,
      kResolveTimeout, [this, index](socket::Resolution result) {
        auto& destination = destinations_[index];
        destination.request = 0;
        std::string problem =
            result.error ? result.message : accept_address(destination, result.addresses.front());
        if (problem.empty()) {
          spdlog::info("{}: sending to udp {} ({}){}", name(), config::to_string(destination.where),
                       socket::format_address(destination.address),
                       destination.failures == 0
                           ? ""
                           : " after " + std::to_string(destination.failures) + " failed attempts");
          destination.failures = 0;
          return;
        }
        destination.problem = problem;
        // A mixer that is off for the evening must not fill the journal: the first failure is
        // a warning, then one a minute, and every attempt at debug level.
        const auto now = Clock::now();
        const bool remind = destination.failures == 0 || now - destination.warned >= kRemindEvery;
        ++destination.failures;
        if (remind) destination.warned = now;
        spdlog::log(remind ? spdlog::level::warn : spdlog::level::debug,
                    "{}: cannot send to {}: {}; retrying in {} ms{}", name(),
                    config::to_string(destination.where), problem, destination.backoff.count(),
                    destination.failures == 1
                        ? ""
                        : " (" + std::to_string(destination.failures) + " failed attempts)");
        destination.retry =
            context_.loop.run_after(destination.backoff, [this, index] { resolve(index); });
        destination.backoff =
            std::min(destination.backoff * 2, std::chrono::milliseconds(kResolveRetryMax));
      });
}

void UdpEndpoint::update_settings(const config::Endpoint& next) {
  bool destinations_changed = next.udp()->send != udp().send;
  Endpoint::update_settings(next);
  if (udp().reply == config::Reply::off) {
    reply_peers_.clear();
  } else {
    reply_peers_.set_limits(
        udp().reply_max_peers, udp().reply_window, [this](const sockaddr_storage& address) {
          log_peer(PeerEvent::forgotten, "peer " + socket::format_address(address) +
                                             " forgotten: reply_max_peers is now " +
                                             std::to_string(udp().reply_max_peers));
        });
  }
  if (!destinations_changed) return;
  flush_batch();
  stop_destinations();
  std::vector<Destination> kept;
  for (const auto& where : udp().send) {
    auto same = std::find_if(destinations_.begin(), destinations_.end(),
                             [&](const Destination& old) { return old.where == where; });
    kept.push_back(same != destinations_.end() && same->via != nullptr ? *same
                                                                       : make_destination(where));
  }
  destinations_ = std::move(kept);
  start_destinations();
}

EndpointState UdpEndpoint::state() const {
  EndpointState state;
  state.word = udp().listen ? "listening" : "sending";
  if (udp().listen) state.summary = "listening on udp " + config::to_string(*udp().listen);
  for (const auto& destination : destinations_) {
    if (!state.summary.empty()) state.summary += "; ";
    state.summary += "sending to " + config::to_string(destination.where);
    if (destination.via == nullptr) {
      state.summary += " (unresolved: " + destination.problem + ")";
      state.word = "unresolved";
    }
  }
  reply_peers_.for_each([&](const sockaddr_storage& address) {
    state.peers.push_back(socket::format_address(address));
  });
  return state;
}

void UdpEndpoint::on_datagram(socket::SocketClient& peer, std::string_view datagram) {
  const sockaddr_storage& source = peer.peer_sockaddr();
  if (!allowed_source(udp().allow, source)) {
    return drop_incoming(DropReason::acl, "source " + socket::format_address(source));
  }
  if (datagram.size() > udp().max_frame) {
    return drop_incoming(DropReason::too_large, std::to_string(datagram.size()) + " bytes from " +
                                                    socket::format_address(source));
  }
  if (udp().reply != config::Reply::off && remember_peer(source) && server_) {
    welcome([&](std::string_view packet) {
      send_to(*server_, source, OutgoingPacket{packet, 1, nullptr});
    });
  }
  deliver(datagram, &source);
}

bool UdpEndpoint::remember_peer(const sockaddr_storage& source) {
  sockaddr_storage replaced{};
  switch (reply_peers_.hear(source, Clock::now(), &replaced)) {
    case ReplyPeers::Outcome::known:
      return false;
    case ReplyPeers::Outcome::admitted:
      log_peer(PeerEvent::admitted, "replying to new peer " + socket::format_address(source));
      return true;
    case ReplyPeers::Outcome::replaced:
      log_peer(PeerEvent::forgotten, "peer " + socket::format_address(replaced) + " silent for " +
                                         std::to_string(whole_seconds(udp().reply_window)) +
                                         " s, no longer replied to");
      log_peer(PeerEvent::admitted, "replying to new peer " + socket::format_address(source));
      return true;
    case ReplyPeers::Outcome::refused_full:
      ++peer_log_.refused_full;
      break;
    case ReplyPeers::Outcome::refused_rate:
      ++peer_log_.refused_rate;
      break;
  }
  ++counters_.reply_peers_refused;
  peer_log_.latest_refused = socket::format_address(source);
  log_peer(PeerEvent::refused, {});
  return false;
}

void UdpEndpoint::log_peer(PeerEvent event, const std::string& line) {
  if (peer_log_.summary == 0) {
    peer_log_.summary = context_.loop.run_after(kPeerLogInterval, [this] { summarize_peers(); });
  }
  if (event == PeerEvent::refused) {
    if (peer_log_.refusal_logged) return;
    peer_log_.refusal_logged = true;
    const bool full = peer_log_.refused_full != 0;
    peer_log_.refused_full = peer_log_.refused_rate = 0;
    spdlog::warn(
        "{}: not replying to new peer {}: {}; its messages are still routed; further refusals "
        "are summarized every {} s",
        name(), peer_log_.latest_refused,
        full ? "table full (" + std::to_string(reply_peers_.max_peers()) +
                   " peers heard within reply_window)"
             : "more than " + std::to_string(static_cast<int>(ReplyPeers::kAdmissionsPerSecond)) +
                   " new peers per second",
        kPeerLogInterval.count());
    return;
  }
  if (peer_log_.lines < kPeerLogLines) {
    ++peer_log_.lines;
    spdlog::info("{}: {}", name(), line);
    return;
  }
  ++(event == PeerEvent::admitted ? peer_log_.admitted : peer_log_.forgotten);
}

void UdpEndpoint::summarize_peers() {
  PeerLog& log = peer_log_;
  const std::uint64_t refused = log.refused_full + log.refused_rate;
  if (refused != 0) {
    spdlog::warn(
        "{}: refused {} more new reply peers in the last {} s (table full, {} peers heard within "
        "reply_window: {}; over the admission rate of {} per second: {}); latest {}; their "
        "messages were routed but are not answered (an allow list keeps unknown sources out)",
        name(), refused, kPeerLogInterval.count(), reply_peers_.max_peers(), log.refused_full,
        static_cast<int>(ReplyPeers::kAdmissionsPerSecond), log.refused_rate, log.latest_refused);
  }
  if (log.admitted + log.forgotten != 0) {
    spdlog::info("{}: {} more new reply peers and {} more forgotten in the last {} s", name(),
                 log.admitted, log.forgotten, kPeerLogInterval.count());
  }
  const bool busy = refused + log.admitted + log.forgotten != 0;
  log = PeerLog{};
  // A busy interval starts another, so a burst that goes on is summarized, not logged.
  if (busy) {
    log.refusal_logged = true;
    log.lines = kPeerLogLines;
    log.summary = context_.loop.run_after(kPeerLogInterval, [this] { summarize_peers(); });
  }
}

void UdpEndpoint::send_to(socket::SocketServer& via, const sockaddr_storage& destination,
                          const OutgoingPacket& packet) {
  const std::string_view bytes = packet.bytes;
  if (batch_.size() == kBatchDatagrams || batch_used_ + bytes.size() > kBatchBytes) flush_batch();
  std::copy(bytes.begin(), bytes.end(), batch_bytes_.begin() + batch_used_);
  batch_.push_back(Queued{&via, destination, batch_used_, bytes.size(), packet.messages});
  batch_used_ += bytes.size();
  flush_at_round_end_.schedule();
}

void UdpEndpoint::flush_batch() {
  if (batch_.empty()) return;
  batch_view_.clear();
  for (const auto& queued : batch_) {
    batch_view_.push_back(
        {&queued.destination, std::string_view(batch_bytes_.data() + queued.offset, queued.size)});
  }

  // One sendmmsg per run of datagrams that leave from the same socket.
  for (std::size_t start = 0; start < batch_.size();) {
    socket::SocketServer* via = batch_[start].via;
    std::size_t end = start;
    while (end < batch_.size() && batch_[end].via == via) ++end;
    std::size_t next = start;
    while (next < end) {
      std::string error;
      next += via->send_many(batch_view_.data() + next, end - next, error);
      if (next < end) {
        // sendmmsg stopped at the datagram at `next`: count it and go on with the rest.
        drop(DropReason::send_failed, batch_[next].messages,
             "to " + socket::format_address(batch_[next].destination) + ": " + error);
        batch_[next].messages = 0;
        ++next;
      }
    }
    start = end;
  }
  for (const auto& queued : batch_) counters_.sent += queued.messages;
  batch_.clear();
  batch_used_ = 0;
}

bool UdpEndpoint::send(const OutgoingPacket& packet) {
  bool taken = false;
  for (const auto& destination : destinations_) {
    if (destination.via == nullptr) {
      drop(DropReason::unresolved, packet.messages, config::to_string(destination.where));
      continue;
    }
    send_to(*destination.via, destination.address, packet);
    taken = true;
  }
  if (udp().reply == config::Reply::off || !server_) return taken;
  // reply: others: a message that came from one of this endpoint's peers is not sent back to
  // that peer (two tablets mirror each other without the sender's own fader jittering).
  const sockaddr_storage* sender = nullptr;
  if (udp().reply == config::Reply::others && packet.origin != nullptr &&
      packet.origin->endpoint == this && packet.origin->peer.ss_family != AF_UNSPEC) {
    sender = &packet.origin->peer;
  }
  reply_peers_.for_each_current(
      Clock::now(),
      [&](const sockaddr_storage& address) {
        if (sender != nullptr && ReplyPeers::same_peer(address, *sender)) return;
        send_to(*server_, address, packet);
        taken = true;
      },
      [&](const sockaddr_storage& address) {
        log_peer(PeerEvent::forgotten, "peer " + socket::format_address(address) + " silent for " +
                                           std::to_string(whole_seconds(udp().reply_window)) +
                                           " s, no longer replied to");
      });
  if (!taken && destinations_.empty()) {
    drop(DropReason::no_peer, packet.messages,
         sender != nullptr ? "no reply peer but the sender"
                           : "no reply peer has been heard from yet");
  }
  return taken;
}

}  // namespace oscbridge::daemon

// A UDP endpoint: receives on `listen`, sends routed packets to every `send` destination and,
// with `reply: true`, to every peer heard from within reply_window, from the listen port
// (`reply: others`: except the peer a packet's messages came from). reply_peers.h says which
// sources become peers.
// Without `listen` it sends from an ephemeral socket per address family. Destinations that
// are host names resolve on the Resolver, never on the loop; until one resolves (retried with
// backoff, like a TCP connect) what is routed to it is dropped as `unresolved`.
// Datagrams routed during one loop round leave together, one sendmmsg per socket.
// Loop thread only.
#pragma once

#include <sys/socket.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "daemon/endpoint.h"
#include "daemon/reply_peers.h"
#include "socket/socket.h"

namespace oscbridge::daemon {

class UdpEndpoint final : public Endpoint {
 public:
  UdpEndpoint(const config::Endpoint& settings, EndpointContext& context);
  ~UdpEndpoint() override;

  std::string open() override;
  bool send(const OutgoingPacket& packet) override;
  EndpointState state() const override;
  void update_settings(const config::Endpoint& next) override;

  std::uint16_t listen_port() const;

 private:
  const config::UdpSettings& udp() const { return *settings_.udp(); }

  // One `send:` entry and where it stands.
  struct Destination {
    config::HostPort where;
    sockaddr_storage address{};
    socket::SocketServer* via = nullptr;  // null until resolved
    std::string problem;                  // why it is not resolved, for logs and status
    std::chrono::milliseconds backoff{0};
    socket::Resolver::RequestId request = 0;
    socket::EventLoop::TimerId retry = 0;
    std::uint64_t failures = 0;                    // since it last resolved
    std::chrono::steady_clock::time_point warned;  // the last failure logged as a warning
  };
  static constexpr std::chrono::minutes kRemindEvery{1};
  static Destination make_destination(const config::HostPort& where) {
    Destination destination;
    destination.where = where;
    return destination;
  }

  void on_datagram(socket::SocketClient& peer, std::string_view datagram);
  // True when source is a new reply peer (on_connect greets it).
  bool remember_peer(const sockaddr_storage& source);
  // Reply peers come and go in bursts (a flood of spoofed sources), so their log lines are
  // limited per interval and the rest summarized when it ends.
  enum class PeerEvent { admitted, forgotten, refused };
  void log_peer(PeerEvent event, const std::string& line);
  void summarize_peers();
  void start_destinations();
  void stop_destinations();
  void resolve(std::size_t destination);
  // "" when address can be sent to from here; else why not.
  std::string accept_address(Destination& destination, const sockaddr_storage& address);
  socket::SocketServer* sender_for(int family, std::string& error);
  // Queues a datagram for the batch sent with one sendmmsg when the loop's round ends.
  void send_to(socket::SocketServer& via, const sockaddr_storage& destination,
               const OutgoingPacket& packet);
  void flush_batch();

  std::unique_ptr<socket::SocketServer> server_;  // the listen socket, if any
  // Send-only: one ephemeral socket per family (IPv4, IPv6), made when first needed.
  std::array<std::unique_ptr<socket::SocketServer>, 2> senders_;
  std::vector<Destination> destinations_;
  ReplyPeers reply_peers_;
  struct PeerLog {
    socket::EventLoop::TimerId summary = 0;  // 0: quiet, the next event starts an interval
    std::size_t lines = 0;                   // admitted/forgotten lines logged this interval
    bool refusal_logged = false;
    std::uint64_t admitted = 0;  // not logged one by one, this interval
    std::uint64_t forgotten = 0;
    std::uint64_t refused_full = 0;
    std::uint64_t refused_rate = 0;
    std::string latest_refused;
  };
  PeerLog peer_log_;

  // Datagrams routed during one loop round, sent together (DESIGN.md: sendmmsg under load).
  // Destinations are copied too, since a reply peer may be forgotten before the flush.
  struct Queued {
    socket::SocketServer* via;
    sockaddr_storage destination;
    std::size_t offset;
    std::size_t size;
    std::size_t messages;
  };
  static constexpr std::size_t kBatchBytes = 256 * 1024;
  static constexpr std::size_t kBatchDatagrams = 64;
  std::vector<char> batch_bytes_;
  std::vector<Queued> batch_;
  std::vector<socket::SocketServer::Datagram> batch_view_;
  std::size_t batch_used_ = 0;
  socket::RoundEndTask flush_at_round_end_{context_.loop, [this] { flush_batch(); }};
};

}  // namespace oscbridge::daemon

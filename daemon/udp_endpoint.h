// A UDP endpoint: receives on `listen`, sends routed packets to every `send` destination
// and, with `reply: true`, to every peer heard from within reply_window, from the listen
// port. Without `listen` it sends from an unbound socket per destination. Loop thread only.
#pragma once

#include <sys/socket.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/endpoint.h"
#include "socket/socket.h"

namespace oscbridge::daemon {

class UdpEndpoint final : public Endpoint {
 public:
  UdpEndpoint(const config::Endpoint& settings, EndpointContext& context);
  ~UdpEndpoint() override;

  std::string open() override;
  void send(std::string_view packet) override;

  std::uint16_t listen_port() const;

 private:
  // A peer's address as a hashable key: family, port and address bytes.
  struct PeerKey {
    std::array<std::uint8_t, 20> bytes{};
    bool operator==(const PeerKey&) const = default;
  };
  struct PeerKeyHash {
    std::size_t operator()(const PeerKey& key) const;
  };
  struct Peer {
    sockaddr_storage address;
    std::chrono::steady_clock::time_point last_heard;
  };
  static constexpr std::size_t kMaxReplyPeers = 256;

  void on_datagram(socket::SocketClient& peer, std::string_view datagram);
  bool allowed(const sockaddr_storage& source) const;
  void remember_peer(const sockaddr_storage& source);
  // Queues a datagram for the batch sent with one sendmmsg when the loop's round ends.
  void send_to(const sockaddr_storage& destination, std::string_view packet);
  void flush_batch();

  std::unique_ptr<socket::SocketServer> server_;
  std::vector<sockaddr_storage> destinations_;  // when listening: sent from the listen port
  std::vector<std::unique_ptr<socket::SocketClient>> senders_;  // when not listening
  std::unordered_map<PeerKey, Peer, PeerKeyHash> reply_peers_;

  // Datagrams routed during one loop round, sent together (DESIGN.md: sendmmsg under load).
  // Destinations are copied too, since a reply peer may be forgotten before the flush.
  struct Queued {
    sockaddr_storage destination;
    std::size_t offset;
    std::size_t size;
  };
  static constexpr std::size_t kBatchBytes = 256 * 1024;
  static constexpr std::size_t kBatchDatagrams = 64;
  std::vector<char> batch_bytes_;
  std::vector<Queued> batch_;
  std::vector<socket::SocketServer::Datagram> batch_view_;
  std::size_t batch_used_ = 0;
  bool flush_scheduled_ = false;
  // What a deferred flush holds: cleared when this endpoint goes before the round ends.
  // (A shared_ptr alone fits std::function's inline storage: no allocation per round.)
  struct FlushHandle {
    UdpEndpoint* endpoint;
  };
  std::shared_ptr<FlushHandle> flush_handle_ = std::make_shared<FlushHandle>(FlushHandle{this});
};

}  // namespace oscbridge::daemon

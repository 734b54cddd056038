// Internal to socket/: the kinds of SocketClient behind its pimpl, and address helpers.
// Not installed, not included outside socket/.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "socket/connection.h"
#include "socket/socket.h"

namespace oscbridge::socket {

// A readable message for an errno value ("Connection refused").
std::string system_message(int error_number);

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// The length of the sockaddr a sockaddr_storage holds, by its family.
socklen_t sockaddr_length(const sockaddr_storage& address);

// Text form of an address (IPv4-mapped IPv6 shown as IPv4) and its port.
std::string address_text(const SocketAddress& address);
std::uint16_t address_port(const SocketAddress& address);
SocketAddress local_address_of(int fd);
SocketAddress peer_address_of(int fd);

// Resolves host (literal, "[v6]", or name; "" with passive = any address) within
// timeout_ms (< 0: no limit). Returns the addresses in the resolver's order, or an error.
struct ResolveResult {
  std::vector<SocketAddress> addresses;
  std::string error;
};
ResolveResult resolve(std::string_view host, std::uint16_t port, Protocol protocol, bool passive,
                      int timeout_ms);

// Whether host (possibly "[v6]") is a literal address, which resolves without a lookup.
bool is_literal_address(std::string_view host);
// Resolves on the calling thread, however long getaddrinfo takes: for threads of their own.
ResolveResult resolve_here(std::string_view host, std::uint16_t port, Protocol protocol);
// The addresses a socket of family can use, in order; for AF_INET6 the IPv4 ones follow as
// IPv4-mapped addresses. AF_UNSPEC keeps them all.
std::vector<sockaddr_storage> addresses_for_family(const std::vector<SocketAddress>& addresses,
                                                   int family);

// Every SocketClient is one of: a connected client (create_client), a server's accepted
// TCP connection, or a UDP server's per-datagram peer.
struct SocketClient::Impl {
  virtual ~Impl() = default;
  virtual bool is_open() const = 0;
  virtual void close() = 0;
  virtual SendResult send(std::string_view message) = 0;
  virtual ReceiveResult receive(ReceiveMode mode, int timeout_ms) = 0;
  virtual int native_handle() const = 0;
  virtual SocketClient::WriteResult write_some(std::string_view data) {
    (void)data;
    return {0, "write_some is only available on a connected TCP client"};
  }

  // Kept raw and formatted only when asked, so that a UDP server's per-datagram peer
  // costs a copy, not an allocation.
  SocketAddress local;
  SocketAddress peer;

  void set_addresses(const SocketAddress& local_address, const SocketAddress& peer_address) {
    local = local_address;
    peer = peer_address;
  }
};

std::unique_ptr<SocketClient::Impl> make_connected_client(int fd, Protocol protocol,
                                                          int send_timeout_ms);

// Loops until all of data is written to a non-blocking socket, waiting up to timeout_ms
// for it to become writable whenever the kernel buffer is full. Returns 0 or an errno,
// ETIMEDOUT when no progress was possible in time.
int send_all(int fd, std::string_view data, int timeout_ms);

// The reply-to-sender socket handed to a UDP server's socket_message: sends from the
// server's descriptor (so from its port) to the datagram's source. Reused for every
// datagram, so serving allocates nothing per message.
class DatagramPeer final : public SocketClient::Impl {
 public:
  explicit DatagramPeer(int server_fd) : server_fd_(server_fd) {}
  void reset(const SocketAddress& local, const SocketAddress& peer);
  bool is_open() const override { return open_; }
  void close() override { open_ = false; }
  SendResult send(std::string_view message) override;
  ReceiveResult receive(ReceiveMode mode, int timeout_ms) override;
  int native_handle() const override { return open_ ? server_fd_ : -1; }

 private:
  int server_fd_;
  bool open_ = false;
};

// A server's accepted TCP connection: the SocketClient face of a Connection. The loop owns
// the Connection; send() from another thread is carried over with run_sync, so its result
// still comes back synchronously, as the seed's blocking API promises.
class ServerConnection final : public SocketClient::Impl {
 public:
  struct Hooks {
    // Runs task on the loop thread with this connection, found by id, and waits; false when
    // the connection (or the server) is gone by then.
    std::function<bool(const std::function<void(ServerConnection&)>& task)> on_loop;
    // Asks the loop to release the connection (by id), with socket_closed.
    std::function<void()> request_close;
  };
  ServerConnection(EventLoop& loop, std::unique_ptr<Connection> connection, Hooks hooks);
  ~ServerConnection() override;

  bool is_open() const override;
  void close() override;
  SendResult send(std::string_view message) override;
  ReceiveResult receive(ReceiveMode mode, int timeout_ms) override;
  int native_handle() const override;

  // Loop thread.
  Connection& connection() { return *connection_; }
  // Loop thread: marks the socket closed and closes the descriptor now.
  void release();

 private:
  // Loop thread; nullopt when the socket is already closed.
  std::optional<SendResult> send_on_loop(std::string_view message);

  EventLoop& loop_;
  std::unique_ptr<Connection> connection_;
  std::atomic<bool> open_{true};
  std::atomic<int> fd_;
  Hooks hooks_;
};

// A SocketServer for fd, a socket already bound (and listening, for TCP); it owns fd from here.
// Served on loop, or on a loop of its own when loop is null. Defined in server.cpp, which holds
// SocketServer::Impl; server_open.cpp opens the sockets.
std::unique_ptr<SocketServer> serve_socket(Protocol protocol, int fd, EventLoop* loop);

}  // namespace oscbridge::socket

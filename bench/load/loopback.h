// UDP endpoints for the load tools, restricted to loopback.
//
// The load tools exist to flood a port with datagrams; that traffic must never
// leave the machine. Every endpoint they send to or listen on is therefore
// checked here: 127.0.0.0/8 and ::1 (and IPv4-mapped 127.x) are accepted,
// anything else is refused with std::invalid_argument, whatever name it was
// given by.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace oscbridge::load {

struct LoopbackEndpoint {
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string host;  // numeric, as resolved
  std::uint16_t port = 0;

  std::string text() const;  // "127.0.0.1:9000" or "[::1]:9000"
};

// Parses "HOST:PORT" or "[V6HOST]:PORT". HOST may be a name ("localhost"), but
// the address it resolves to must be loopback. Port 0 is allowed only where the
// caller lets the kernel choose (allow_any_port).
LoopbackEndpoint parse_loopback_endpoint(std::string_view host_port, bool allow_any_port = false);

bool is_loopback(const sockaddr* address);

// A UDP socket of the endpoint's family, closed on destruction.
class UdpSocket {
 public:
  explicit UdpSocket(int family);  // throws std::system_error
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  int fd() const { return fd_; }
  void bind_to(const LoopbackEndpoint& endpoint);     // throws std::system_error
  void connect_to(const LoopbackEndpoint& endpoint);  // throws std::system_error
  std::uint16_t local_port() const;

  // Asks for `bytes` of receive buffer, beyond net.core.rmem_max when running as
  // root (SO_RCVBUFFORCE), so the measuring side is not where datagrams are dropped.
  void grow_receive_buffer(int bytes);

 private:
  int fd_;
};

}  // namespace oscbridge::load

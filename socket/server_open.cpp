// Opening a server's socket: resolve, bind (and listen, join a multicast group, size the
// receive buffer), then hand it to a SocketServer (server.cpp) to serve.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>

#include "socket/internal.h"
#include "socket/resolve.h"

namespace oscbridge::socket {

namespace {

bool is_multicast(const SocketAddress& address) {
  if (address.storage.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&address.storage);
    return IN_MULTICAST(ntohl(v4->sin_addr.s_addr));
  }
  if (address.storage.ss_family == AF_INET6) {
    return IN6_IS_ADDR_MULTICAST(
        &reinterpret_cast<const sockaddr_in6*>(&address.storage)->sin6_addr);
  }
  return false;
}

// Joins the group the socket is bound to; 0 or an errno.
int join_group(int fd, const SocketAddress& group) {
  if (group.storage.ss_family == AF_INET) {
    ip_mreqn request{};
    request.imr_multiaddr = reinterpret_cast<const sockaddr_in*>(&group.storage)->sin_addr;
    request.imr_address.s_addr = htonl(INADDR_ANY);
    return ::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &request, sizeof request) == 0 ? 0
                                                                                          : errno;
  }
  ipv6_mreq request{};
  request.ipv6mr_multiaddr = reinterpret_cast<const sockaddr_in6*>(&group.storage)->sin6_addr;
  return ::setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &request, sizeof request) == 0 ? 0 : errno;
}

// Bursts (a fader sweep, a bundle storm) overflow the kernel's default UDP buffer; ask for
// more, beyond net.core.rmem_max where the process may (root), else up to it.
void enlarge_receive_buffer(int fd) {
  int bytes = 4 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
}

enum class Use { serve, send_only };

ServerResult make_server(std::string_view address, std::uint16_t port, Protocol protocol,
                         EventLoop* loop, Use use = Use::serve) {
  auto resolved = resolve(address, port, protocol, true, 5000);
  if (!resolved.error.empty()) return {nullptr, resolved.error};
  int last_error = EADDRNOTAVAIL;
  for (const auto& candidate : resolved.addresses) {
    int type = protocol == Protocol::tcp ? SOCK_STREAM : SOCK_DGRAM;
    int fd = ::socket(candidate.storage.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    int on = 1;
    int off = 0;
    bool multicast = protocol == Protocol::udp && is_multicast(candidate);
    if (protocol == Protocol::tcp || multicast) {
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    }
    if (protocol == Protocol::udp) {
      ::setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on);
      if (use == Use::send_only) {
        // Asking for nothing gets the kernel's minimum (a few KiB): what peers send to this
        // port fills that and is then dropped by the kernel, with nobody reading.
        int bytes = 0;
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
      } else {
        enlarge_receive_buffer(fd);
      }
    }
    if (candidate.storage.ss_family == AF_INET6 && address.empty()) {
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);  // serve IPv4 too
    }
    bool ok = ::bind(fd, candidate.get(), candidate.length) == 0 &&
              (protocol == Protocol::udp || ::listen(fd, SOMAXCONN) == 0);
    if (ok && multicast) {
      if (int error = join_group(fd, candidate); error != 0) {
        ::close(fd);
        return {nullptr, "cannot join multicast group " + address_text(candidate) + ": " +
                             system_message(error)};
      }
    }
    if (ok) {
      return {serve_socket(protocol, fd, loop), {}};
    }
    last_error = errno;
    ::close(fd);
  }
  return {nullptr, system_message(last_error)};
}

}  // namespace

ServerResult create_server(std::string_view address, std::uint16_t port, Protocol protocol) {
  return make_server(address, port, protocol, nullptr);
}

ServerResult create_server(std::string_view address, std::uint16_t port, Protocol protocol,
                           EventLoop& loop) {
  return make_server(address, port, protocol, &loop);
}

ServerResult create_udp_sender(int family, EventLoop& loop) {
  return make_server(family == AF_INET6 ? "::" : "0.0.0.0", 0, Protocol::udp, &loop,
                     Use::send_only);
}

}  // namespace oscbridge::socket

// Name resolution for callers that send datagrams to addresses they keep (the daemon's
// UDP destinations). Blocking, bounded by timeout_ms; safe from any thread; no state.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "socket/socket.h"

namespace oscbridge::socket {

struct ResolvedAddress {
  sockaddr_storage address{};
  std::string error;  // empty on success
  bool ok() const { return error.empty(); }
};

// Resolves host (literal, "[v6]" or name) and port. family AF_INET or AF_INET6 asks for an
// address a socket of that family can send to: for AF_INET6 an IPv4-only host comes back
// IPv4-mapped (::ffff:a.b.c.d), which a dual-stack socket needs. AF_UNSPEC takes the first.
ResolvedAddress resolve_address(std::string_view host, std::uint16_t port, Protocol protocol,
                                int family = AF_UNSPEC, int timeout_ms = 2000);

// "1.2.3.4:9000" or "[::1]:9000"; IPv4-mapped addresses shown as IPv4.
std::string format_address(const sockaddr_storage& address);

// The family of the socket a server is bound to (AF_INET or AF_INET6).
int address_family(const SocketServer& server);

}  // namespace oscbridge::socket

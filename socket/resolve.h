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

// Resolves host (literal, "[v6]", "fe80::1%eth0" or name) and port; a scoped address comes back
// with sin6_scope_id set, and an unknown interface is an error naming it. family AF_INET or
// AF_INET6 asks for an address a socket of that family can send to: for AF_INET6 an IPv4-only host
// comes back IPv4-mapped (::ffff:a.b.c.d), which a dual-stack socket needs. AF_UNSPEC takes the
// first.
ResolvedAddress resolve_address(std::string_view host, std::uint16_t port, Protocol protocol,
                                int family = AF_UNSPEC, int timeout_ms = 2000);

// Whether host is a literal address that resolves without a lookup: IPv4, IPv6 (bare or in
// brackets) or a scoped IPv6 address such as "fe80::1%eth0".
bool is_literal_address(std::string_view host);

// "1.2.3.4:9000", "[::1]:9000" or "[fe80::1%eth0]:9000" (a scope shown by interface name);
// IPv4-mapped addresses shown as IPv4.
std::string format_address(const sockaddr_storage& address);

// The family of the socket a server is bound to (AF_INET or AF_INET6).
int address_family(const SocketServer& server);

}  // namespace oscbridge::socket

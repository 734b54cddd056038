// Parsers for the address forms of oscbridge.yaml, shared by the loader and the command line.
// Pure functions: no DNS, no sockets, no state; safe from any thread. Results own their data.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace oscbridge::config {

struct HostPortResult {
  std::optional<HostPort> address;
  std::string error;  // empty on success
};

// "1.2.3.4:80", "[::1]:80", "[fe80::1%eth0]:80" or "host.name:80"; port 1..65535. A host that
// is all digits and dots must be a valid IPv4 address, so a typo such as 192.168.1.300 is caught
// here rather than turning into a DNS lookup at start-up. A scope (%eth0, or an interface index)
// is accepted on link-local IPv6 addresses only (fe80::/10); whether the interface exists is
// not checked here but when the daemon opens the socket (validate may run on another machine).
HostPortResult parse_host_port(std::string_view text);

struct CidrResult {
  std::optional<Cidr> cidr;
  std::string error;  // empty on success
};

// "192.168.1.0/24", "fd00::/8", or a bare address meaning a single host (/32 or /128).
// Host bits after the prefix must be zero, since "192.168.1.5/24" is usually a mistake.
CidrResult parse_cidr(std::string_view text);

// True when both name the same socket or bind() would refuse the second: same port and the
// same host, or either host is a wildcard (0.0.0.0 or ::). IPv6 literals compare by value and
// scope as written (fe80::1%eth0 and fe80::1%eth1 do not overlap).
bool listen_addresses_overlap(const HostPort& a, const HostPort& b);

// The family of the socket a literal host needs: ipv4 for a.b.c.d, ipv6 for an IPv6 literal
// (::ffff:a.b.c.d and scoped ones included). nullopt for a host name, whose family is known
// only once it is resolved where the daemon runs.
std::optional<AddressFamily> literal_family(std::string_view host);

// An IPv4 literal, or an IPv6 literal that carries one (::ffff:a.b.c.d): what an IPv6 socket
// reaches only when it is bound to the IPv6 any-address (dual stack).
bool carries_ipv4(std::string_view host);

// 0.0.0.0, or the IPv6 any-address (::).
bool is_any_address(std::string_view host);

// True when, on the machine the daemon runs on, datagrams or connections sent to `target`
// can arrive at a socket bound to `listen` (same protocol assumed). Same port, and: the same
// literal address (a bound address is local, scopes compared as written), the same host name
// (case-insensitive), `localhost` and a loopback literal (127.0.0.0/8, ::1), or a wildcard
// listen (0.0.0.0 for IPv4 targets, :: for both) and a local target: a loopback literal,
// `localhost` or an any-address (which Linux delivers locally). Other names and the machine's
// own non-loopback addresses are not recognised without the machine's interfaces and DNS.
bool may_reach(const HostPort& listen, const HostPort& target);

}  // namespace oscbridge::config

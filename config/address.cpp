#include "config/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <utility>

#include "config/diagnostics.h"

namespace oscbridge::config {
namespace {

constexpr std::string_view kHostPortExample = "host:port such as 127.0.0.1:9000";

std::optional<std::array<std::uint8_t, 4>> parse_ipv4(std::string_view text) {
  std::array<std::uint8_t, 4> bytes{};
  const std::string copy(text);  // inet_pton needs a terminated string
  if (inet_pton(AF_INET, copy.c_str(), bytes.data()) != 1) return std::nullopt;
  return bytes;
}

std::optional<std::array<std::uint8_t, 16>> parse_ipv6(std::string_view text) {
  std::array<std::uint8_t, 16> bytes{};
  const std::string copy(text);
  if (inet_pton(AF_INET6, copy.c_str(), bytes.data()) != 1) return std::nullopt;
  return bytes;
}

bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t label_start = 0;
  while (label_start <= host.size()) {
    std::size_t label_end = host.find('.', label_start);
    if (label_end == std::string_view::npos) label_end = host.size();
    const std::string_view label = host.substr(label_start, label_end - label_start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    label_start = label_end + 1;
  }
  return true;
}

// "fe80::1%eth0" -> "fe80::1" and "eth0"; scope is empty when there is no '%'.
std::pair<std::string_view, std::string_view> split_scope(std::string_view host) {
  const std::size_t percent = host.find('%');
  if (percent == std::string_view::npos) return {host, {}};
  return {host.substr(0, percent), host.substr(percent + 1)};
}

// Linux interface names are 1..15 bytes without '/', ':' or white space; an interface index is
// a number. Checked here only for shape: which interfaces exist is known where the daemon runs.
bool is_scope_id(std::string_view scope) {
  return !scope.empty() && scope.size() < 16 && scope != "." && scope != ".." &&
         std::all_of(scope.begin(), scope.end(), [](char c) {
           return std::isgraph(static_cast<unsigned char>(c)) && c != '/' && c != ':' && c != '%' &&
                  c != '[' && c != ']';
         });
}

// The text inside [...]: an IPv6 address, with a scope (%eth0) when it is link-local, which is
// the only kind of address whose meaning depends on the interface. Returns an error or "".
std::string check_bracketed_host(std::string_view host) {
  const auto [address, scope] = split_scope(host);
  const auto bytes = parse_ipv6(address);
  if (!bytes) return "'" + std::string(address) + "' is not an IPv6 address";
  if (address.size() == host.size()) return {};
  const bool link_local = (*bytes)[0] == 0xfe && ((*bytes)[1] & 0xc0) == 0x80;  // fe80::/10
  if (!link_local) {
    return "'" + std::string(host) + "': only link-local addresses (fe80::/10) take a scope " +
           "such as %eth0";
  }
  if (!is_scope_id(scope)) {
    return "'" + std::string(host) + "': expected a network interface name or index after " +
           "'%', such as [fe80::1%eth0]:9000";
  }
  return {};
}

bool looks_numeric(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
}

// Returns an error text, or empty when the port is valid.
std::string parse_port(std::string_view text, std::uint16_t& port) {
  if (text.empty()) return "missing port after ':'";
  if (!std::all_of(text.begin(), text.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return "port '" + std::string(text) + "' is not a number";
  }
  unsigned long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535) {
    return "port " + std::string(text) + " is out of range 1..65535";
  }
  port = static_cast<std::uint16_t>(value);
  return {};
}

// IPv4 addresses (and IPv4 CIDRs) live in the IPv4-mapped IPv6 space so that one comparison
// serves both families: a.b.c.d/n is ::ffff:a.b.c.d/(96+n).
std::array<std::uint8_t, 16> mapped(std::span<const std::uint8_t> ipv4) {
  std::array<std::uint8_t, 16> out{};
  out[10] = 0xff;
  out[11] = 0xff;
  std::copy(ipv4.begin(), ipv4.end(), out.begin() + 12);
  return out;
}

bool prefix_equal(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                  unsigned bits) {
  const unsigned whole = bits / 8;
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  const unsigned rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// The address of a literal host, its scope dropped (listen_addresses_overlap compares it).
std::optional<std::array<std::uint8_t, 16>> literal_bytes(std::string_view host) {
  if (auto v4 = parse_ipv4(host)) return mapped(*v4);
  return parse_ipv6(split_scope(host).first);
}

bool is_wildcard(std::string_view host) {
  const auto bytes = literal_bytes(host);
  if (!bytes) return false;
  const std::array<std::uint8_t, 16> any{};
  return *bytes == any || *bytes == mapped(std::array<std::uint8_t, 4>{});
}

}  // namespace

HostPortResult parse_host_port(std::string_view text) {
  // The text is quoted back in errors: printable() keeps control bytes off the terminal of a
  // command-line user too.
  const auto fail = [](std::string reason) {
    return HostPortResult{std::nullopt, detail::printable(reason)};
  };
  if (text.empty()) return fail("empty address; expected " + std::string(kHostPortExample));
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return std::isspace(static_cast<unsigned char>(c)); })) {
    return fail("address '" + std::string(text) + "' contains a space");
  }
  HostPort result;
  std::string_view port_text;
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return fail("missing ']' after the IPv6 address");
    const std::string_view host = text.substr(1, close - 1);
    if (std::string error = check_bracketed_host(host); !error.empty()) return fail(error);
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      return fail("missing port: expected [IPv6]:port such as [::1]:9000");
    }
    result.host = std::string(host);
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return fail("missing port in '" + std::string(text) + "': expected " +
                  std::string(kHostPortExample));
    }
    const std::string_view host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return fail("IPv6 addresses need brackets: [" + std::string(host) +
                  "]:" + std::string(text.substr(colon + 1)));
    }
    if (host.empty()) {
      return fail("missing host before ':' (0.0.0.0 listens on every IPv4 address)");
    }
    if (looks_numeric(host)) {
      if (!parse_ipv4(host)) return fail("'" + std::string(host) + "' is not an IPv4 address");
    } else if (!is_host_name(host)) {
      return fail("'" + std::string(host) + "' is not a valid host name or address");
    }
    result.host = std::string(host);
    port_text = text.substr(colon + 1);
  }
  if (std::string error = parse_port(port_text, result.port); !error.empty()) return fail(error);
  return {std::move(result), {}};
}

CidrResult parse_cidr(std::string_view text) {
  const auto fail = [](std::string reason) { return CidrResult{std::nullopt, reason}; };
  const std::size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  Cidr cidr;
  unsigned max_prefix = 0;
  if (auto v4 = parse_ipv4(address_text)) {
    cidr.family = AddressFamily::ipv4;
    std::copy(v4->begin(), v4->end(), cidr.address.begin());
    max_prefix = 32;
  } else if (auto v6 = parse_ipv6(address_text)) {
    cidr.family = AddressFamily::ipv6;
    cidr.address = *v6;
    max_prefix = 128;
  } else {
    // Built step by step: g++ 12 at -O3 warns (-Wrestrict) about "'" + std::string(...).
    std::string message = "'";
    message += text;
    message += "' is not an address or network such as 192.168.1.0/24 or fd00::/8";
    return fail(message);
  }
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view prefix_text = text.substr(slash + 1);
    const auto [end, ec] =
        std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
    if (prefix_text.empty() || ec != std::errc() ||
        end != prefix_text.data() + prefix_text.size() || prefix > max_prefix) {
      std::string message = "prefix length '";
      message += prefix_text;
      message += "' in '";
      message += text;
      message += "' must be 0.." + std::to_string(max_prefix);
      return fail(message);
    }
  }
  cidr.prefix_length = static_cast<std::uint8_t>(prefix);
  Cidr network = cidr;
  for (unsigned bit = prefix; bit < max_prefix; ++bit) {
    network.address[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
  if (network.address != cidr.address) {
    std::string message = "'";
    message += text;
    message += "' has bits set after the prefix; did you mean " + to_string(network) + "?";
    return fail(message);
  }
  return {cidr, {}};
}

bool listen_addresses_overlap(const HostPort& a, const HostPort& b) {
  if (a.port != b.port) return false;
  if (is_wildcard(a.host) || is_wildcard(b.host)) return true;
  const auto a_bytes = literal_bytes(a.host);
  const auto b_bytes = literal_bytes(b.host);
  // fe80::1%eth0 and fe80::1%eth1 are different sockets; a scope written as a name and the
  // same interface's index are not told apart (that needs the machine's interfaces).
  if (a_bytes && b_bytes) {
    return *a_bytes == *b_bytes && split_scope(a.host).second == split_scope(b.host).second;
  }
  if (a_bytes || b_bytes) return false;  // a name and a literal: unknowable without DNS
  return std::equal(a.host.begin(), a.host.end(), b.host.begin(), b.host.end(),
                    [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

std::optional<AddressFamily> literal_family(std::string_view host) {
  if (parse_ipv4(host)) return AddressFamily::ipv4;
  if (parse_ipv6(split_scope(host).first)) return AddressFamily::ipv6;
  return std::nullopt;
}

bool carries_ipv4(std::string_view host) {
  const auto bytes = literal_bytes(host);
  return bytes && prefix_equal(*bytes, mapped(std::array<std::uint8_t, 4>{}), 96);
}

bool is_any_address(std::string_view host) {
  if (const auto v4 = parse_ipv4(host)) return *v4 == std::array<std::uint8_t, 4>{};
  const auto v6 = parse_ipv6(host);
  return v6 && *v6 == std::array<std::uint8_t, 16>{};
}

bool may_reach(const HostPort& listen, const HostPort& target) {
  if (listen.port != target.port) return false;
  const auto same_name = [](std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return std::tolower(x) == std::tolower(y); });
  };
  const auto is_localhost = [&](std::string_view host) {
    return same_name(host, "localhost") || same_name(host, "localhost.");
  };
  const auto listen_bytes = literal_bytes(listen.host);
  const auto target_bytes = literal_bytes(target.host);
  if (!listen_bytes && !target_bytes) return same_name(listen.host, target.host);
  const auto loopback = [](const std::array<std::uint8_t, 16>& bytes) {
    std::array<std::uint8_t, 16> v6_loopback{};
    v6_loopback[15] = 1;
    return bytes == v6_loopback ||
           prefix_equal(bytes, mapped(std::array<std::uint8_t, 4>{127, 0, 0, 0}), 96 + 8);
  };
  if (!listen_bytes || !target_bytes) {  // a name and a literal
    const std::string_view name = listen_bytes ? target.host : listen.host;
    const auto& bytes = listen_bytes ? *listen_bytes : *target_bytes;
    if (!is_localhost(name)) return false;
    return loopback(bytes) || (listen_bytes && is_wildcard(listen.host));
  }
  if (*listen_bytes == *target_bytes) {
    return split_scope(listen.host).second == split_scope(target.host).second;
  }
  if (!is_wildcard(listen.host)) return false;
  if (literal_family(listen.host) == AddressFamily::ipv4 && !carries_ipv4(target.host)) {
    return false;  // 0.0.0.0 takes no IPv6
  }
  return loopback(*target_bytes) || is_wildcard(target.host);
}

bool Cidr::contains(std::span<const std::uint8_t> peer_address) const {
  std::array<std::uint8_t, 16> peer{};
  if (peer_address.size() == 4) {
    peer = mapped(peer_address);
  } else if (peer_address.size() == 16) {
    std::copy(peer_address.begin(), peer_address.end(), peer.begin());
  } else {
    return false;
  }
  if (family == AddressFamily::ipv4) {
    return prefix_equal(peer, mapped(std::span(address).first(4)), 96u + prefix_length);
  }
  return prefix_equal(peer, address, prefix_length);
}

bool Cidr::contains(const sockaddr_storage& peer) const {
  if (peer.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(peer);
    return contains(std::span(reinterpret_cast<const std::uint8_t*>(&v4.sin_addr), 4));
  }
  if (peer.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(peer);
    return contains(std::span(reinterpret_cast<const std::uint8_t*>(&v6.sin6_addr), 16));
  }
  return false;
}

std::string to_string(const HostPort& address) {
  const bool ipv6 = address.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

std::string to_string(const Cidr& cidr) {
  char text[INET6_ADDRSTRLEN] = {};
  const int family = cidr.family == AddressFamily::ipv4 ? AF_INET : AF_INET6;
  inet_ntop(family, cidr.address.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(cidr.prefix_length);
}

}  // namespace oscbridge::config

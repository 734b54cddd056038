#include "bench/load/loopback.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace oscbridge::load {
namespace {

std::system_error system_failure(const std::string& what) {
  return std::system_error(errno, std::generic_category(), what);
}

}  // namespace

std::string LoopbackEndpoint::text() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool is_loopback(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
  }
  if (address->sa_family == AF_INET6) {
    const in6_addr& v6 = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

LoopbackEndpoint parse_loopback_endpoint(std::string_view host_port, bool allow_any_port) {
  std::string_view host;
  std::string_view port_text;
  if (host_port.starts_with('[')) {
    auto close = host_port.find("]:");
    if (close == std::string_view::npos) {
      throw std::invalid_argument("'" + std::string(host_port) + "': expected [V6HOST]:PORT");
    }
    host = host_port.substr(1, close - 1);
    port_text = host_port.substr(close + 2);
  } else {
    auto colon = host_port.rfind(':');
    if (colon == std::string_view::npos || host_port.find(':') != colon) {
      throw std::invalid_argument("'" + std::string(host_port) + "': expected HOST:PORT");
    }
    host = host_port.substr(0, colon);
    port_text = host_port.substr(colon + 1);
  }

  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
      (port == 0 && !allow_any_port)) {
    throw std::invalid_argument("'" + std::string(host_port) + "': bad port");
  }

  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  std::string host_text(host);
  int status = getaddrinfo(host_text.c_str(), nullptr, &hints, &found);
  if (status != 0) {
    throw std::invalid_argument("'" + host_text + "': " + gai_strerror(status));
  }
  LoopbackEndpoint endpoint;
  bool refused = false;
  for (addrinfo* it = found; it != nullptr; it = it->ai_next) {
    if (!is_loopback(it->ai_addr)) {
      refused = true;
      continue;
    }
    std::memcpy(&endpoint.address, it->ai_addr, it->ai_addrlen);
    endpoint.length = it->ai_addrlen;
    break;
  }
  freeaddrinfo(found);
  if (endpoint.length == 0) {
    throw std::invalid_argument("'" + host_text + "'" +
                                (refused ? " is not a loopback address (127.0.0.0/8, ::1): "
                                           "the load tools only send over loopback"
                                         : " has no address"));
  }

  char numeric[INET6_ADDRSTRLEN] = {};
  getnameinfo(reinterpret_cast<sockaddr*>(&endpoint.address), endpoint.length, numeric,
              sizeof numeric, nullptr, 0, NI_NUMERICHOST);
  endpoint.host = numeric;
  endpoint.port = static_cast<std::uint16_t>(port);
  if (endpoint.address.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&endpoint.address)->sin_port = htons(endpoint.port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&endpoint.address)->sin6_port = htons(endpoint.port);
  }
  return endpoint;
}

UdpSocket::UdpSocket(int family) : fd_(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
  if (fd_ < 0) throw system_failure("socket");
}

UdpSocket::~UdpSocket() {
  ::close(fd_);
}

void UdpSocket::bind_to(const LoopbackEndpoint& endpoint) {
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&endpoint.address), endpoint.length) != 0) {
    throw system_failure("bind " + endpoint.text());
  }
}

void UdpSocket::connect_to(const LoopbackEndpoint& endpoint) {
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&endpoint.address), endpoint.length) != 0) {
    throw system_failure("connect " + endpoint.text());
  }
}

std::uint16_t UdpSocket::local_port() const {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    throw system_failure("getsockname");
  }
  if (local.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
}

void UdpSocket::grow_receive_buffer(int bytes) {
  if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
}

}  // namespace oscbridge::load

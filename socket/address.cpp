// Address formatting and name resolution with a deadline.
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>

#include <cctype>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "socket/internal.h"
#include "socket/resolve.h"

namespace oscbridge::socket {

std::string system_message(int error_number) {
  char buffer[256];
  // GNU strerror_r returns the message, which may or may not live in buffer.
  return ::strerror_r(error_number, buffer, sizeof buffer);
}

socklen_t sockaddr_length(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) return sizeof(sockaddr_in);
  if (address.ss_family == AF_INET6) return sizeof(sockaddr_in6);
  return sizeof address;
}

std::string address_text(const SocketAddress& address) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.storage.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&address.storage);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
  } else if (address.storage.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address.storage);
    // A dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d; users know them as a.b.c.d.
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
      ::inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], text, sizeof text);
    } else {
      ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    }
  }
  return text;
}

std::uint16_t address_port(const SocketAddress& address) {
  if (address.storage.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&address.storage)->sin_port);
  }
  if (address.storage.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address.storage)->sin6_port);
  }
  return 0;
}

SocketAddress local_address_of(int fd) {
  SocketAddress address;
  address.length = sizeof address.storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address.storage), &address.length) != 0) {
    address.length = 0;
  }
  return address;
}

SocketAddress peer_address_of(int fd) {
  SocketAddress address;
  address.length = sizeof address.storage;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address.storage), &address.length) != 0) {
    address.length = 0;
  }
  return address;
}

namespace {

// getaddrinfo cannot be cancelled, so a lookup that outlives its caller's deadline
// finishes on its own thread and drops its result; the state is shared for that reason.
struct Lookup {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  ResolveResult result;
};

// "eth0" of "fe80::1%eth0"; empty without a scope.
std::string scope_of(const std::string& host) {
  const std::size_t percent = host.find('%');
  return percent == std::string::npos ? std::string() : host.substr(percent + 1);
}

ResolveResult lookup(const std::string& host, const std::string& service, const addrinfo& hints) {
  ResolveResult result;
  addrinfo* list = nullptr;
  int status = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &list);
  if (status != 0) {
    result.error = "cannot resolve '" + host + "': ";
    const std::string scope = scope_of(host);
    if (!scope.empty() && !std::isdigit(static_cast<unsigned char>(scope.front())) &&
        ::if_nametoindex(scope.c_str()) == 0) {
      result.error += "no network interface named '" + scope + "' on this machine";
    } else {
      result.error += status == EAI_SYSTEM ? system_message(errno) : ::gai_strerror(status);
    }
    return result;
  }
  for (addrinfo* entry = list; entry != nullptr; entry = entry->ai_next) {
    SocketAddress address;
    std::memcpy(&address.storage, entry->ai_addr, entry->ai_addrlen);
    address.length = entry->ai_addrlen;
    result.addresses.push_back(address);
  }
  ::freeaddrinfo(list);
  return result;
}

std::string unbracketed(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::string(host);
}

addrinfo hints_for(Protocol protocol, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = protocol == Protocol::tcp ? SOCK_STREAM : SOCK_DGRAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  return hints;
}

}  // namespace

bool is_literal_address(std::string_view host_text) {
  std::string host = unbracketed(host_text);
  in6_addr scratch;
  if (::inet_pton(AF_INET, host.c_str(), &scratch) == 1) return true;
  // A scoped IPv6 address ("fe80::1%eth0") is literal too: getaddrinfo with AI_NUMERICHOST
  // reads the scope into sin6_scope_id (inet_pton refuses it), or fails when there is no such
  // interface, which is an answer as final as a malformed literal.
  const std::size_t percent = host.find('%');
  if (percent != std::string::npos && percent + 1 < host.size()) host.resize(percent);
  return ::inet_pton(AF_INET6, host.c_str(), &scratch) == 1;
}

ResolveResult resolve_here(std::string_view host_text, std::uint16_t port, Protocol protocol) {
  std::string host = unbracketed(host_text);
  if (host.empty()) return {{}, "no address given"};
  auto hints = hints_for(protocol, false);
  if (is_literal_address(host)) hints.ai_flags |= AI_NUMERICHOST;
  return lookup(host, std::to_string(port), hints);
}

std::vector<sockaddr_storage> addresses_for_family(const std::vector<SocketAddress>& addresses,
                                                   int family) {
  std::vector<sockaddr_storage> out;
  for (const auto& candidate : addresses) {
    if (family == AF_UNSPEC || candidate.storage.ss_family == family) {
      out.push_back(candidate.storage);
    }
  }
  if (family != AF_INET6) return out;
  // A dual-stack IPv6 socket reaches IPv4 hosts through IPv4-mapped addresses.
  for (const auto& candidate : addresses) {
    if (candidate.storage.ss_family != AF_INET) continue;
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&candidate.storage);
    sockaddr_storage mapped{};
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&mapped);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = v4->sin_port;
    v6->sin6_addr.s6_addr[10] = 0xff;
    v6->sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&v6->sin6_addr.s6_addr[12], &v4->sin_addr, 4);
    out.push_back(mapped);
  }
  return out;
}

ResolveResult resolve(std::string_view host_text, std::uint16_t port, Protocol protocol,
                      bool passive, int timeout_ms) {
  std::string host = unbracketed(host_text);
  addrinfo hints = hints_for(protocol, passive);
  std::string service = std::to_string(port);

  if (host.empty() && passive) {
    // "Any address": prefer one dual-stack IPv6 socket, fall back to IPv4 where IPv6 is off.
    ResolveResult result;
    for (const char* any : {"::", "0.0.0.0"}) {
      hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
      auto one = lookup(any, service, hints);
      result.addresses.insert(result.addresses.end(), one.addresses.begin(), one.addresses.end());
    }
    return result;
  }

  if (is_literal_address(host)) {
    hints.ai_flags |= AI_NUMERICHOST;
    return lookup(host, service, hints);
  }
  if (host.empty()) return {{}, "no address given"};

  auto shared = std::make_shared<Lookup>();
  std::thread([shared, host, service, hints] {
    auto result = lookup(host, service, hints);
    std::lock_guard lock(shared->mutex);
    shared->result = std::move(result);
    shared->done = true;
    shared->done_cv.notify_all();
  }).detach();
  std::unique_lock lock(shared->mutex);
  auto finished = [&] { return shared->done; };
  if (timeout_ms < 0) {
    shared->done_cv.wait(lock, finished);
  } else if (!shared->done_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), finished)) {
    return {{}, "timeout"};
  }
  return shared->result;
}

}  // namespace oscbridge::socket

namespace oscbridge::socket {

// Public resolution helpers (socket/resolve.h).

ResolvedAddress resolve_address(std::string_view host, std::uint16_t port, Protocol protocol,
                                int family, int timeout_ms) {
  ResolvedAddress out;
  auto resolved = resolve(host, port, protocol, false, timeout_ms);
  if (!resolved.error.empty()) {
    out.error = resolved.error;
    return out;
  }
  auto usable = addresses_for_family(resolved.addresses, family);
  if (!usable.empty()) {
    out.address = usable.front();
    return out;
  }
  out.error = "no " + std::string(family == AF_INET ? "IPv4" : "IPv6") + " address for '" +
              std::string(host) + "'";
  return out;
}

std::string format_address(const sockaddr_storage& address) {
  SocketAddress wrapped;
  wrapped.storage = address;
  wrapped.length = sockaddr_length(address);
  std::string host = address_text(wrapped);
  std::string port = std::to_string(address_port(wrapped));
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
  if (address.ss_family == AF_INET6 && v6->sin6_scope_id != 0) {
    char name[IF_NAMESIZE] = "";
    host += "%";
    host += ::if_indextoname(v6->sin6_scope_id, name) != nullptr
                ? std::string(name)
                : std::to_string(v6->sin6_scope_id);
  }
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
  return host + ":" + port;
}

}  // namespace oscbridge::socket

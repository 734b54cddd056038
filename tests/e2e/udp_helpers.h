// Helpers for the UDP end-to-end tests: a raw loopback UDP socket (to send bytes liblo would
// refuse to send and to see exactly what the daemon sent, source port included), OSC packets
// built with our encoder, a liblo server that also records each sender's port, and reading
// the counters the daemon logs. Everything is owned by the test that makes it.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <lo/lo.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "osc/encoder.h"
#include "tests/e2e/harness.h"

namespace oscbridge::e2e {

// One datagram as a raw socket received it.
struct Datagram {
  std::string bytes;
  std::string source_address;  // numeric, without brackets
  std::uint16_t source_port = 0;
};

// A UDP socket bound to 127.0.0.1 or ::1 (port 0: any free port). An IPv4 socket may be
// bound to another loopback address (127.0.0.2) to send from a second source address; it
// still sends to 127.0.0.1.
class RawUdp {
 public:
  explicit RawUdp(int family = AF_INET, std::uint16_t port = 0,
                  const char* ipv4_source = "127.0.0.1")
      : family_(family) {
    fd_ = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    sockaddr_storage address = loopback(port);
    if (family == AF_INET) {
      ::inet_pton(AF_INET, ipv4_source, &reinterpret_cast<sockaddr_in*>(&address)->sin_addr);
    }
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                                    : reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  ~RawUdp() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawUdp(const RawUdp&) = delete;
  RawUdp& operator=(const RawUdp&) = delete;

  bool ok() const { return fd_ >= 0; }
  std::uint16_t port() const { return port_; }

  // Sends bytes to the loopback address of this socket's family, on port.
  bool send_to(std::uint16_t port, std::string_view bytes) const {
    sockaddr_storage address = loopback(port);
    socklen_t length = family_ == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&address),
                    length) == static_cast<ssize_t>(bytes.size());
  }

  // The next datagram, or nullopt when none came within timeout_ms (0: only what is queued).
  std::optional<Datagram> receive(int timeout_ms = 3000) const {
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, timeout_ms) <= 0) return std::nullopt;
    std::vector<char> buffer(65536);
    sockaddr_storage source{};
    socklen_t length = sizeof source;
    ssize_t count = ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT,
                               reinterpret_cast<sockaddr*>(&source), &length);
    if (count < 0) return std::nullopt;
    Datagram datagram;
    datagram.bytes.assign(buffer.data(), static_cast<std::size_t>(count));
    char text[INET6_ADDRSTRLEN] = {};
    if (source.ss_family == AF_INET) {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&source);
      ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
      datagram.source_port = ntohs(v4->sin_port);
    } else {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&source);
      ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
      datagram.source_port = ntohs(v6->sin6_port);
    }
    datagram.source_address = text;
    return datagram;
  }

 private:
  sockaddr_storage loopback(std::uint16_t port) const {
    sockaddr_storage address{};
    if (family_ == AF_INET) {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
      v4->sin_family = AF_INET;
      v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      v4->sin_port = htons(port);
    } else {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
      v6->sin6_family = AF_INET6;
      v6->sin6_addr = in6addr_loopback;
      v6->sin6_port = htons(port);
    }
    return address;
  }

  int family_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A port for the daemon to bind on ::1 (see free_port).
inline std::uint16_t free_port6() {
  return free_port(SOCK_DGRAM, AF_INET6);
}

// An OSC message encoded by our codec; add puts the arguments in.
inline std::string osc_message(std::string_view address,
                               const std::function<void(osc::MessageBuilder&)>& add = {}) {
  std::vector<char> buffer(4096);
  osc::MessageBuilder builder(std::span<char>(buffer.data(), buffer.size()), address);
  if (add) add(builder);
  auto size = builder.finish();
  if (!size) ADD_FAILURE() << "cannot encode " << address << ": " << size.error().reason;
  return std::string(buffer.data(), size ? *size : 0);
}

// What a datagram holds, in short: a message's address, "#bundle" or "malformed: <reason>".
inline std::string address_of(const std::optional<Datagram>& datagram) {
  if (!datagram) return "(nothing)";
  auto packet = osc::parse_packet(datagram->bytes);
  if (!packet) return "malformed: " + std::string(packet.error().reason);
  return packet->is_bundle() ? "#bundle" : std::string(packet->message().address());
}

// A message a SourcePeer received, with the port it came from.
struct FromPeer {
  std::string address;
  std::string source_port;
};

// A liblo server that records each message's address and the port its sender used, and
// sends from its own port (lo_send_from), as an X32-style client does.
class SourcePeer {
 public:
  SourcePeer() {
    server_ = lo_server_new_with_proto(nullptr, LO_UDP, nullptr);
    if (server_ != nullptr)
      lo_server_add_method(server_, nullptr, nullptr, &SourcePeer::record, this);
  }
  ~SourcePeer() {
    if (server_ != nullptr) lo_server_free(server_);
  }
  SourcePeer(const SourcePeer&) = delete;
  SourcePeer& operator=(const SourcePeer&) = delete;

  bool ok() const { return server_ != nullptr; }
  std::uint16_t port() const { return static_cast<std::uint16_t>(lo_server_get_port(server_)); }
  lo_server server() const { return server_; }

  // Serves until count messages arrived in total or timeout_ms passed.
  const std::vector<FromPeer>& wait_for(std::size_t count, int timeout_ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (received_.size() < count && std::chrono::steady_clock::now() < deadline) {
      lo_server_recv_noblock(server_, 20);
    }
    return received_;
  }
  // Serves until a message with this address arrived or timeout_ms passed.
  bool wait_for_address(const std::string& address, int timeout_ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    auto has = [&] {
      return std::any_of(received_.begin(), received_.end(),
                         [&](const FromPeer& message) { return message.address == address; });
    };
    while (!has() && std::chrono::steady_clock::now() < deadline) {
      lo_server_recv_noblock(server_, 20);
    }
    return has();
  }
  // Takes in what is queued now, without waiting.
  const std::vector<FromPeer>& drain() {
    while (lo_server_recv_noblock(server_, 0) > 0) {
    }
    return received_;
  }
  const std::vector<FromPeer>& received() const { return received_; }

 private:
  static int record(const char* path, const char*, lo_arg**, int, lo_message message, void* self) {
    lo_address source = lo_message_get_source(message);
    const char* port = source != nullptr ? lo_address_get_port(source) : nullptr;
    static_cast<SourcePeer*>(self)->received_.push_back({path, port != nullptr ? port : "?"});
    return 0;
  }

  lo_server server_ = nullptr;
  std::vector<FromPeer> received_;
};

// The latest counters line the daemon logged for an endpoint or a route, without its
// prefix: "received 3, sent 2, dropped 1 (acl 1)" or "matched 2, sent 1, dropped 1". The
// daemon logs them all at shutdown and on SIGUSR1; "" when there is none.
inline std::string counters(const std::string& log, const std::string& kind,
                            const std::string& name) {
  std::regex line("(^|\\n)[^\\n]*" + kind + " " + name + ": ((received|matched) [^\\n]*)");
  std::string latest;
  for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it) {
    latest = (*it)[2].str();
  }
  return latest;
}

// Asks the running daemon for its counters (SIGUSR1) and waits until it logged them all,
// which ends with the line of last_route (the last route in the file).
inline bool log_counters_now(Daemon& daemon, const std::string& last_route) {
  daemon.signal(SIGUSR1);
  return daemon.wait_log("route " + last_route + ": matched [^\\n]*\\n").has_value();
}

// The YAML text of a loopback address.
inline std::string at(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

}  // namespace oscbridge::e2e

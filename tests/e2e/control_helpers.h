// What the control socket tests share: the oscbridge command run as a client (status, reload,
// tap), and a raw control client speaking JSON lines over the Unix socket, as a script would.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/e2e/harness.h"

namespace oscbridge::e2e {

struct CliResult {
  std::optional<int> code;
  std::string output;  // stdout and stderr
};

// The daemon's ports in the YAML the tests write.
inline std::string port_text(std::uint16_t port) {
  return std::to_string(port);
}

// One datagram to 127.0.0.1:port, as is (not necessarily OSC).
inline bool send_udp(std::uint16_t port, std::string_view packet) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof to) == static_cast<ssize_t>(packet.size());
  ::close(fd);
  return ok;
}

// Whether routing still flows: 20 small /probe messages to in_port each reach out, each sent
// again should the kernel have dropped it from a receive buffer a flood filled.
inline bool probes_keep_flowing(LoPeer& out, std::uint16_t in_port) {
  for (std::size_t probes = out.received().size() + 1, last = probes + 19; probes <= last;
       ++probes) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (out.received().size() < probes && std::chrono::steady_clock::now() < deadline) {
      if (!send_udp(in_port, std::string("/probe\0\0,i\0\0\0\0\0", 16))) return false;
      out.wait_for(probes, 500);
    }
    if (out.received().size() < probes) return false;
  }
  return true;
}

// `oscbridge ARGS...` to its end.
inline CliResult run_cli(const std::vector<std::string>& args,
                         const std::vector<std::string>& env = {}, int timeout_ms = 10000) {
  std::vector<std::string> argv{OSCBRIDGE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  test::ChildProcess process(argv, env);
  CliResult result;
  result.code = process.wait_exit(timeout_ms);
  result.output = process.output();
  return result;
}

// A script's view of the control socket: blocking sends, reads with a deadline.
class ControlClient {
 public:
  explicit ControlClient(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~ControlClient() { ::close(fd_); }
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  bool connected() const { return connected_; }
  // Shrinks the receive buffer, so that a client that does not read fills up soon.
  void small_buffer() {
    int size = 4096;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }

  bool send(const nlohmann::json& request) {
    std::string line = request.dump() + "\n";
    return ::send(fd_, line.data(), line.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(line.size());
  }

  // The next line as JSON; nullopt at the deadline or when the daemon closed.
  std::optional<nlohmann::json> read(int timeout_ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      auto end = buffer_.find('\n');
      if (end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return nlohmann::json::parse(line, nullptr, false);
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) return std::nullopt;
      pollfd ready{fd_, POLLIN, 0};
      if (::poll(&ready, 1, static_cast<int>(left)) <= 0) continue;
      char chunk[65536];
      ssize_t count = ::read(fd_, chunk, sizeof chunk);
      if (count <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(count));
    }
  }

  // Sends request and returns the reply line.
  std::optional<nlohmann::json> ask(const nlohmann::json& request, int timeout_ms = 5000) {
    if (!send(request)) return std::nullopt;
    return read(timeout_ms);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

}  // namespace oscbridge::e2e

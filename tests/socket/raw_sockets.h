// Plain POSIX sockets used as the far end in socket/ tests, so that each test controls
// exactly which bytes arrive in which read, independently of the code under test.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

namespace oscbridge::test {

// Owns one descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

inline sockaddr_storage loopback(int family, std::uint16_t port, socklen_t& length) {
  sockaddr_storage storage{};
  if (family == AF_INET6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    v6->sin6_family = AF_INET6;
    v6->sin6_addr = in6addr_loopback;
    v6->sin6_port = htons(port);
    length = sizeof(sockaddr_in6);
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    v4->sin_family = AF_INET;
    v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    v4->sin_port = htons(port);
    length = sizeof(sockaddr_in);
  }
  return storage;
}

inline std::uint16_t bound_port(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
  if (storage.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

// A bound socket on the loopback address of family, on a free port.
inline Fd bound_socket(int family, int type) {
  Fd fd(::socket(family, type | SOCK_CLOEXEC, 0));
  socklen_t length;
  auto address = loopback(family, 0, length);
  ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length);
  if (type == SOCK_STREAM) ::listen(fd.get(), 16);
  return fd;
}

inline Fd accept_one(const Fd& listener) {
  return Fd(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
}

inline Fd connect_to(int family, int type, std::uint16_t port) {
  Fd fd(::socket(family, type | SOCK_CLOEXEC, 0));
  socklen_t length;
  auto address = loopback(family, port, length);
  ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), length);
  return fd;
}

inline void write_all(const Fd& fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t count = ::send(fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (count <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(count));
  }
}

// Reads until count bytes arrived, the peer closed, or timeout_ms passed.
inline std::string read_some(const Fd& fd, std::size_t count, int timeout_ms = 2000) {
  std::string out;
  timeval timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char buffer[65536];
  while (out.size() < count) {
    ssize_t got = ::recv(fd.get(), buffer, std::min(sizeof buffer, count - out.size()), 0);
    if (got <= 0) break;
    out.append(buffer, static_cast<std::size_t>(got));
  }
  return out;
}

// A pause long enough for loopback bytes written before it to be readable after it,
// used only to force data into separate reads.
inline void settle() {
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
}

}  // namespace oscbridge::test

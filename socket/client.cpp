// SocketClient and create_client: blocking receive with timeouts over a non-blocking
// descriptor, so that every wait is a poll() with a deadline.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "socket/internal.h"

namespace oscbridge::socket {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kReadChunk = 65536;  // also the largest UDP payload we accept

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Waits for events on fd; 1 ready, 0 timeout, -1 error (errno set).
int wait_for(int fd, short events, int timeout_ms) {
  pollfd entry{fd, events, 0};
  for (;;) {
    int ready = ::poll(&entry, 1, timeout_ms);
    if (ready >= 0 || errno != EINTR) return ready;
  }
}

// A client made by create_client: owns its descriptor and a receive buffer.
class ConnectedClient final : public SocketClient::Impl {
 public:
  ConnectedClient(int fd, Protocol protocol, int send_timeout_ms)
      : fd_(fd), protocol_(protocol), send_timeout_ms_(send_timeout_ms) {
    set_addresses(local_address_of(fd), peer_address_of(fd));
  }
  ~ConnectedClient() override { close(); }

  bool is_open() const override { return fd_ >= 0; }
  int native_handle() const override { return fd_; }

  void close() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  SendResult send(std::string_view message) override {
    int error = send_all(fd_, message, send_timeout_ms_);
    if (error == 0) return {true, {}};
    // A stream that took part of a message is out of step for good; a datagram is not.
    if (protocol_ == Protocol::tcp) close();
    return {false, error == ETIMEDOUT ? "timeout" : system_message(error)};
  }

  SocketClient::WriteResult write_some(std::string_view data) override {
    if (protocol_ != Protocol::tcp) return Impl::write_some(data);
    for (;;) {
      ssize_t count = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (count >= 0) return {static_cast<std::size_t>(count), {}};
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {0, {}};
      std::string error = system_message(errno);
      close();
      return {0, error};
    }
  }

  ReceiveResult receive(ReceiveMode mode, int timeout_ms) override {
    switch (mode.kind()) {
      case ReceiveMode::Kind::line:
        return receive_line(timeout_ms);
      case ReceiveMode::Kind::all:
        return receive_all(timeout_ms);
      case ReceiveMode::Kind::bytes:
        return receive_bytes(mode.byte_count(), timeout_ms);
    }
    return {std::nullopt, "unknown receive mode"};
  }

 private:
  enum class ReadOutcome { data, timeout, end_of_stream, failed };

  std::size_t buffered() const { return buffer_.size() - start_; }

  std::string take(std::size_t count, std::size_t skip_after = 0) {
    std::string out = buffer_.substr(start_, count);
    start_ += count + skip_after;
    if (start_ == buffer_.size()) {
      buffer_.clear();
      start_ = 0;
    }
    return out;
  }

  // A line ended by '\r' may be followed by the '\n' of a "\r\n" in the next read.
  void drop_pending_line_feed() {
    if (skip_line_feed_ && buffered() > 0) {
      if (buffer_[start_] == '\n') take(0, 1);
      skip_line_feed_ = false;
    }
  }

  // Appends what one read brings. timeout_ms < 0 waits without limit.
  ReadOutcome read_once(int timeout_ms) {
    int ready = wait_for(fd_, POLLIN, timeout_ms);
    if (ready == 0) return ReadOutcome::timeout;
    if (ready < 0) return fail(errno);
    std::size_t old_size = buffer_.size();
    buffer_.resize(old_size + kReadChunk);
    ssize_t count;
    do {
      count = ::recv(fd_, buffer_.data() + old_size, kReadChunk, 0);
    } while (count < 0 && errno == EINTR);
    buffer_.resize(old_size + (count > 0 ? count : 0));
    if (count < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return ReadOutcome::timeout;
      return fail(errno);
    }
    if (count == 0 && protocol_ == Protocol::tcp) {
      end_of_stream_ = true;
      return ReadOutcome::end_of_stream;
    }
    return ReadOutcome::data;
  }

  ReadOutcome fail(int error_number) {
    failure_ = system_message(error_number);
    return ReadOutcome::failed;
  }

  ReceiveResult error_result(ReadOutcome outcome) {
    if (outcome == ReadOutcome::timeout) return {std::nullopt, "timeout"};
    close();
    if (outcome == ReadOutcome::end_of_stream) return {std::nullopt, "disconnected"};
    return {std::nullopt, failure_};
  }

  ReceiveResult receive_line(int timeout_ms) {
    for (;;) {
      drop_pending_line_feed();
      std::string_view pending(buffer_.data() + start_, buffered());
      auto end = pending.find_first_of("\r\n");
      if (end != std::string_view::npos) {
        bool carriage_return = pending[end] == '\r';
        if (carriage_return && end + 1 < pending.size() && pending[end + 1] == '\n') {
          return {take(end, 2), {}};
        }
        skip_line_feed_ = carriage_return && end + 1 == pending.size();
        return {take(end, 1), {}};
      }
      if (end_of_stream_) {
        if (buffered() > 0) return {take(buffered()), {}};
        return error_result(ReadOutcome::end_of_stream);
      }
      auto outcome = read_once(timeout_ms);
      if (outcome != ReadOutcome::data && outcome != ReadOutcome::end_of_stream) {
        return error_result(outcome);
      }
    }
  }

  ReceiveResult receive_all(int timeout_ms) {
    drop_pending_line_feed();
    if (protocol_ == Protocol::udp) {
      if (buffered() > 0) return {take(buffered()), {}};
      auto outcome = read_once(timeout_ms);
      if (outcome != ReadOutcome::data) return error_result(outcome);
      drop_pending_line_feed();
      return {take(buffered()), {}};
    }
    if (buffered() == 0 && !end_of_stream_) {
      auto outcome = read_once(timeout_ms);
      if (outcome == ReadOutcome::timeout || outcome == ReadOutcome::failed) {
        return error_result(outcome);
      }
      drop_pending_line_feed();
    }
    // Take whatever else is already pending, without waiting.
    while (!end_of_stream_ && read_once(0) == ReadOutcome::data) {
    }
    if (buffered() > 0) return {take(buffered()), {}};
    if (end_of_stream_) return error_result(ReadOutcome::end_of_stream);
    return error_result(ReadOutcome::timeout);
  }

  ReceiveResult receive_bytes(std::size_t count, int timeout_ms) {
    for (;;) {
      drop_pending_line_feed();
      if (buffered() >= count) return {take(count), {}};
      if (end_of_stream_) return error_result(ReadOutcome::end_of_stream);
      auto outcome = read_once(timeout_ms);
      if (outcome != ReadOutcome::data && outcome != ReadOutcome::end_of_stream) {
        return error_result(outcome);
      }
    }
  }

  int fd_;
  Protocol protocol_;
  int send_timeout_ms_;
  std::string buffer_;
  std::size_t start_ = 0;
  bool skip_line_feed_ = false;
  bool end_of_stream_ = false;
  std::string failure_;
};

// Connects a non-blocking socket within timeout_ms. Returns 0 or an errno.
int connect_within(int fd, const SocketAddress& address, int timeout_ms) {
  if (::connect(fd, address.get(), address.length) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  int ready = wait_for(fd, POLLOUT, timeout_ms);
  if (ready == 0) return ETIMEDOUT;
  if (ready < 0) return errno;
  int error = 0;
  socklen_t length = sizeof error;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
  return error;
}

}  // namespace

int send_all(int fd, std::string_view data, int timeout_ms) {
  std::size_t sent = 0;
  // An empty datagram is a message of its own, so it is sent too.
  do {
    ssize_t count = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (count >= 0) {
      sent += static_cast<std::size_t>(count);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return errno;
    int ready = wait_for(fd, POLLOUT, timeout_ms);
    if (ready == 0) return ETIMEDOUT;
    if (ready < 0) return errno;
  } while (sent < data.size());
  return 0;
}

std::unique_ptr<SocketClient::Impl> make_connected_client(int fd, Protocol protocol,
                                                          int send_timeout_ms) {
  return std::make_unique<ConnectedClient>(fd, protocol, send_timeout_ms);
}

ReceiveMode ReceiveMode::bytes(std::size_t n) {
  if (n == 0) throw std::invalid_argument("ReceiveMode::bytes needs a count > 0");
  return ReceiveMode(Kind::bytes, n);
}

SocketClient::SocketClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SocketClient::~SocketClient() = default;

bool SocketClient::is_open() const {
  return impl_->is_open();
}
std::string SocketClient::local_address() const {
  return address_text(impl_->local);
}
std::uint16_t SocketClient::local_port() const {
  return address_port(impl_->local);
}
std::string SocketClient::peer_address() const {
  return address_text(impl_->peer);
}
std::uint16_t SocketClient::peer_port() const {
  return address_port(impl_->peer);
}
const sockaddr_storage& SocketClient::peer_sockaddr() const {
  return impl_->peer.storage;
}
int SocketClient::native_handle() const {
  return impl_->native_handle();
}

void SocketClient::close() {
  impl_->close();
}

SendResult SocketClient::send(std::string_view message) {
  if (!impl_->is_open()) throw SocketClosedError();
  return impl_->send(message);
}

SocketClient::WriteResult SocketClient::write_some(std::string_view data) {
  if (!impl_->is_open()) throw SocketClosedError();
  return impl_->write_some(data);
}

ReceiveResult SocketClient::receive(ReceiveMode mode, int timeout_ms) {
  if (!impl_->is_open()) throw SocketClosedError();
  return impl_->receive(mode, timeout_ms);
}

ClientResult create_client(std::string_view address, std::uint16_t port, Protocol protocol,
                           int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  auto left = [&] { return timeout_ms < 0 ? -1 : remaining_ms(deadline); };
  auto resolved = resolve(address, port, protocol, false, timeout_ms);
  if (!resolved.error.empty()) return {nullptr, resolved.error};
  if (resolved.addresses.empty()) return {nullptr, "no address for '" + std::string(address) + "'"};

  int last_error = 0;
  for (const auto& candidate : resolved.addresses) {
    if (timeout_ms >= 0 && left() == 0) {
      last_error = ETIMEDOUT;
      break;
    }
    int type = protocol == Protocol::tcp ? SOCK_STREAM : SOCK_DGRAM;
    int fd = ::socket(candidate.storage.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    int on = 1;
    if (protocol == Protocol::udp) {
      // Before connect(): connecting a datagram socket to a broadcast address needs it.
      ::setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on);
    }
    last_error = connect_within(fd, candidate, left());
    if (last_error == 0) {
      if (protocol == Protocol::tcp) {
        // OSC messages are small and latency-sensitive: no Nagle delay.
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      }
      int send_timeout = timeout_ms < 0 ? -1 : (timeout_ms == 0 ? 5000 : timeout_ms);
      return {std::make_unique<SocketClient>(make_connected_client(fd, protocol, send_timeout)),
              {}};
    }
    ::close(fd);
  }
  return {nullptr, last_error == ETIMEDOUT ? "timeout" : system_message(last_error)};
}

}  // namespace oscbridge::socket

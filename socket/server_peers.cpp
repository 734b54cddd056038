// The sockets a server hands to its callbacks: accepted TCP connections and the UDP
// reply-to-sender peer.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "socket/internal.h"

namespace oscbridge::socket {

namespace {
const char* kServerReceive =
    "receive() is not available on a server's socket: data arrives through socket_message";
}  // namespace

void DatagramPeer::reset(const SocketAddress& local_address, const SocketAddress& peer_address) {
  set_addresses(local_address, peer_address);
  open_ = true;
}

SendResult DatagramPeer::send(std::string_view message) {
  for (;;) {
    ssize_t count =
        ::sendto(server_fd_, message.data(), message.size(), MSG_NOSIGNAL, peer.get(), peer.length);
    if (count >= 0) return {true, {}};
    if (errno != EINTR) return {false, system_message(errno)};
  }
}

ReceiveResult DatagramPeer::receive(ReceiveMode, int) {
  return {std::nullopt, kServerReceive};
}

ServerConnection::ServerConnection(int fd, std::size_t queue_limit, Hooks hooks)
    : fd_(fd), queue_limit_(queue_limit), hooks_(std::move(hooks)) {
  set_addresses(local_address_of(fd), peer_address_of(fd));
}

ServerConnection::~ServerConnection() {
  release();
}

bool ServerConnection::is_open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

int ServerConnection::native_handle() const {
  std::lock_guard lock(mutex_);
  return open_ ? fd_ : -1;
}

void ServerConnection::close() {
  {
    std::lock_guard lock(mutex_);
    if (!open_) return;
    open_ = false;
  }
  // The descriptor itself is closed by the loop, after it stops watching it.
  if (hooks_.request_close) hooks_.request_close();
}

SendResult ServerConnection::send(std::string_view message) {
  bool need_write_watch = false;
  SendResult result{true, {}};
  {
    std::lock_guard lock(mutex_);
    if (!open_) throw SocketClosedError();
    std::size_t sent = 0;
    if (queue_start_ == queue_.size()) {
      while (sent < message.size()) {
        ssize_t count =
            ::send(fd_, message.data() + sent, message.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (count >= 0) {
          sent += static_cast<std::size_t>(count);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
          break;
        } else if (errno != EINTR) {
          result = {false, system_message(errno)};
          break;
        }
      }
    }
    if (result.success && sent < message.size()) {
      std::size_t rest = message.size() - sent;
      if (queue_.size() - queue_start_ + rest > queue_limit_) {
        // Only whole messages are refused, so a refused send never splits a frame.
        if (sent == 0) return {false, "send queue full"};
        result = {false, "send queue full"};
      } else {
        need_write_watch = queue_start_ == queue_.size();
        queue_.append(message.substr(sent));
      }
    }
  }
  if (!result.success) {
    close();  // a stream that lost part of a message, or a broken one, is unusable
    return result;
  }
  if (need_write_watch && hooks_.want_write) hooks_.want_write();
  return result;
}

ReceiveResult ServerConnection::receive(ReceiveMode, int) {
  return {std::nullopt, kServerReceive};
}

int ServerConnection::flush() {
  std::lock_guard lock(mutex_);
  while (queue_start_ < queue_.size()) {
    ssize_t count = ::send(fd_, queue_.data() + queue_start_, queue_.size() - queue_start_,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
    if (count >= 0) {
      queue_start_ += static_cast<std::size_t>(count);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return 0;
    } else if (errno != EINTR) {
      return errno;
    }
  }
  queue_.clear();
  queue_start_ = 0;
  return 0;
}

bool ServerConnection::has_queued_output() const {
  std::lock_guard lock(mutex_);
  return queue_start_ < queue_.size();
}

void ServerConnection::release() {
  std::lock_guard lock(mutex_);
  open_ = false;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace oscbridge::socket

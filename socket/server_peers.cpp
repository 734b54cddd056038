// The sockets a server hands to its callbacks: accepted TCP connections and the UDP
// reply-to-sender peer.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "socket/event_loop.h"
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

ServerConnection::ServerConnection(EventLoop& loop, std::unique_ptr<Connection> connection,
                                   Hooks hooks)
    : loop_(loop),
      connection_(std::move(connection)),
      fd_(connection_->native_handle()),
      hooks_(std::move(hooks)) {
  SocketAddress local_address;
  local_address.storage = connection_->local();
  local_address.length = sockaddr_length(local_address.storage);
  SocketAddress peer_address;
  peer_address.storage = connection_->peer();
  peer_address.length = sockaddr_length(peer_address.storage);
  set_addresses(local_address, peer_address);
}

ServerConnection::~ServerConnection() = default;

bool ServerConnection::is_open() const {
  return open_.load();
}

int ServerConnection::native_handle() const {
  return open_.load() ? fd_.load() : -1;
}

void ServerConnection::close() {
  if (!open_.exchange(false)) return;
  // The loop releases the Connection (with socket_closed), after this round's write, so a
  // reply sent just before close() still goes out; data read meanwhile is not handed on.
  if (hooks_.request_close) hooks_.request_close();
}

std::optional<SendResult> ServerConnection::send_on_loop(std::string_view message) {
  if (!open_.load()) return std::nullopt;
  std::error_code error = connection_->send(message);
  if (!error) return SendResult{true, {}};
  // A refused message was not cut: the stream is still in step and stays open.
  if (error == Errc::queue_full) return SendResult{false, error.message()};
  close();
  return SendResult{false, error.message()};
}

SendResult ServerConnection::send(std::string_view message) {
  if (!open_.load()) throw SocketClosedError();
  std::optional<SendResult> result;
  if (loop_.in_loop_thread()) {
    result = send_on_loop(message);
  } else {
    hooks_.on_loop([&](ServerConnection& self) { result = self.send_on_loop(message); });
  }
  if (!result) throw SocketClosedError();  // closed meanwhile, by the peer or another thread
  return *result;
}

ReceiveResult ServerConnection::receive(ReceiveMode, int) {
  return {std::nullopt, kServerReceive};
}

void ServerConnection::release() {
  open_ = false;
  fd_ = -1;
  connection_->flush_and_close();  // e.g. a reply sent right before the server closes
  connection_.reset();
}

}  // namespace oscbridge::socket

// Connection: one non-blocking TCP stream served by an EventLoop, used for every connection
// the process has: a server's accepted clients (SocketServer, the daemon's TCP listen
// endpoints) and outgoing connections (the daemon's TCP connect endpoints, made by Connector).
//
// Reading: each wakeup reads at most reads_per_wakeup chunks of read_chunk bytes into one
// reused buffer and hands each to on_data as a view, so a flooding peer can neither hold the
// loop nor grow memory. Writing: send() appends to one output buffer (refused beyond
// queue_limit, the high-water mark) and the whole buffer goes out in one write at the end of
// the loop round, so many small sends cost one system call. The socket is watched for
// EPOLLOUT only while output is left over from such a write.
//
// Ownership: whoever holds the unique_ptr owns the connection; destroying it closes the socket
// without a callback. It may be destroyed from inside its own on_data or on_close.
// Anything deferred, posted or timed names a connection by id(), never by descriptor.
//
// Threading: loop thread only, like the EventLoop calls it makes.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "socket/errors.h"

namespace oscbridge::socket {

class EventLoop;

using ConnectionId = std::uint64_t;  // unique within the process, never reused

struct ConnectionLimits {
  std::size_t read_chunk = 64 * 1024;  // bytes per read() into the reused buffer
  std::size_t reads_per_wakeup = 4;    // one connection's turn, so others get theirs
  std::size_t queue_limit = 1 << 20;   // queued output beyond which send() refuses
};

class Connection {
 public:
  struct Handlers {
    // Bytes as they arrived; the view is valid only during the call, and only while the
    // connection exists (it points into the connection's reused buffer).
    std::function<void(Connection&, std::string_view)> on_data;
    // The last callback: the peer closed (Errc::peer_closed) or the socket failed (a system
    // error such as ECONNRESET). Not called for close() or destruction by the owner.
    std::function<void(Connection&, std::error_code)> on_close;
  };

  // Takes over a connected, non-blocking descriptor and starts watching it. Throws
  // std::system_error (having closed fd) when epoll refuses it.
  static std::unique_ptr<Connection> adopt(EventLoop& loop, int fd, ConnectionLimits limits,
                                           Handlers handlers = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  ConnectionId id() const;
  bool is_open() const;
  // The descriptor, for logs and socket options; -1 once closed. Never close it.
  int native_handle() const;
  // Replaces the handlers (e.g. right after an accept); data read later goes to them.
  void set_handlers(Handlers handlers);
  void set_queue_limit(std::size_t bytes);

  // Queues data for the write at the end of this loop round. Errc::queue_full when it would
  // take the queue past queue_limit (nothing is queued; a message is never cut), Errc::closed
  // after close or failure. Never blocks, never raises SIGPIPE. A message larger than
  // queue_limit is still taken when nothing is queued, so that every frame can go out once
  // the peer catches up; memory stays bounded by max(queue_limit, largest message).
  std::error_code send(std::string_view data);
  // Bytes queued and not yet written; once the connection is closed (also inside on_close),
  // the bytes it never wrote.
  std::size_t queued_bytes() const;

  // pause() stops watching the socket: nothing is read, no callback runs and queued output
  // waits, until resume(). For an owner that stops serving for a while, or flow control.
  // Should epoll refuse the descriptor again, resume() closes it with on_close.
  void pause();
  void resume();

  // Closes the socket now; queued output is discarded. No on_close follows. Twice is fine.
  void close();
  // Writes what the kernel takes of the queued output now, then closes as close() does: for a
  // last message sent in the same round. Whatever the kernel does not take is discarded.
  void flush_and_close();

  const sockaddr_storage& peer() const;
  const sockaddr_storage& local() const;
  std::string peer_text() const;  // "1.2.3.4:5678" or "[::1]:5678"

  struct Impl;

 private:
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Listener: a bound, listening TCP socket on a loop; hands each accepted client over as a
// Connection (TCP_NODELAY set: writes are already gathered per round). At most 64 accepts per
// wakeup. Out of descriptors (EMFILE), the pending client is accepted and closed so the
// loop does not spin, and on_error says so; the listener keeps serving.
// Ownership and threading as Connection; destroying it stops accepting.
class Listener {
 public:
  struct Handlers {
    // The owner keeps the connection (setting its handlers) or lets it go (closing it).
    std::function<void(std::unique_ptr<Connection>)> on_accept;
    std::function<void(const std::string& message)> on_error;
  };
  struct Result {
    std::unique_ptr<Listener> listener;
    std::error_code error;
    std::string message;  // for people: "cannot listen on ...: Address already in use"
  };
  // host "" = any address (dual-stack where available); port 0 picks one. host must be a
  // literal address (or ""): nothing here blocks on name resolution.
  static Result open(EventLoop& loop, std::string_view host, std::uint16_t port,
                     ConnectionLimits limits, Handlers handlers);
  // Takes over a bound, listening, non-blocking descriptor (SocketServer binds its own).
  // Throws std::system_error (having closed fd) when epoll refuses it.
  static std::unique_ptr<Listener> adopt(EventLoop& loop, int fd, ConnectionLimits limits,
                                         Handlers handlers);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  std::uint16_t local_port() const;
  const sockaddr_storage& local() const;
  // Limits given to connections accepted from now on.
  void set_limits(ConnectionLimits limits);
  // Stops accepting (pending clients wait in the backlog) until resume().
  void pause();
  void resume();

  struct Impl;

 private:
  explicit Listener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace oscbridge::socket

// The renoise.Socket contract in C++: a blocking SocketClient and a callback-driven
// SocketServer over UDP and TCP, IPv4 and IPv6. Knows bytes, not OSC: no framing is
// added or removed here.
//
// Ownership: create_client/create_server hand out unique_ptrs; the caller owns them.
// Sockets a server hands to callbacks belong to the server: an accepted TCP connection
// lives until it is closed (by either side) or the server is closed, and socket_closed
// is its last callback; the per-datagram UDP peer is valid only during its callback.
//
// Threading: a SocketClient is used by one thread at a time, except that send() on a
// server's connection may be called from any thread. SocketServer methods are safe from
// any thread, including from inside its own callbacks, except that the destructor must
// not run inside them. Callbacks run on the server's EventLoop thread, never two at once
// for one server.
//
// Errors: nothing here throws for a network failure; results carry an error string.
// Only using a closed socket throws (SocketClosedError). Properties (addresses, ports)
// stay readable after close and report the values the socket had while open.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sockaddr_storage;

namespace oscbridge::socket {

class EventLoop;

enum class Protocol { udp, tcp };

// "*line", "*all", or a byte count > 0, as in the seed's receive(mode, timeout).
class ReceiveMode {
 public:
  enum class Kind { line, all, bytes };

  static ReceiveMode line() { return ReceiveMode(Kind::line, 0); }
  static ReceiveMode all() { return ReceiveMode(Kind::all, 0); }
  // n must be > 0; bytes(0) throws std::invalid_argument.
  static ReceiveMode bytes(std::size_t n);

  Kind kind() const { return kind_; }
  std::size_t byte_count() const { return byte_count_; }

 private:
  ReceiveMode(Kind kind, std::size_t byte_count) : kind_(kind), byte_count_(byte_count) {}
  Kind kind_;
  std::size_t byte_count_;
};

struct SendResult {
  bool success = false;
  std::string error;  // empty on success
};

struct ReceiveResult {
  std::optional<std::string> message;
  // On failure: "timeout" (socket stays open), "disconnected" (peer closed; socket now
  // closed) or a readable system message (socket now closed).
  std::string error;
};

class SocketClosedError : public std::logic_error {
 public:
  SocketClosedError() : std::logic_error("socket is closed") {}
};

class SocketClient {
 public:
  struct Impl;
  explicit SocketClient(std::unique_ptr<Impl> impl);  // made by create_client and servers
  ~SocketClient();
  SocketClient(const SocketClient&) = delete;
  SocketClient& operator=(const SocketClient&) = delete;

  bool is_open() const;
  std::string local_address() const;
  std::uint16_t local_port() const;
  std::string peer_address() const;
  std::uint16_t peer_port() const;

  // Closing twice is fine; any other call on a closed socket throws SocketClosedError.
  void close();

  // Sends all of message or fails. Never raises SIGPIPE. A failed TCP send closes the
  // socket; a failed UDP send (e.g. ICMP port unreachable) leaves it open. On a server's
  // TCP connection, what the kernel cannot take at once is queued (up to 1 MiB) and
  // written from the server's loop; a full queue fails with "send queue full".
  SendResult send(std::string_view message);

  // timeout_ms bounds each wait for data (data arriving restarts it); 0 only takes what
  // is pending and never blocks; a negative value waits without limit.
  // line(): one line without its terminator ("\n", "\r\n" or "\r"); the rest stays
  //   buffered. At end of stream an unterminated last line is returned as a line.
  // all(): what is buffered plus what is pending now; returns as soon as there is any.
  //   For UDP, one datagram at a time (an empty datagram is an empty message).
  // bytes(n): exactly n bytes; on "timeout" what arrived stays buffered.
  ReceiveResult receive(ReceiveMode mode, int timeout_ms);

  // Extension for event-driven users (the daemon): the descriptor to watch for input.
  // Owned by the SocketClient; -1 once closed.
  int native_handle() const;
  // Extension: the peer's raw address, for address checks that must not allocate.
  const sockaddr_storage& peer_sockaddr() const;

  // Extension for event-driven users of a connected TCP client: writes as much of data as
  // the kernel takes now, without waiting. A broken connection sets error and closes the
  // socket. The caller queues the rest and retries when native_handle() is writable.
  struct WriteResult {
    std::size_t written = 0;
    std::string error;
  };
  WriteResult write_some(std::string_view data);

  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

struct ClientResult {
  std::unique_ptr<SocketClient> client;
  std::string error;
};

// Resolves address (a literal or a host name), connects within timeout_ms (a negative
// timeout means the system's own connect timeout) and returns the client or an error
// such as "Connection refused" or "timeout". UDP clients are connected datagram sockets.
ClientResult create_client(std::string_view address, std::uint16_t port,
                           Protocol protocol = Protocol::tcp, int timeout_ms = 5000);

// The seed's NotifierClass. Every callback is optional. socket_closed is an extension:
// the last call for an accepted TCP connection before the server destroys it.
class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void socket_error(const std::string& error_message) { (void)error_message; }
  virtual void socket_accepted(SocketClient& client) { (void)client; }
  virtual void socket_message(SocketClient& client, std::string_view message) {
    (void)client;
    (void)message;
  }
  virtual void socket_closed(SocketClient& client) { (void)client; }
};

// The seed's NotifierTable; any member may be empty.
struct NotifierTable {
  std::function<void(const std::string&)> socket_error;
  std::function<void(SocketClient&)> socket_accepted;
  std::function<void(SocketClient&, std::string_view)> socket_message;
  std::function<void(SocketClient&)> socket_closed;
};

class SocketServer {
 public:
  struct Impl;
  explicit SocketServer(std::unique_ptr<Impl> impl);  // made by create_server
  // Stops a running server first. Must not run inside one of its callbacks.
  ~SocketServer();
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;

  bool is_open() const;
  bool is_running() const;
  std::string local_address() const;
  std::uint16_t local_port() const;

  // Stops, closes every accepted connection and releases the socket. Twice is fine.
  void close();

  // Starts serving in the background. The Notifier must outlive the serving (until
  // stop() or close() returns). Throws SocketClosedError after close().
  void run(Notifier& notifier);
  void run(NotifierTable notifier);

  // Stops serving: no callback starts after stop() returns (when called from inside a
  // callback, none after that callback). Accepted connections stay open and are served
  // again by the next run(). Safe from any thread.
  void stop();

  // Blocks the caller until timeout_ms passes (negative: without limit) or the server
  // stops, while callbacks fire on the loop. Returns at once when called on the loop's
  // own thread, since blocking there would stop the callbacks.
  void wait(int timeout_ms);

  // Extension (UDP): sends one datagram from the server's socket, so from its port, to any
  // address, e.g. a peer heard from earlier or a configured destination. Safe from any
  // thread; never blocks (a full socket buffer fails with the system's message).
  SendResult send_to(const sockaddr_storage& destination, std::string_view message);

  // Extension (UDP): sends several datagrams in one system call (sendmmsg), each to its own
  // destination. Returns how many went out; on a failure error tells why the first one
  // that did not go failed. Loop thread or any thread; never blocks.
  struct Datagram {
    const sockaddr_storage* destination;
    std::string_view bytes;
  };
  std::size_t send_many(const Datagram* datagrams, std::size_t count, std::string& error);

  // Extension (TCP): how much output each accepted connection may queue (default 1 MiB);
  // applies to connections accepted afterwards.
  void set_send_queue_limit(std::size_t bytes);

  Impl& impl() { return *impl_; }
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

struct ServerResult {
  std::unique_ptr<SocketServer> server;
  std::string error;
};

// Binds now (so "Address already in use" comes back here) and listens for TCP.
// address "" means any address (IPv6 dual-stack where available, else IPv4); port 0
// picks a free port (see local_port()). A UDP server on a multicast group address joins
// the group on the default interface. UDP sockets may send to broadcast addresses. A server given
// no loop runs its own loop thread; with a loop, it serves on that loop's thread, which must
// outlive the server.
ServerResult create_server(std::string_view address, std::uint16_t port,
                           Protocol protocol = Protocol::tcp);
ServerResult create_server(std::string_view address, std::uint16_t port, Protocol protocol,
                           EventLoop& loop);

// Extension (UDP): a socket only for send_to/send_many, bound to an ephemeral port of the
// family's any-address (AF_INET or AF_INET6): the port the kernel would pick for an unconnected
// send, but one whole batches can leave from. It is never run(): the loop does not watch it and
// nothing reads it; its receive buffer is the kernel's minimum, so datagrams sent to its port
// are dropped by the kernel once a few KiB wait. (Watched only to discard them, every datagram
// it sent would, once freed, have woken the loop's epoll entry for nothing: a locked wait-queue
// walk per datagram.)
ServerResult create_udp_sender(int family, EventLoop& loop);

}  // namespace oscbridge::socket

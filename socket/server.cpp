// SocketServer: a bound socket served from an EventLoop. TCP serving is a Listener and one
// Connection per accepted client; UDP serving is recvmmsg on the socket. Everything runs on
// the loop thread; run/stop/close hand their work to it.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <shared_mutex>
#include <unordered_map>

#include "socket/connection.h"
#include "socket/event_loop.h"
#include "socket/internal.h"
#include "socket/resolve.h"

namespace oscbridge::socket {

namespace {
constexpr std::size_t kMaxDatagram = 65536;
// recvmmsg batch: as many datagrams per system call as a burst brings, and one batch per
// wakeup: a round routes at most this many datagrams before its gathered TCP writes, so one
// flooded socket leaves the others a turn and a TCP destination's queue_limit is not met by a
// burst its kernel buffers could have taken.
constexpr std::size_t kDatagramBatch = 64;
// Edge-triggered: a level-triggered entry is polled once more on the next epoll_wait only to
// find the queue empty, a locked scan per round for nothing. datagrams_ready() re-arms the
// entry when its batch came back full (more may wait), which only a flood pays for.
constexpr std::uint32_t kDatagramEvents = EPOLLIN | EPOLLET;
constexpr std::size_t kSendQueueLimit = 1 << 20;
constexpr std::size_t kReadChunk = 65536;
constexpr std::size_t kReadsPerWakeup = 4;  // bounds one connection's turn so others get theirs
}  // namespace

struct SocketServer::Impl {
  Protocol protocol;
  // UDP: the socket. TCP: the listening socket until the Listener takes it over (first run).
  // Written on the loop thread under fd_mutex; send_to/send_many read it under a shared lock
  // from any thread, so a close never hands them a number already reused.
  int fd;
  std::shared_mutex fd_mutex;
  SocketAddress local;
  std::unique_ptr<EventLoop> own_loop;  // when no shared loop was given
  EventLoop* loop;
  NotifierTable notifier;

  std::mutex state_mutex;
  std::condition_variable state_cv;
  bool running = false;  // guarded by state_mutex
  bool open = true;      // guarded by state_mutex

  std::atomic<std::size_t> send_queue_limit{kSendQueueLimit};

  // Loop-thread state.
  // False once close_everything() ran; tasks posted for connections check it.
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  bool serving = false;                // whether the socket and connections are watched right now
  std::unique_ptr<Listener> listener;  // TCP, from the first run()
  // Keyed by id, never by descriptor: a posted close must not hit a newer connection that
  // got the same descriptor number.
  std::unordered_map<ConnectionId, std::unique_ptr<SocketClient>> connections;
  std::unique_ptr<SocketClient> datagram_peer;

  Impl(Protocol protocol_, int fd_, EventLoop* shared_loop)
      : protocol(protocol_), fd(fd_), local(local_address_of(fd_)), loop(shared_loop) {
    if (loop == nullptr) {
      own_loop = std::make_unique<EventLoop>();
      loop = own_loop.get();
    }
    if (protocol == Protocol::udp) {
      auto peer = std::make_unique<DatagramPeer>(fd);
      datagram_peer = std::make_unique<SocketClient>(std::move(peer));
    }
  }

  bool is_running() {
    std::lock_guard lock(state_mutex);
    return running;
  }

  void report(const std::string& message) {
    if (notifier.socket_error) notifier.socket_error(message);
  }

  // --- loop thread ---

  void start_serving() {
    if (serving) return;
    serving = true;
    if (protocol == Protocol::udp) {
      if (auto error =
              loop->watch(fd, kDatagramEvents, [this](std::uint32_t) { datagrams_ready(); })) {
        report("cannot serve " + address_text(local) + ": " + error.message());
      }
      return;
    }
    if (listener) {
      listener->resume();
    } else {
      Listener::Handlers handlers;
      handlers.on_accept = [this](std::unique_ptr<Connection> connection) {
        add_connection(std::move(connection));
      };
      handlers.on_error = [this](const std::string& message) { report(message); };
      try {
        listener = Listener::adopt(*loop, fd, limits(), std::move(handlers));
      } catch (const std::system_error& error) {
        std::unique_lock lock(fd_mutex);
        fd = -1;  // adopt closed it; nothing can be served
        report("cannot serve " + address_text(local) + ": " + error.what());
      }
    }
    for (auto& entry : connections) connection_impl(*entry.second).connection().resume();
  }

  void stop_serving() {
    if (!serving) return;
    serving = false;
    if (protocol == Protocol::udp) return loop->unwatch(fd);
    if (listener) listener->pause();
    for (auto& entry : connections) connection_impl(*entry.second).connection().pause();
  }

  ConnectionLimits limits() const {
    ConnectionLimits limits;
    limits.read_chunk = kReadChunk;
    limits.reads_per_wakeup = kReadsPerWakeup;
    limits.queue_limit = send_queue_limit.load();
    return limits;
  }

  ServerConnection& connection_impl(SocketClient& client) {
    return static_cast<ServerConnection&>(client.impl());
  }

  void add_connection(std::unique_ptr<Connection> connection) {
    connection->set_queue_limit(send_queue_limit.load());
    ConnectionId id = connection->id();
    ServerConnection::Hooks hooks;
    // Hooks may run after this server is gone (closed in the same loop round), so they hold
    // the alive token rather than trusting `this`.
    hooks.on_loop = [this, id, alive = alive](const std::function<void(ServerConnection&)>& task) {
      bool found = false;
      loop->run_sync([&] {
        if (!*alive) return;
        auto entry = connections.find(id);
        if (entry == connections.end()) return;
        task(connection_impl(*entry->second));
        found = true;
      });
      return found;
    };
    hooks.request_close = [this, id, alive = alive] {
      loop->post([this, id, alive] {
        if (*alive) remove_connection(id, true);
      });
    };
    auto impl = std::make_unique<ServerConnection>(*loop, std::move(connection), std::move(hooks));
    SocketClient* client = connections.emplace(id, std::make_unique<SocketClient>(std::move(impl)))
                               .first->second.get();
    Connection::Handlers handlers;
    handlers.on_data = [this, client](Connection&, std::string_view data) {
      // Closed by the user (from another thread) but not yet released: nothing more for it.
      if (!client->is_open()) return;
      if (notifier.socket_message) notifier.socket_message(*client, data);
    };
    handlers.on_close = [this, id, client](Connection&, std::error_code error) {
      if (error != Errc::peer_closed) {
        report("connection from " + client->peer_address() + ": " + error.message());
      }
      remove_connection(id, true);
    };
    connection_impl(*client).connection().set_handlers(std::move(handlers));
    if (notifier.socket_accepted) notifier.socket_accepted(*client);
  }

  void remove_connection(ConnectionId id, bool notify) {
    auto found = connections.find(id);
    if (found == connections.end()) return;
    auto client = std::move(found->second);
    connections.erase(found);
    if (notify && serving && notifier.socket_closed) notifier.socket_closed(*client);
    connection_impl(*client).release();
  }

  // The recvmmsg vectors, built once: a wakeup only resets what the kernel wrote back.
  struct DatagramBatch {
    std::unique_ptr<char[]> bytes;  // kDatagramBatch slots of kMaxDatagram, uninitialised
    std::array<mmsghdr, kDatagramBatch> headers{};
    std::array<iovec, kDatagramBatch> vectors{};
    std::array<SocketAddress, kDatagramBatch> sources{};
  };
  std::unique_ptr<DatagramBatch> batch;

  // Reads one batch. recvmmsg without waiting fills fewer slots than it has only when the
  // queue ran dry; a full batch may have left more, for which an edge-triggered entry would not
  // fire again until the next datagram arrives, so epoll is asked to look again (it reports
  // the entry next round).
  void datagrams_ready() {
    if (read_datagram_batch() == kDatagramBatch && serving) loop->modify(fd, kDatagramEvents);
  }

  // One recvmmsg and its callbacks; how many datagrams it read (0 on an error).
  std::size_t read_datagram_batch() {
    if (!batch) {
      batch = std::make_unique<DatagramBatch>();
      batch->bytes.reset(new char[kDatagramBatch * kMaxDatagram]);
      for (std::size_t i = 0; i < kDatagramBatch; ++i) {
        batch->vectors[i] = {batch->bytes.get() + i * kMaxDatagram, kMaxDatagram};
        batch->headers[i].msg_hdr.msg_iov = &batch->vectors[i];
        batch->headers[i].msg_hdr.msg_iovlen = 1;
        batch->headers[i].msg_hdr.msg_name = &batch->sources[i].storage;
      }
    }
    auto& headers = batch->headers;
    auto& sources = batch->sources;
    for (auto& header : headers) header.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    int count = ::recvmmsg(fd, headers.data(), kDatagramBatch, MSG_DONTWAIT, nullptr);
    if (count < 0) {
      if (errno == EINTR) return kDatagramBatch;  // interrupted, not empty: come back
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        report("receive: " + system_message(errno));
        // The error is consumed; datagrams may still wait behind it.
        loop->modify(fd, kDatagramEvents);
      }
      return 0;
    }
    auto& peer = static_cast<DatagramPeer&>(datagram_peer->impl());
    for (int i = 0; i < count && serving; ++i) {
      sources[i].length = headers[i].msg_hdr.msg_namelen;
      if (headers[i].msg_hdr.msg_flags & MSG_TRUNC) {
        report("datagram from " + address_text(sources[i]) + " truncated to 65536 bytes");
      }
      peer.reset(local, sources[i]);
      if (notifier.socket_message) {
        notifier.socket_message(
            *datagram_peer,
            std::string_view(batch->bytes.get() + i * kMaxDatagram, headers[i].msg_len));
      }
    }
    return static_cast<std::size_t>(count);
  }

  void close_everything() {
    *alive = false;
    stop_serving();
    while (!connections.empty()) remove_connection(connections.begin()->first, false);
    std::unique_lock lock(fd_mutex);
    if (listener) {
      listener.reset();  // closes the socket it took over
    } else if (fd >= 0) {
      ::close(fd);
    }
    fd = -1;
  }
};

SocketServer::SocketServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SocketServer::~SocketServer() {
  close();
  impl_->own_loop.reset();
}

bool SocketServer::is_open() const {
  std::lock_guard lock(impl_->state_mutex);
  return impl_->open;
}

bool SocketServer::is_running() const {
  return impl_->is_running();
}
std::string SocketServer::local_address() const {
  return address_text(impl_->local);
}
std::uint16_t SocketServer::local_port() const {
  return address_port(impl_->local);
}

void SocketServer::close() {
  {
    std::lock_guard lock(impl_->state_mutex);
    if (!impl_->open) return;
    impl_->open = false;
    impl_->running = false;
    impl_->state_cv.notify_all();
  }
  impl_->loop->run_sync([impl = impl_.get()] { impl->close_everything(); });
}

void SocketServer::run(Notifier& notifier) {
  NotifierTable table;
  table.socket_error = [&notifier](const std::string& message) { notifier.socket_error(message); };
  table.socket_accepted = [&notifier](SocketClient& client) { notifier.socket_accepted(client); };
  table.socket_message = [&notifier](SocketClient& client, std::string_view message) {
    notifier.socket_message(client, message);
  };
  table.socket_closed = [&notifier](SocketClient& client) { notifier.socket_closed(client); };
  run(std::move(table));
}

void SocketServer::run(NotifierTable notifier) {
  {
    std::lock_guard lock(impl_->state_mutex);
    if (!impl_->open) throw SocketClosedError();
    impl_->running = true;
  }
  impl_->loop->run_sync([impl = impl_.get(), &notifier] {
    impl->notifier = std::move(notifier);
    impl->start_serving();
  });
}

void SocketServer::stop() {
  {
    std::lock_guard lock(impl_->state_mutex);
    if (!impl_->running) return;
    impl_->running = false;
    impl_->state_cv.notify_all();
  }
  impl_->loop->run_sync([impl = impl_.get()] { impl->stop_serving(); });
}

void SocketServer::wait(int timeout_ms) {
  if (impl_->loop->in_loop_thread()) return;
  std::unique_lock lock(impl_->state_mutex);
  auto stopped = [&] { return !impl_->running; };
  if (timeout_ms < 0) {
    impl_->state_cv.wait(lock, stopped);
  } else {
    impl_->state_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), stopped);
  }
}

SendResult SocketServer::send_to(const sockaddr_storage& destination, std::string_view message) {
  if (!is_open()) throw SocketClosedError();
  if (impl_->protocol != Protocol::udp) return {false, "send_to is only available on UDP servers"};
  std::shared_lock lock(impl_->fd_mutex);
  if (impl_->fd < 0) throw SocketClosedError();
  for (;;) {
    ssize_t count =
        ::sendto(impl_->fd, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr*>(&destination), sockaddr_length(destination));
    if (count >= 0) return {true, {}};
    if (errno != EINTR) return {false, system_message(errno)};
  }
}

int address_family(const SocketServer& server) {
  return server.impl().local.storage.ss_family;
}

std::size_t SocketServer::send_many(const Datagram* datagrams, std::size_t count,
                                    std::string& error) {
  if (!is_open()) throw SocketClosedError();
  if (impl_->protocol != Protocol::udp) {
    error = "send_many is only available on UDP servers";
    return 0;
  }
  std::shared_lock lock(impl_->fd_mutex);
  if (impl_->fd < 0) throw SocketClosedError();
  constexpr std::size_t kBatch = 64;
  std::array<mmsghdr, kBatch> headers;
  std::array<iovec, kBatch> vectors;
  std::size_t sent = 0;
  while (sent < count) {
    std::size_t batch = std::min(kBatch, count - sent);
    for (std::size_t i = 0; i < batch; ++i) {
      const Datagram& datagram = datagrams[sent + i];
      vectors[i] = {const_cast<char*>(datagram.bytes.data()), datagram.bytes.size()};
      headers[i] = {};
      headers[i].msg_hdr.msg_name = const_cast<sockaddr_storage*>(datagram.destination);
      headers[i].msg_hdr.msg_namelen = sockaddr_length(*datagram.destination);
      headers[i].msg_hdr.msg_iov = &vectors[i];
      headers[i].msg_hdr.msg_iovlen = 1;
    }
    int done = ::sendmmsg(impl_->fd, headers.data(), static_cast<unsigned>(batch),
                          MSG_NOSIGNAL | MSG_DONTWAIT);
    if (done < 0) {
      if (errno == EINTR) continue;
      error = system_message(errno);
      return sent;
    }
    sent += static_cast<std::size_t>(done);
    if (static_cast<std::size_t>(done) < batch) {
      // sendmmsg stops at the first datagram that fails; ask again to learn why.
      continue;
    }
  }
  return sent;
}

void SocketServer::set_send_queue_limit(std::size_t bytes) {
  impl_->send_queue_limit = bytes;
}

std::unique_ptr<SocketServer> serve_socket(Protocol protocol, int fd, EventLoop* loop) {
  return std::make_unique<SocketServer>(std::make_unique<SocketServer::Impl>(protocol, fd, loop));
}

}  // namespace oscbridge::socket

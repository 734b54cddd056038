// Connector: resolve, then a non-blocking connect() to each address in turn, one deadline.
#include "socket/connector.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "socket/event_loop.h"
#include "socket/internal.h"
#include "socket/resolver.h"

namespace oscbridge::socket {

struct Connector::Impl {
  Impl(EventLoop& loop_, Resolver& resolver_) : loop(loop_), resolver(resolver_) {}

  EventLoop& loop;
  Resolver& resolver;

  // One attempt's state; reset() returns to idle.
  bool active = false;
  Resolver::RequestId request = 0;  // 0: no lookup pending
  EventLoop::TimerId timer = 0;     // 0: no deadline pending
  int fd = -1;                      // the socket connecting now
  bool watching = false;
  std::vector<sockaddr_storage> addresses;
  std::size_t next = 0;
  int last_error = ECONNREFUSED;
  std::string target;  // "host:port", for messages
  ConnectionLimits limits;
  Connection::Handlers handlers;
  Callback done;

  void close_socket() {
    if (fd < 0) return;
    if (watching) loop.unwatch(fd);
    watching = false;
    ::close(fd);
    fd = -1;
  }

  void reset() {
    if (request != 0) resolver.cancel(request);
    request = 0;
    if (timer != 0) loop.cancel(timer);
    timer = 0;
    close_socket();
    active = false;
    addresses.clear();
    handlers = {};
    done = nullptr;
  }

  // The callback may destroy the Connector or start another attempt: nothing here touches
  // the Impl after it.
  void finish(Result result) {
    Callback callback = std::move(done);
    reset();
    if (callback) callback(std::move(result));
  }

  void fail(std::error_code error, const std::string& reason) {
    finish({nullptr, error, "cannot connect to " + target + ": " + reason});
  }

  void resolved(Resolution resolution) {
    request = 0;
    if (resolution.error) return fail(resolution.error, resolution.message);
    addresses = std::move(resolution.addresses);
    next = 0;
    try_next();
  }

  void try_next() {
    while (next < addresses.size()) {
      const sockaddr_storage& address = addresses[next++];
      fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        last_error = errno;
        continue;
      }
      if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sockaddr_length(address)) ==
          0) {
        return connected();
      }
      if (errno == EINPROGRESS) {
        std::error_code error = loop.watch(fd, EPOLLOUT, [this](std::uint32_t) { writable(); });
        watching = !error;
        if (watching) return;
        errno = error.value();
      }
      last_error = errno;
      close_socket();
    }
    fail(system_error_code(last_error), system_message(last_error));
  }

  void writable() {
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error == 0) return connected();
    last_error = error;
    close_socket();
    try_next();
  }

  void connected() {
    if (watching) loop.unwatch(fd);
    watching = false;
    int connected_fd = fd;
    fd = -1;
    int on = 1;  // writes are gathered per round already
    ::setsockopt(connected_fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    std::unique_ptr<Connection> connection;
    try {
      connection = Connection::adopt(loop, connected_fd, limits, std::move(handlers));
    } catch (const std::system_error& error) {  // adopt closed the descriptor
      return fail(error.code(), error.what());
    }
    finish({std::move(connection), {}, {}});
  }
};

Connector::Connector(EventLoop& loop, Resolver& resolver)
    : impl_(std::make_unique<Impl>(loop, resolver)) {}

Connector::~Connector() {
  impl_->reset();
}

void Connector::connect(std::string_view host, std::uint16_t port,
                        std::chrono::milliseconds timeout, ConnectionLimits limits,
                        Connection::Handlers handlers, Callback done) {
  Impl& impl = *impl_;
  impl.reset();
  impl.active = true;
  impl.limits = limits;
  impl.handlers = std::move(handlers);
  impl.done = std::move(done);
  impl.last_error = ECONNREFUSED;
  bool bare_v6 = host.find(':') != std::string_view::npos && host.front() != '[';
  impl.target =
      (bare_v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
  if (timeout.count() >= 0) {
    impl.timer = impl.loop.run_after(timeout.count(), [&impl] {
      impl.timer = 0;  // firing: nothing to cancel
      impl.fail(Errc::timed_out, "timeout");
    });
  }
  impl.request = impl.resolver.resolve(
      host, port, Protocol::tcp, AF_UNSPEC, timeout,
      [&impl](Resolution resolution) { impl.resolved(std::move(resolution)); });
}

void Connector::cancel() {
  impl_->reset();
}

bool Connector::in_progress() const {
  return impl_->active;
}

}  // namespace oscbridge::socket

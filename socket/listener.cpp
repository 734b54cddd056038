// Listener: a non-blocking accept loop, bounded per wakeup, that survives running out of
// descriptors.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "socket/connection.h"
#include "socket/event_loop.h"
#include "socket/internal.h"
#include "socket/resolve.h"

namespace oscbridge::socket {

namespace {
constexpr int kAcceptsPerWakeup = 64;  // one listener's turn, so connections get theirs
}  // namespace

struct Listener::Impl {
  EventLoop& loop;
  int fd;
  sockaddr_storage local{};
  ConnectionLimits limits;
  // Shared for the same reason as Connection's: a callback may replace or destroy them.
  std::shared_ptr<Handlers> handlers;
  int spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  bool paused = false;
  bool* destroyed = nullptr;  // see Connection::Impl

  Impl(EventLoop& loop_, int fd_, ConnectionLimits limits_, Handlers handlers_)
      : loop(loop_),
        fd(fd_),
        limits(limits_),
        handlers(std::make_shared<Handlers>(std::move(handlers_))) {
    socklen_t length = sizeof local;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
  }

  ~Impl() {
    if (destroyed != nullptr) *destroyed = true;
    if (!paused) loop.unwatch(fd);
    ::close(fd);
    if (spare_fd >= 0) ::close(spare_fd);
  }

  std::error_code start_watching() {
    return loop.watch(fd, EPOLLIN, [this](std::uint32_t) { accept_ready(); });
  }

  // A copy of the function, not of the shared_ptr: it runs when descriptors may have run out,
  // where UBSan cannot check a call on the shared_ptr's polymorphic control block.
  void report(const std::string& message) {
    auto on_error = handlers->on_error;
    if (on_error) on_error(message);
  }

  void accept_ready() {
    bool gone = false;
    bool* outer = destroyed;
    destroyed = &gone;
    accept_bounded(gone);
    if (!gone) destroyed = outer;
  }

  void accept_bounded(const bool& gone) {
    for (int i = 0; i < kAcceptsPerWakeup; ++i) {
      int client = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR || errno == ECONNABORTED) continue;
        int error = errno;
        bool out_of_descriptors = error == EMFILE || error == ENFILE;
        if (out_of_descriptors) drop_pending_connection();
        // Reported while the spare is still given up, so that the handler (and a sanitizer's
        // checks, which open files) has a descriptor to work with.
        report("accept: " + system_message(error));
        if (!gone && out_of_descriptors && spare_fd < 0) {
          spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        }
        return;
      }
      auto current = handlers;
      int on = 1;
      ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      std::unique_ptr<Connection> connection;
      try {
        connection = Connection::adopt(loop, client, limits);
      } catch (const std::exception& error) {  // epoll could not take it; adopt closed it
        report(std::string("accept: ") + error.what());
        if (gone || paused) return;
        continue;
      }
      if (current->on_accept) current->on_accept(std::move(connection));
      if (gone || paused) return;
    }
  }

  // Out of descriptors, a pending client keeps the listener readable and the loop spinning;
  // the spare descriptor is given up long enough to accept and close it.
  void drop_pending_connection() {
    if (spare_fd < 0) return;
    ::close(spare_fd);
    spare_fd = -1;
    int dropped = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (dropped >= 0) ::close(dropped);
  }
};

Listener::Listener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Listener::~Listener() = default;

std::unique_ptr<Listener> Listener::adopt(EventLoop& loop, int fd, ConnectionLimits limits,
                                          Handlers handlers) {
  std::unique_ptr<Listener> listener(
      new Listener(std::make_unique<Impl>(loop, fd, limits, std::move(handlers))));
  if (std::error_code error = listener->impl_->start_watching()) {
    listener->impl_->paused = true;  // not watched: the destructor only closes
    throw std::system_error(error, "watch");
  }
  return listener;
}

Listener::Result Listener::open(EventLoop& loop, std::string_view host, std::uint16_t port,
                                ConnectionLimits limits, Handlers handlers) {
  std::string shown = host.empty() ? "*:" + std::to_string(port)
                      : host.find(':') != std::string_view::npos && host.front() != '['
                          ? "[" + std::string(host) + "]:" + std::to_string(port)
                          : std::string(host) + ":" + std::to_string(port);
  if (!host.empty() && !is_literal_address(host)) {
    return {nullptr, Errc::unresolved,
            "cannot listen on " + shown + ": not a literal address (resolve it first)"};
  }
  auto resolved = resolve(host, port, Protocol::tcp, true, 0);
  if (!resolved.error.empty()) {
    return {nullptr, Errc::unresolved, "cannot listen on " + shown + ": " + resolved.error};
  }
  int last_error = EADDRNOTAVAIL;
  for (const auto& candidate : resolved.addresses) {
    int fd = ::socket(candidate.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    int on = 1;
    int off = 0;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (candidate.storage.ss_family == AF_INET6 && host.empty()) {
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);  // serve IPv4 too
    }
    if (::bind(fd, candidate.get(), candidate.length) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      try {
        return {adopt(loop, fd, limits, std::move(handlers)), {}, {}};
      } catch (const std::system_error& error) {
        return {nullptr, error.code(), "cannot listen on " + shown + ": " + error.what()};
      }
    }
    last_error = errno;
    ::close(fd);
  }
  return {nullptr, system_error_code(last_error),
          "cannot listen on " + shown + ": " + system_message(last_error)};
}

std::uint16_t Listener::local_port() const {
  SocketAddress address;
  address.storage = impl_->local;
  return address_port(address);
}

const sockaddr_storage& Listener::local() const {
  return impl_->local;
}

void Listener::set_limits(ConnectionLimits limits) {
  impl_->limits = limits;
}

void Listener::pause() {
  if (impl_->paused) return;
  impl_->paused = true;
  impl_->loop.unwatch(impl_->fd);
}

void Listener::resume() {
  if (!impl_->paused) return;
  if (std::error_code error = impl_->start_watching()) {
    return impl_->report("cannot accept on " + format_address(impl_->local) + ": " +
                         error.message());
  }
  impl_->paused = false;
}

}  // namespace oscbridge::socket

// Connection: reads bounded per wakeup, writes gathered per loop round.
#include "socket/connection.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <vector>

#include "socket/event_loop.h"
#include "socket/resolve.h"

namespace oscbridge::socket {

namespace {
std::atomic<ConnectionId> next_connection_id{1};
}  // namespace

struct Connection::Impl {
  EventLoop& loop;
  int fd;
  ConnectionId id = next_connection_id.fetch_add(1, std::memory_order_relaxed);
  ConnectionLimits limits;
  // Shared so that a callback that replaces the handlers, or destroys the connection, does
  // not destroy the std::function that is running.
  std::shared_ptr<Handlers> handlers;
  Connection* self = nullptr;
  sockaddr_storage peer{};
  sockaddr_storage local{};

  std::vector<char> read_buffer;  // sized on the first read, reused after
  std::string output;             // unwritten bytes from output_start on
  std::size_t output_start = 0;

  bool open = true;
  bool watched = false;  // registered with the loop (false while paused or closed)
  bool paused = false;
  bool watching_out = false;  // EPOLLOUT in the mask: only while output is left over
  // The one write per round; destroying the connection cancels it.
  RoundEndTask flush_task{loop, [this] { flush(); }};
  // Points at a flag on the stack of a dispatch in progress, which the destructor sets, so
  // the dispatch stops touching the connection when a callback destroyed it.
  bool* destroyed = nullptr;

  Impl(EventLoop& loop_, int fd_, ConnectionLimits limits_, Handlers handlers_)
      : loop(loop_),
        fd(fd_),
        limits(limits_),
        handlers(std::make_shared<Handlers>(std::move(handlers_))) {
    socklen_t length = sizeof peer;
    ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length);
    length = sizeof local;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
    if (limits.read_chunk == 0) limits.read_chunk = 1;
    if (limits.reads_per_wakeup == 0) limits.reads_per_wakeup = 1;
  }

  ~Impl() {
    if (destroyed != nullptr) *destroyed = true;
    close_socket();
  }

  std::size_t queued() const { return output.size() - output_start; }

  std::uint32_t mask() const {
    return EPOLLIN | EPOLLRDHUP | (watching_out ? static_cast<std::uint32_t>(EPOLLOUT) : 0u);
  }

  std::error_code start_watching() {
    std::error_code error =
        loop.watch(fd, mask(), [this](std::uint32_t events) { on_events(events); });
    watched = !error;
    return error;
  }

  void close_socket() {
    if (!open) return;
    open = false;
    if (watched) loop.unwatch(fd);  // before close: the number may be reused at once
    watched = false;
    ::close(fd);
    fd = -1;
    // The output stays, unwritten, so that the owner can tell in on_close (or after close())
    // what was lost; it goes with the connection.
  }

  // Closes and tells the owner; the owner may destroy the connection inside on_close.
  void fail(std::error_code error) {
    close_socket();
    auto current = handlers;
    if (current->on_close) current->on_close(*self, error);
  }

  void set_out_watch(bool on) {
    if (on == watching_out) return;
    watching_out = on;
    if (watched) loop.modify(fd, mask());
  }

  void schedule_flush() {
    if (paused || !open) return;
    flush_task.schedule();
  }

  // The one write of this round: the whole output buffer in one send().
  void flush() {
    if (!open || paused) return;
    std::size_t pending = queued();
    if (pending == 0) return set_out_watch(false);
    ssize_t count = ::send(fd, output.data() + output_start, pending, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (count < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return set_out_watch(true);
      return fail(system_error_code(errno));
    }
    output_start += static_cast<std::size_t>(count);
    if (output_start == output.size()) {
      output.clear();  // keeps its capacity: steady-state sends do not allocate
      output_start = 0;
      return set_out_watch(false);
    }
    // Compacted only once the written part dominates, so a slow peer costs no quadratic
    // copying.
    if (output_start >= output.size() / 2) {
      output.erase(0, output_start);
      output_start = 0;
    }
    set_out_watch(true);
  }

  void on_events(std::uint32_t events) {
    bool gone = false;
    bool* outer = destroyed;
    destroyed = &gone;
    // Writable: the write still happens at the end of the round, with what was sent since.
    if (events & EPOLLOUT) schedule_flush();
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read_bounded(gone);
    if (!gone) destroyed = outer;
  }

  void read_bounded(const bool& gone) {
    if (read_buffer.size() < limits.read_chunk) read_buffer.resize(limits.read_chunk);
    auto current = handlers;
    for (std::size_t i = 0; i < limits.reads_per_wakeup; ++i) {
      ssize_t count = ::recv(fd, read_buffer.data(), limits.read_chunk, 0);
      if (count > 0) {
        if (current->on_data) {
          current->on_data(*self, std::string_view(read_buffer.data(), count));
          if (gone || !open || paused) return;
          current = handlers;  // replaced inside the callback
        }
        if (static_cast<std::size_t>(count) < limits.read_chunk) return;  // drained for now
        continue;
      }
      if (count == 0) return fail(Errc::peer_closed);
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      return fail(system_error_code(errno));
    }
    // The turn is over with data left: level-triggered epoll brings us back next round.
  }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->self = this;
}

Connection::~Connection() = default;

std::unique_ptr<Connection> Connection::adopt(EventLoop& loop, int fd, ConnectionLimits limits,
                                              Handlers handlers) {
  std::unique_ptr<Connection> connection(
      new Connection(std::make_unique<Impl>(loop, fd, limits, std::move(handlers))));
  if (std::error_code error = connection->impl_->start_watching()) {
    throw std::system_error(error, "watch");  // the destructor closes fd
  }
  return connection;
}

ConnectionId Connection::id() const {
  return impl_->id;
}

bool Connection::is_open() const {
  return impl_->open;
}

int Connection::native_handle() const {
  return impl_->open ? impl_->fd : -1;
}

void Connection::set_handlers(Handlers handlers) {
  impl_->handlers = std::make_shared<Handlers>(std::move(handlers));
}

void Connection::set_queue_limit(std::size_t bytes) {
  impl_->limits.queue_limit = bytes;
}

std::error_code Connection::send(std::string_view data) {
  Impl& impl = *impl_;
  if (!impl.open) return Errc::closed;
  std::size_t queued = impl.queued();
  if (queued > 0 && queued + data.size() > impl.limits.queue_limit) return Errc::queue_full;
  impl.output.append(data);
  impl.schedule_flush();
  return {};
}

std::size_t Connection::queued_bytes() const {
  return impl_->queued();
}

void Connection::close() {
  impl_->close_socket();
}

void Connection::flush_and_close() {
  Impl& impl = *impl_;
  if (impl.open && impl.queued() > 0) {
    [[maybe_unused]] ssize_t ignored = ::send(impl.fd, impl.output.data() + impl.output_start,
                                              impl.queued(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  impl.close_socket();
}

void Connection::pause() {
  Impl& impl = *impl_;
  if (!impl.open || impl.paused) return;
  impl.paused = true;
  impl.loop.unwatch(impl.fd);
  impl.watched = false;
}

void Connection::resume() {
  Impl& impl = *impl_;
  if (!impl.open || !impl.paused) return;
  impl.paused = false;
  if (std::error_code error = impl.start_watching()) return impl.fail(error);
  if (impl.queued() > 0) impl.schedule_flush();
}

const sockaddr_storage& Connection::peer() const {
  return impl_->peer;
}

const sockaddr_storage& Connection::local() const {
  return impl_->local;
}

std::string Connection::peer_text() const {
  return format_address(impl_->peer);
}

}  // namespace oscbridge::socket

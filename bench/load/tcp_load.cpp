#include "bench/load/tcp_load.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "bench/load/clocks.h"

namespace oscbridge::load {
namespace {

constexpr std::size_t kSlotBytes = 256;
// Larger than any message of the plan: a longer frame is a malformed one.
constexpr std::size_t kMaxFrame = 2048;
constexpr std::size_t kReadBytes = 256 * 1024;
// Generous, so that the measuring side is never what slows the router down.
constexpr int kReceiveBufferBytes = 8 << 20;
// How often an idle receiver looks at the deadline.
constexpr int kPollMilliseconds = 20;

std::system_error system_failure(const std::string& what) {
  return std::system_error(errno, std::generic_category(), what);
}

void set_option(int fd, int level, int name, const void* value, socklen_t size, const char* what) {
  if (::setsockopt(fd, level, name, value, size) != 0) throw system_failure(what);
}

}  // namespace

OwnedFd::~OwnedFd() {
  reset();
}

OwnedFd& OwnedFd::operator=(OwnedFd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

void OwnedFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

SlipLoadSender::SlipLoadSender(const LoopbackEndpoint& target, const RoutePlan& plan,
                               unsigned batch_size, std::chrono::microseconds tick)
    : target_(target),
      batch_size_(batch_size),
      tick_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(tick).count()),
      socket_(::socket(target.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  if (!socket_) throw system_failure("socket");
  for (const PlannedTarget& planned : plan.targets()) {
    templates_.emplace_back(planned.input_address);
    if (templates_.back().size() > kSlotBytes) {
      throw std::invalid_argument("address too long: " + planned.input_address);
    }
  }
  int on = 1;
  set_option(socket_.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on, "TCP_NODELAY");
  // Blocking writes that give up after a while, so a stall is noticed.
  timeval wait{0, 100'000};
  set_option(socket_.get(), SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof wait, "SO_SNDTIMEO");
  if (::connect(socket_.get(), reinterpret_cast<const sockaddr*>(&target.address), target.length) !=
      0) {
    throw system_failure("connect to " + target.text());
  }
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
}

void SlipLoadSender::write_all(const std::vector<std::byte>& bytes) {
  std::size_t offset = 0;
  std::int64_t give_up = monotonic_ns() + std::int64_t{kStallSeconds} * 1'000'000'000;
  while (offset < bytes.size()) {
    ssize_t written =
        ::send(socket_.get(), bytes.data() + offset, bytes.size() - offset, MSG_NOSIGNAL);
    if (written > 0) {
      offset += static_cast<std::size_t>(written);
      continue;
    }
    if (written < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (monotonic_ns() > give_up) {
        throw std::runtime_error("the router at " + target_.text() + " took nothing for " +
                                 std::to_string(kStallSeconds) + " s");
      }
      continue;
    }
    throw system_failure("send to " + target_.text());
  }
}

SendSummary SlipLoadSender::run(double rate, std::uint64_t count) {
  std::vector<std::byte> slot(kSlotBytes);
  std::vector<std::byte> frames;
  frames.reserve(std::size_t{batch_size_} * (2 * kSlotBytes + 2));

  const double nanoseconds_per_message = 1e9 / rate;
  const std::int64_t start = monotonic_ns();
  SendSummary summary;
  summary.first_send_ns = realtime_ns();
  std::uint64_t sent = 0;
  while (sent < count) {
    std::int64_t now = monotonic_ns();
    auto due = std::min<std::uint64_t>(
        count,
        static_cast<std::uint64_t>(static_cast<double>(now - start) / nanoseconds_per_message) + 1);
    while (sent < due) {
      auto batch = static_cast<unsigned>(std::min<std::uint64_t>(due - sent, batch_size_));
      std::int64_t timestamp = realtime_ns();
      frames.clear();
      for (unsigned i = 0; i < batch; ++i) {
        std::uint64_t sequence = sent + i;
        const LoadMessageTemplate& message = templates_[sequence % templates_.size()];
        message.write(slot, RoutePlan::input_value(sequence), static_cast<std::int64_t>(sequence),
                      timestamp);
        append_slip_frame(frames, std::span(slot.data(), message.size()));
      }
      write_all(frames);
      sent += batch;
    }
    if (sent >= count) break;
    auto next_due = start + static_cast<std::int64_t>(
                                std::ceil(static_cast<double>(sent) * nanoseconds_per_message));
    std::int64_t wake = std::max(next_due, now + tick_ns_);
    timespec until{wake / 1'000'000'000, wake % 1'000'000'000};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr);
  }
  summary.sent = sent;
  summary.seconds = static_cast<double>(monotonic_ns() - start) / 1e9;
  return summary;
}

SlipLoadReceiver::SlipLoadReceiver(const LoopbackEndpoint& listen, const RoutePlan& plan,
                                   std::uint64_t message_count, Expectation expectation)
    : checker_(plan, message_count, expectation),
      listener_(::socket(listen.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)),
      deframer_(kMaxFrame),
      deadline_ns_(std::numeric_limits<std::int64_t>::max()),
      buffer_(kReadBytes) {
  if (!listener_) throw system_failure("socket");
  int on = 1;
  set_option(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on, "SO_REUSEADDR");
  // Set on the listener, before listen(), so that accepted sockets inherit it
  // and the window scale is chosen for it.
  int bytes = kReceiveBufferBytes;
  if (::setsockopt(listener_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    ::setsockopt(listener_.get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  if (::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&listen.address), listen.length) !=
      0) {
    throw system_failure("bind " + listen.text());
  }
  if (::listen(listener_.get(), 4) != 0) throw system_failure("listen " + listen.text());
}

bool SlipLoadReceiver::accept_one() {
  int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) {
      return false;
    }
    throw system_failure("accept");
  }
  OwnedFd accepted(fd);
  int on = 1;
  set_option(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on, "SO_TIMESTAMPNS");
  ++accepted_;
  deframer_.reset();
  connection_ = std::move(accepted);
  return true;
}

void SlipLoadReceiver::accept_router(std::chrono::milliseconds timeout) {
  std::int64_t give_up =
      monotonic_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  while (monotonic_ns() < give_up) {
    pollfd waiting{listener_.get(), POLLIN, 0};
    int ready = ::poll(&waiting, 1, kPollMilliseconds);
    if (ready < 0 && errno != EINTR) throw system_failure("poll");
    if (ready > 0 && accept_one()) return;
  }
  throw std::runtime_error("the router did not connect within " + std::to_string(timeout.count()) +
                           " ms");
}

void SlipLoadReceiver::read_available() {
  ReceiveTally& tally = checker_.tally();
  constexpr std::size_t kControlBytes = CMSG_SPACE(sizeof(timespec)) * 2;
  alignas(cmsghdr) std::byte control[kControlBytes];
  // Bounded: a router that writes faster than this loop reads still lets the
  // caller look at its deadline every few reads.
  for (int reads = 0; reads < 16; ++reads) {
    iovec vector{buffer_.data(), buffer_.size()};
    msghdr header{};
    header.msg_iov = &vector;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = kControlBytes;
    ssize_t size = ::recvmsg(connection_.get(), &header, MSG_DONTWAIT);
    if (size < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      // A reset is handled as a close: the router may connect again.
      if (errno != ECONNRESET) throw system_failure("recvmsg");
      size = 0;
    }
    if (size == 0) {
      connection_.reset();
      deframer_.reset();
      return;
    }
    std::int64_t now = realtime_ns();
    std::int64_t arrival = kernel_timestamp(header);
    std::uint64_t frames = 0;
    deframer_.feed(std::span(buffer_.data(), static_cast<std::size_t>(size)),
                   [&](std::span<const std::byte> packet) {
                     ++frames;
                     checker_.account(packet, arrival != 0 ? arrival : now);
                   });
    if (arrival == 0) tally.unstamped += frames;
    if (frames > 0) tally.last_receive_ns = now;
    if (static_cast<std::size_t>(size) < buffer_.size()) return;
  }
}

void SlipLoadReceiver::run() {
  while (!checker_.complete() && monotonic_ns() < deadline_ns_.load()) {
    pollfd waiting[2] = {{listener_.get(), POLLIN, 0}, {connection_.get(), POLLIN, 0}};
    int ready = ::poll(waiting, connection_ ? 2 : 1, kPollMilliseconds);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw system_failure("poll");
    }
    if (connection_ && (waiting[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) read_available();
    if ((waiting[0].revents & POLLIN) != 0) accept_one();
  }
  // A frame still open here was cut by the deadline, not by the router.
  checker_.tally().malformed += deframer_.malformed();
}

}  // namespace oscbridge::load

// raw-forwarder: the floor of what forwarding a UDP datagram costs on this
// machine, the reference row of bench/load/run.sh.
//   raw-forwarder --listen HOST:PORT --send HOST:PORT [--batch 64] [--max-seconds S] [--epoll]
// One thread: a blocking recvmmsg (MSG_WAITFORONE, up to --batch datagrams)
// and one sendmmsg of the same buffers, unchanged, to the destination. No
// parsing, no routing, no copy, no event loop: whatever a router does beyond
// this is the price of its routing and its design. Its receive buffer is the
// 4 MiB oscbridge asks for, so both lose datagrams at the same queue depth. It
// sends from its own unconnected socket with the destination in each message,
// as a router's send-only endpoint does. With --epoll it waits in epoll_wait and
// reads without blocking, as an event loop serving many sockets must: the floor
// of any event-loop design (raw-forwarder-epoll). Runs until SIGINT/SIGTERM or
// --max-seconds, then prints its counters on stderr.
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "bench/load/cli_options.h"
#include "bench/load/clocks.h"
#include "bench/load/loopback.h"

namespace {

using namespace oscbridge::load;

// The largest UDP payload: every datagram is forwarded whole.
constexpr std::size_t kSlotBytes = 65536;
// What oscbridge asks for on its listening sockets (socket/server.cpp).
constexpr int kReceiveBufferBytes = 4 << 20;
// How often an idle forwarder looks at its stop flag and time limit: a stop
// signal interrupts the wait at once, this only bounds the rare signal that
// lands between the check and the call.
constexpr long kIdleWakeMicroseconds = 200'000;

volatile sig_atomic_t stop_requested = 0;

extern "C" void request_stop(int) {
  stop_requested = 1;
}

struct Counters {
  unsigned long long received = 0;
  unsigned long long forwarded = 0;
  unsigned long long truncated = 0;
  unsigned long long send_errors = 0;
  unsigned long long receive_calls = 0;
};

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocked recvmmsg returns EINTR
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// Sends headers[0..count) with as few sendmmsg calls as the kernel allows. A
// datagram the kernel refuses is counted and skipped.
void send_all(int fd, mmsghdr* headers, unsigned count, Counters& counters) {
  unsigned done = 0;
  // Bounded: every round sends at least one datagram or skips one.
  while (done < count) {
    int sent = sendmmsg(fd, headers + done, count - done, 0);
    if (sent > 0) {
      done += static_cast<unsigned>(sent);
      counters.forwarded += static_cast<unsigned>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) {
      if (stop_requested) return;
      continue;
    }
    ++counters.send_errors;
    ++done;
  }
}

int run(int argc, char** argv) {
  CliOptions options(argc, argv, 1, {"listen", "send", "batch", "max-seconds"}, {"epoll"});
  if (!options.has("listen") || !options.has("send")) {
    throw std::invalid_argument(
        "usage: raw-forwarder --listen HOST:PORT --send HOST:PORT [--batch 64] "
        "[--max-seconds S] [--epoll]");
  }
  LoopbackEndpoint listen = parse_loopback_endpoint(options.text("listen", ""));
  LoopbackEndpoint destination = parse_loopback_endpoint(options.text("send", ""));
  auto batch = static_cast<unsigned>(options.integer("batch", 64, 1, 1024));
  std::uint64_t max_seconds = options.integer("max-seconds", 0, 0, 86400);
  std::int64_t deadline =
      max_seconds > 0 ? monotonic_ns() + static_cast<std::int64_t>(max_seconds) * 1'000'000'000
                      : std::numeric_limits<std::int64_t>::max();

  install_stop_handlers();
  UdpSocket input(listen.address.ss_family);
  input.grow_receive_buffer(kReceiveBufferBytes);
  timeval idle{0, kIdleWakeMicroseconds};
  if (setsockopt(input.fd(), SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle) != 0) {
    throw std::system_error(errno, std::generic_category(), "SO_RCVTIMEO");
  }
  input.bind_to(listen);
  UdpSocket output(destination.address.ss_family);
  // --epoll: wait in epoll_wait and read without blocking, as an event loop that serves more
  // than one socket must: the floor of any event-loop router, one system call per round more.
  const bool use_epoll = options.has("epoll");
  int epoll_fd = -1;
  if (use_epoll) {
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    epoll_event event{};
    event.events = EPOLLIN;
    if (epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, input.fd(), &event) != 0) {
      throw std::system_error(errno, std::generic_category(), "epoll");
    }
  }

  // One set of buffers: what recvmmsg fills, sendmmsg sends.
  std::vector<std::byte> slots(std::size_t{batch} * kSlotBytes);
  std::vector<iovec> receive_vectors(batch);
  std::vector<iovec> send_vectors(batch);
  std::vector<mmsghdr> receive_headers(batch);
  std::vector<mmsghdr> send_headers(batch);
  for (unsigned i = 0; i < batch; ++i) {
    std::byte* slot = slots.data() + std::size_t{i} * kSlotBytes;
    receive_vectors[i] = {slot, kSlotBytes};
    send_vectors[i] = {slot, 0};
    send_headers[i].msg_hdr.msg_iov = &send_vectors[i];
    send_headers[i].msg_hdr.msg_iovlen = 1;
    send_headers[i].msg_hdr.msg_name = &destination.address;
    send_headers[i].msg_hdr.msg_namelen = destination.length;
  }
  std::fprintf(stderr, "raw-forwarder: UDP %s -> %s, batches of %u\n", listen.text().c_str(),
               destination.text().c_str(), batch);

  Counters counters;
  while (!stop_requested && monotonic_ns() < deadline) {
    for (unsigned i = 0; i < batch; ++i) {
      receive_headers[i].msg_hdr = {};
      receive_headers[i].msg_hdr.msg_iov = &receive_vectors[i];
      receive_headers[i].msg_hdr.msg_iovlen = 1;
    }
    if (use_epoll) {
      epoll_event event{};
      int ready = epoll_wait(epoll_fd, &event, 1, static_cast<int>(kIdleWakeMicroseconds / 1000));
      if (ready <= 0) continue;
    }
    int count = recvmmsg(input.fd(), receive_headers.data(), batch,
                         use_epoll ? MSG_DONTWAIT : MSG_WAITFORONE, nullptr);
    ++counters.receive_calls;
    if (count < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "recvmmsg");
    }
    unsigned out = 0;
    for (int i = 0; i < count; ++i) {
      ++counters.received;
      if ((receive_headers[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        ++counters.truncated;
        continue;
      }
      // Keeps the datagram in its slot; only the length changes per message.
      send_vectors[out].iov_base = receive_vectors[i].iov_base;
      send_vectors[out].iov_len = receive_headers[i].msg_len;
      ++out;
    }
    send_all(output.fd(), send_headers.data(), out, counters);
  }

  std::fprintf(stderr,
               "raw-forwarder: received=%llu forwarded=%llu truncated=%llu send_errors=%llu "
               "recvmmsg_calls=%llu\n",
               counters.received, counters.forwarded, counters.truncated, counters.send_errors,
               counters.receive_calls);
  if (epoll_fd >= 0) close(epoll_fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::invalid_argument& error) {
    std::fprintf(stderr, "raw-forwarder: %s\n", error.what());
    return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "raw-forwarder: %s\n", error.what());
    return 1;
  }
}

#include "bench/load/load_receiver.h"

#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <system_error>

#include "bench/load/clocks.h"
#include "bench/load/load_codec.h"

namespace oscbridge::load {
namespace {

constexpr unsigned kBatch = 64;
// Larger than any message of the plan, so a truncated datagram is a malformed one.
constexpr std::size_t kSlotBytes = 2048;
// How often an idle receiver looks at the deadline.
constexpr long kPollMicroseconds = 20'000;
// After a partial batch the receiver sleeps this long to let datagrams gather:
// the kernel stamps each one on arrival, so reading late does not change the
// latency measured, and it saves the wakeup per message that would otherwise
// take CPU from the router on a small machine.
constexpr timespec kGatherTime{0, 1'000'000};
// Generous, so that the measuring side is never where datagrams are dropped.
constexpr int kReceiveBufferBytes = 32 << 20;

}  // namespace

std::int64_t kernel_timestamp(msghdr& header) {
  for (cmsghdr* control = CMSG_FIRSTHDR(&header); control != nullptr;
       control = CMSG_NXTHDR(&header, control)) {
    if (control->cmsg_level == SOL_SOCKET && control->cmsg_type == SCM_TIMESTAMPNS) {
      timespec stamp{};
      std::memcpy(&stamp, CMSG_DATA(control), sizeof stamp);
      return std::int64_t{stamp.tv_sec} * 1'000'000'000 + stamp.tv_nsec;
    }
  }
  return 0;
}

ForwardChecker::ForwardChecker(const RoutePlan& plan, std::uint64_t message_count,
                               Expectation expectation)
    : plan_(plan),
      message_count_(message_count),
      expectation_(expectation),
      seen_(message_count, false) {
  tally_.latencies_ns.reserve(message_count);
}

LoadReceiver::LoadReceiver(const LoopbackEndpoint& listen, const RoutePlan& plan,
                           std::uint64_t message_count, Expectation expectation)
    : checker_(plan, message_count, expectation),
      socket_(listen.address.ss_family),
      deadline_ns_(std::numeric_limits<std::int64_t>::max()) {
  socket_.grow_receive_buffer(kReceiveBufferBytes);
  int on = 1;
  if (setsockopt(socket_.fd(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
    throw std::system_error(errno, std::generic_category(), "SO_TIMESTAMPNS");
  }
  timeval poll{0, kPollMicroseconds};
  if (setsockopt(socket_.fd(), SOL_SOCKET, SO_RCVTIMEO, &poll, sizeof poll) != 0) {
    throw std::system_error(errno, std::generic_category(), "SO_RCVTIMEO");
  }
  socket_.bind_to(listen);
}

void LoadReceiver::run() {
  std::vector<std::byte> slots(std::size_t{kBatch} * kSlotBytes);
  constexpr std::size_t kControlBytes = CMSG_SPACE(sizeof(timespec));
  std::vector<std::byte> controls(std::size_t{kBatch} * kControlBytes);
  iovec vectors[kBatch];
  mmsghdr headers[kBatch];

  ReceiveTally& tally = checker_.tally();
  while (!checker_.complete() && monotonic_ns() < deadline_ns_.load()) {
    for (unsigned i = 0; i < kBatch; ++i) {
      vectors[i] = {slots.data() + std::size_t{i} * kSlotBytes, kSlotBytes};
      headers[i] = {};
      headers[i].msg_hdr.msg_iov = &vectors[i];
      headers[i].msg_hdr.msg_iovlen = 1;
      headers[i].msg_hdr.msg_control = controls.data() + std::size_t{i} * kControlBytes;
      headers[i].msg_hdr.msg_controllen = kControlBytes;
    }
    int count = recvmmsg(socket_.fd(), headers, kBatch, MSG_WAITFORONE, nullptr);
    if (count < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "recvmmsg");
    }
    std::int64_t now = realtime_ns();
    for (int i = 0; i < count; ++i) {
      msghdr& header = headers[i].msg_hdr;
      if ((header.msg_flags & MSG_TRUNC) != 0) {
        ++tally.malformed;
        continue;
      }
      std::int64_t arrival = kernel_timestamp(header);
      if (arrival == 0) {
        ++tally.unstamped;
        arrival = now;
      }
      checker_.account({static_cast<const std::byte*>(vectors[i].iov_base), headers[i].msg_len},
                       arrival);
    }
    tally.last_receive_ns = now;
    if (count < static_cast<int>(kBatch)) nanosleep(&kGatherTime, nullptr);
  }
}

void ForwardChecker::account(std::span<const std::byte> packet, std::int64_t arrival_ns) {
  auto message = decode_forwarded(packet);
  if (!message) {
    ++tally_.malformed;
    return;
  }
  if (message->sequence < 0 || static_cast<std::uint64_t>(message->sequence) >= message_count_) {
    ++tally_.foreign;
    return;
  }
  auto sequence = static_cast<std::uint64_t>(message->sequence);
  if (seen_[sequence]) {
    ++tally_.duplicates;
    return;
  }
  seen_[sequence] = true;
  ++tally_.received;
  tally_.latencies_ns.push_back(arrival_ns - message->timestamp_ns);
  const PlannedTarget& target = plan_.target_for(sequence);
  if (expectation_ == Expectation::unchanged) {
    // Forwarded byte for byte: the address and the float as sent.
    if (message->address != target.input_address) ++tally_.misrouted;
    if (message->value != static_cast<double>(RoutePlan::input_value(sequence))) {
      ++tally_.bad_values;
    }
    return;
  }
  if (message->address != target.output_address) ++tally_.misrouted;
  if (std::abs(message->value - RoutePlan::expected_output(sequence)) > 1.0) ++tally_.bad_values;
}

}  // namespace oscbridge::load

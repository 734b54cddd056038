#include "bench/load/load_sender.h"

#include <sys/prctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <stdexcept>
#include <system_error>

#include "bench/load/clocks.h"

namespace oscbridge::load {
namespace {

constexpr std::size_t kSlotBytes = 256;

}  // namespace

LoadSender::LoadSender(const LoopbackEndpoint& target, const RoutePlan& plan, unsigned batch_size,
                       std::chrono::microseconds tick)
    : target_(target),
      batch_size_(batch_size),
      tick_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(tick).count()),
      socket_(target.address.ss_family) {
  for (const PlannedTarget& planned : plan.targets()) {
    templates_.emplace_back(planned.input_address);
    if (templates_.back().size() > kSlotBytes) {
      throw std::invalid_argument("address too long: " + planned.input_address);
    }
  }
  // The tick, not the kernel's default 50 µs timer slack, should set the pacing.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
}

SendSummary LoadSender::run(double rate, std::uint64_t count) {
  std::vector<std::byte> slots(std::size_t{batch_size_} * kSlotBytes);
  std::vector<iovec> vectors(batch_size_);
  std::vector<mmsghdr> headers(batch_size_);
  for (unsigned i = 0; i < batch_size_; ++i) {
    vectors[i].iov_base = slots.data() + std::size_t{i} * kSlotBytes;
    headers[i].msg_hdr.msg_iov = &vectors[i];
    headers[i].msg_hdr.msg_iovlen = 1;
    headers[i].msg_hdr.msg_name = &target_.address;
    headers[i].msg_hdr.msg_namelen = target_.length;
  }

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
      for (unsigned i = 0; i < batch; ++i) {
        std::uint64_t sequence = sent + i;
        const LoadMessageTemplate& message = templates_[sequence % templates_.size()];
        message.write({static_cast<std::byte*>(vectors[i].iov_base), kSlotBytes},
                      RoutePlan::input_value(sequence), static_cast<std::int64_t>(sequence),
                      timestamp);
        vectors[i].iov_len = message.size();
      }
      int result = sendmmsg(socket_.fd(), headers.data(), batch, 0);
      if (result < 0) {
        if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) continue;
        throw std::system_error(errno, std::generic_category(), "sendmmsg to " + target_.text());
      }
      sent += static_cast<unsigned>(result);
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

}  // namespace oscbridge::load

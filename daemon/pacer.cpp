#include "daemon/pacer.h"

#include <algorithm>
#include <cmath>

namespace oscbridge::daemon {

namespace {
using Clock = Pacer::Clock;

Clock::duration period_of(double hz) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / hz));
}

// 10 ms worth of messages may leave together: few enough that a receiver's buffer takes them,
// many enough that a fast pace is not one timer wakeup per message.
std::size_t burst_of(double hz) {
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(hz / 100.0)));
}

// A timer that fires should find its packets due; this much is the least it waits, so a
// schedule that says "now" can never make the timer spin.
constexpr auto kMinimumWait = std::chrono::microseconds(50);
}  // namespace

Pacer::Pacer(double hz, std::size_t max_messages)
    : period_(period_of(hz)), burst_(burst_of(hz)), max_messages_(max_messages) {}

void Pacer::set_limits(double hz, std::size_t max_messages) {
  period_ = period_of(hz);
  burst_ = burst_of(hz);
  max_messages_ = max_messages;
}

Clock::time_point Pacer::start(Clock::time_point now, bool draining) const {
  const auto floor = draining ? now - static_cast<Clock::rep>(burst_) * period_ : now;
  return std::max(tat_, floor);
}

bool Pacer::may_leave(std::size_t messages, Clock::time_point now, bool draining) const {
  // A bundle of more messages than a burst leaves once the schedule has caught up with now,
  // and puts the next packet further back by all of its messages.
  const std::size_t weight = std::min(messages, burst_);
  return start(now, draining) - now <= static_cast<Clock::rep>(burst_ - weight) * period_;
}

void Pacer::leave(std::size_t messages, Clock::time_point now, bool draining) {
  tat_ = start(now, draining) + static_cast<Clock::rep>(messages) * period_;
}

Pacer::Admit Pacer::admit(const OutgoingPacket& packet, Clock::time_point now) {
  const std::size_t messages = std::max<std::size_t>(1, packet.messages);
  if (count_ == 0 && may_leave(messages, now, false)) {
    leave(messages, now, false);
    return Admit::now;
  }
  if (queued_messages_ + messages > max_messages_) return Admit::full;
  if (count_ == slots_.size()) {
    // Grow the ring, oldest first, keeping every slot's buffer.
    std::rotate(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(head_), slots_.end());
    head_ = 0;
    slots_.resize(std::max<std::size_t>(16, slots_.size() * 2));
  }
  Slot& slot = slots_[(head_ + count_) % slots_.size()];
  slot.bytes.assign(packet.bytes);
  slot.messages = messages;
  slot.has_origin = packet.origin != nullptr;
  if (slot.has_origin) slot.origin = *packet.origin;
  ++count_;
  queued_messages_ += messages;
  return Admit::queued;
}

std::optional<Clock::time_point> Pacer::next_release() const {
  if (count_ == 0) return std::nullopt;
  const std::size_t together = std::min(burst_, queued_messages_);
  return tat_ - static_cast<Clock::rep>(burst_ - together) * period_;
}

PacedOutput::PacedOutput(socket::EventLoop& loop, Endpoint& endpoint, double hz,
                         std::size_t max_messages)
    : loop_(loop), endpoint_(endpoint), pacer_(hz, max_messages) {}

PacedOutput::~PacedOutput() {
  if (timer_ != 0) loop_.cancel(timer_);
}

bool PacedOutput::submit(const OutgoingPacket& packet) {
  switch (pacer_.admit(packet, Clock::now())) {
    case Pacer::Admit::now:
      return endpoint_.send(packet);
    case Pacer::Admit::queued:
      arm();
      return true;
    case Pacer::Admit::full:
      break;
  }
  endpoint_.drop(
      DropReason::pace_full, packet.messages,
      "pace queue full (" + std::to_string(pacer_.queued_messages()) + " messages waiting)");
  return false;
}

void PacedOutput::set_limits(double hz, std::size_t max_messages) {
  pacer_.set_limits(hz, max_messages);
  if (timer_ != 0) loop_.cancel(timer_);
  timer_ = 0;
  arm();
}

void PacedOutput::flush() {
  if (timer_ != 0) loop_.cancel(timer_);
  timer_ = 0;
  pacer_.drain([this](const OutgoingPacket& packet) { endpoint_.send(packet); });
}

void PacedOutput::on_timer() {
  timer_ = 0;
  pacer_.release(Clock::now(), [this](const OutgoingPacket& packet) { endpoint_.send(packet); });
  arm();
}

void PacedOutput::arm() {
  if (timer_ != 0) return;  // an earlier wakeup releases what it can and arms again
  const auto at = pacer_.next_release();
  if (!at) return;
  const auto wait = std::max<Clock::duration>(*at - Clock::now(), kMinimumWait);
  timer_ = loop_.run_after(wait, [this] { on_timer(); });
}

}  // namespace oscbridge::daemon

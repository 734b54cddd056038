#include "daemon/scheduler.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace oscbridge::daemon {

std::optional<osc::TimeTag> bundle_time(std::string_view packet) {
  if (packet.size() < 16 || packet.substr(0, 8) != std::string_view("#bundle\0", 8)) {
    return std::nullopt;
  }
  std::uint64_t ntp = 0;
  for (std::size_t i = 8; i < 16; ++i) ntp = (ntp << 8) | static_cast<unsigned char>(packet[i]);
  return osc::TimeTag(ntp);
}

ScheduleQueue::ScheduleQueue(std::size_t capacity) : capacity_(capacity) {
  // The index vectors never grow past capacity: reserved once, so push() allocates only when a
  // slot is made for the first time.
  heap_.reserve(capacity);
  free_.reserve(capacity);
}

bool ScheduleQueue::later(std::uint32_t a, std::uint32_t b) const {
  const Slot& x = slots_[a];
  const Slot& y = slots_[b];
  return x.due != y.due ? x.due > y.due : x.sequence > y.sequence;
}

bool ScheduleQueue::push(Time due, const Origin& origin, std::string_view packet) {
  // Slots in use include one being released (release_due frees it after its call).
  const std::size_t in_use = slots_.size() - free_.size();
  if (in_use >= capacity_ || held_bytes_ + packet.size() > kMaxHeldBytes) return false;
  std::uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    slots_.back().packet.reserve(kSlotBytes);
    // heap_ and free_ may have been reserved for a smaller capacity before set_capacity().
    if (heap_.capacity() < slots_.size()) heap_.reserve(capacity_);
    if (free_.capacity() < slots_.size()) free_.reserve(capacity_);
  }
  Slot& slot = slots_[index];
  slot.due = due;
  slot.sequence = next_sequence_++;
  slot.origin = origin;
  slot.packet.assign(packet);
  held_bytes_ += packet.size();
  heap_.push_back(index);
  std::push_heap(heap_.begin(), heap_.end(),
                 [this](std::uint32_t a, std::uint32_t b) { return later(a, b); });
  return true;
}

std::optional<ScheduleQueue::Time> ScheduleQueue::earliest() const {
  if (heap_.empty()) return std::nullopt;
  return slots_[heap_.front()].due;
}

std::size_t ScheduleQueue::release_due(
    Time now, const std::function<void(const Origin&, std::string_view)>& release) {
  while (!heap_.empty() && slots_[heap_.front()].due <= now) {
    std::pop_heap(heap_.begin(), heap_.end(),
                  [this](std::uint32_t a, std::uint32_t b) { return later(a, b); });
    const std::uint32_t index = heap_.back();
    heap_.pop_back();
    // The slot stays out of free_ while release runs, so a push() from inside cannot reuse it.
    release(slots_[index].origin, slots_[index].packet);
    Slot& slot = slots_[index];
    held_bytes_ -= slot.packet.size();
    if (slot.packet.capacity() > kSlotBytes * 8) {
      std::string().swap(slot.packet);  // a rare large bundle does not keep its memory
      slot.packet.reserve(kSlotBytes);
    } else {
      slot.packet.clear();
    }
    free_.push_back(index);
  }
  return heap_.size();
}

Scheduler::Scheduler(socket::EventLoop& loop, std::size_t capacity, Release release)
    : loop_(loop), queue_(capacity), release_(std::move(release)) {
  timer_fd_ = ::timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0) throw std::system_error(errno, std::generic_category(), "timerfd_create");
  watch_ = socket::IoWatch(loop_, timer_fd_, socket::IoWatch::readable,
                           [this](socket::IoWatch::Ready) { fire(); });
  if (watch_.error()) {
    ::close(timer_fd_);
    throw std::system_error(watch_.error(), "watching the schedule timer");
  }
}

Scheduler::~Scheduler() {
  watch_.reset();
  ::close(timer_fd_);
}

Scheduler::Decision Scheduler::offer(const Origin& origin, std::string_view packet, Time now,
                                     std::chrono::milliseconds max_ahead) {
  const auto time = bundle_time(packet);
  if (!time || time->is_immediately()) return Decision::now;
  const Time due = time->to_time_point();
  if (due <= now) return Decision::now;
  if (due - now > max_ahead) return Decision::too_far;
  if (!queue_.push(due, origin, packet)) return Decision::full;
  arm();
  return Decision::held;
}

void Scheduler::arm() {
  const auto earliest = queue_.earliest();
  if (earliest == armed_for_) return;
  armed_for_ = earliest;
  itimerspec spec{};  // all zero: disarmed
  if (earliest) {
    const auto since_epoch = earliest->time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    spec.it_value.tv_sec = static_cast<time_t>(seconds.count());
    spec.it_value.tv_nsec = static_cast<long>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds).count());
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  }
  ::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec, nullptr);
}

void Scheduler::fire() {
  std::uint64_t expirations = 0;
  // ECANCELED: the wall clock was set; whatever is due now is released and the timer re-armed.
  // Either way the read only empties the timerfd, so its result changes nothing.
  if (::read(timer_fd_, &expirations, sizeof expirations) < 0) expirations = 0;
  armed_for_.reset();
  queue_.release_due(std::chrono::system_clock::now(), release_);
  arm();
}

}  // namespace oscbridge::daemon

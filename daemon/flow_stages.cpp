#include "daemon/flow_stages.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "osc/packet.h"

namespace oscbridge::daemon {

namespace {

// A button press: repeating it is the point, so neither on_change nor deadband may drop it.
bool is_trigger(const osc::Message& message) {
  return message.type_tags().find_first_not_of("TFNI") == std::string_view::npos;
}

bool is_numeric(char tag) {
  return tag == 'i' || tag == 'f' || tag == 'd' || tag == 'h';
}

double number(const osc::Argument& argument) {
  switch (argument.tag()) {
    case 'i':
      return argument.as_int32();
    case 'f':
      return argument.as_float();
    case 'd':
      return argument.as_double();
    case 'h':
      return static_cast<double>(argument.as_int64());
    default:
      return 0.0;
  }
}

// Whether message differs from last only by numeric arguments each less than width away.
// Messages without a numeric argument are never within a deadband (on_change handles those).
bool within_deadband(const osc::Message& message, const osc::Message& last, double width) {
  if (message.type_tags() != last.type_tags()) return false;
  bool numeric = false;
  auto other = last.arguments().begin();
  for (const osc::Argument& argument : message.arguments()) {
    const osc::Argument previous = *other;
    ++other;
    if (is_numeric(argument.tag())) {
      numeric = true;
      // NaN compares false: it always passes.
      if (!(std::fabs(number(argument) - number(previous)) < width)) return false;
    } else if (argument.raw() != previous.raw()) {
      return false;
    }
  }
  return numeric;
}

// The address of an encoded message: its first string.
std::string_view address_of(std::string_view message) {
  return message.substr(0, message.find('\0'));
}

}  // namespace

ChangeFilter::ChangeFilter(bool on_change, std::optional<double> deadband, std::size_t capacity)
    : on_change_(on_change), deadband_(deadband), last_(capacity) {}

bool ChangeFilter::process(const Outgoing& outgoing) {
  auto parsed = osc::parse_packet(outgoing.message);
  if (!parsed || !parsed->is_message()) return true;
  const osc::Message& message = parsed->message();
  if (is_trigger(message)) return true;
  bool added = false;
  const auto slot = last_.find_or_add(outgoing.destination.index, message.address(), added);
  if (slot == AddressTable<std::string>::kNone) return true;
  std::string& last = last_.value(slot);
  if (!added) {
    if (on_change_ && outgoing.message == last) {
      drop(outgoing, DropReason::unchanged, message.address());
      return false;
    }
    if (deadband_) {
      auto previous = osc::parse_packet(last);
      if (previous && previous->is_message() &&
          within_deadband(message, previous->message(), *deadband_)) {
        drop(outgoing, DropReason::deadband, message.address());
        return false;
      }
    }
  }
  last.assign(outgoing.message);
  return true;
}

RateLimit::RateLimit(socket::EventLoop& loop, double rate, std::size_t capacity)
    : loop_(loop),
      period_(
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate))),
      table_(capacity) {}

RateLimit::~RateLimit() {
  if (timer_ != 0) loop_.cancel(timer_);
}

bool RateLimit::process(const Outgoing& outgoing) {
  const std::string_view address = address_of(outgoing.message);
  bool added = false;
  const auto slot = table_.find_or_add(outgoing.destination.index, address, added);
  // Every known address holds a message: the table's bound wins over the rate.
  if (slot == AddressTable<State>::kNone) return true;
  State& state = table_.value(slot);
  const auto now = Clock::now();
  if (!state.held) {
    if (state.last_sent == Clock::time_point{} || now - state.last_sent >= period_) {
      state.last_sent = now;
      return true;
    }
    state.held = true;
    table_.pin(slot);
    due_.push_back({state.last_sent + period_, slot});
    std::push_heap(due_.begin(), due_.end(), std::greater<>{});
    arm();
  } else {
    // The newest value wins: the one waiting is superseded.
    drop(outgoing, DropReason::rate, address);
  }
  state.message.assign(outgoing.message);
  state.origin = outgoing.origin;
  state.time = outgoing.time;
  state.destination = &outgoing.destination;
  return false;
}

void RateLimit::arm() {
  if (due_.empty()) return;
  const auto at = due_.front().at;
  if (timer_ != 0) {
    if (timer_at_ <= at) return;
    loop_.cancel(timer_);
  }
  timer_at_ = at;
  timer_ = loop_.run_after(std::max(at - Clock::now(), Clock::duration::zero()), [this] {
    timer_ = 0;
    release_due();
  });
}

void RateLimit::release_due() {
  const auto now = Clock::now();
  while (!due_.empty() && due_.front().at <= now) {
    std::pop_heap(due_.begin(), due_.end(), std::greater<>{});
    const Due turn = due_.back();
    due_.pop_back();
    State& state = table_.value(turn.slot);
    state.held = false;
    // Counting from the turn rather than from a late timer keeps the rate at HZ, not below.
    state.last_sent = now - turn.at < period_ ? turn.at : now;
    table_.unpin(turn.slot);
    pass_on(Outgoing{*state.destination, state.message, state.time, state.origin});
  }
  arm();
}

std::vector<std::unique_ptr<Stage>> make_flow_stages(const config::Route& route,
                                                     socket::EventLoop& loop) {
  std::vector<std::unique_ptr<Stage>> stages;
  if (route.on_change || route.deadband) {
    stages.push_back(std::make_unique<ChangeFilter>(route.on_change, route.deadband));
  }
  if (route.rate > 0.0) stages.push_back(std::make_unique<RateLimit>(loop, route.rate));
  return stages;
}

}  // namespace oscbridge::daemon

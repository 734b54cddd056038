#include "daemon/counters.h"

namespace oscbridge::daemon {

std::string_view to_string(DropReason reason) {
  switch (reason) {
    case DropReason::malformed:
      return "malformed";
    case DropReason::too_large:
      return "too_large";
    case DropReason::no_route:
      return "no_route";
    case DropReason::acl:
      return "acl";
    case DropReason::not_applicable:
      return "not_applicable";
    case DropReason::queue_full:
      return "queue_full";
    case DropReason::disconnected:
      return "disconnected";
    case DropReason::max_clients:
      return "max_clients";
    case DropReason::send_failed:
      return "send_failed";
    case DropReason::unresolved:
      return "unresolved";
    case DropReason::no_peer:
      return "no_peer";
    case DropReason::not_midi:
      return "not_midi";
    case DropReason::rate:
      return "rate";
    case DropReason::unchanged:
      return "unchanged";
    case DropReason::deadband:
      return "deadband";
    case DropReason::echo:
      return "echo";
    case DropReason::schedule_full:
      return "schedule_full";
    case DropReason::loop:
      return "loop";
    case DropReason::pace_full:
      return "pace_full";
  }
  return "unknown";
}

namespace {

// " (rate 2, echo 1)" for the reasons not at 0, or "".
std::string reasons_text(const std::array<std::uint64_t, kDropReasonCount>& by_reason) {
  std::string reasons;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    if (by_reason[i] == 0) continue;
    reasons += reasons.empty() ? " (" : ", ";
    reasons +=
        std::string(to_string(static_cast<DropReason>(i))) + " " + std::to_string(by_reason[i]);
  }
  return reasons.empty() ? reasons : reasons + ")";
}

}  // namespace

std::string EndpointCounters::describe() const {
  std::uint64_t total = 0;
  for (std::uint64_t count : dropped) total += count;
  std::string text = "received " + std::to_string(received) + ", sent " + std::to_string(sent) +
                     ", dropped " + std::to_string(total) + reasons_text(dropped);
  if (reply_peers_refused != 0) {
    text += ", reply peers refused " + std::to_string(reply_peers_refused);
  }
  if (clamped != 0) text += ", clamped " + std::to_string(clamped);
  if (schedule_too_far != 0) text += ", schedule too far " + std::to_string(schedule_too_far);
  if (state_evicted != 0) text += ", state evicted " + std::to_string(state_evicted);
  return text;
}

std::string RouteCounters::describe() const {
  return "matched " + std::to_string(matched) + ", sent " + std::to_string(sent) + ", dropped " +
         std::to_string(dropped) + reasons_text(dropped_by_reason);
}

}  // namespace oscbridge::daemon

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
    case DropReason::pace_full:
      return "pace_full";
  }
  return "unknown";
}

std::string EndpointCounters::describe() const {
  std::uint64_t total = 0;
  std::string reasons;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    if (dropped[i] == 0) continue;
    total += dropped[i];
    if (!reasons.empty()) reasons += ", ";
    reasons +=
        std::string(to_string(static_cast<DropReason>(i))) + " " + std::to_string(dropped[i]);
  }
  std::string text = "received " + std::to_string(received) + ", sent " + std::to_string(sent) +
                     ", dropped " + std::to_string(total);
  if (!reasons.empty()) text += " (" + reasons + ")";
  if (reply_peers_refused != 0) {
    text += ", reply peers refused " + std::to_string(reply_peers_refused);
  }
  if (clamped != 0) text += ", clamped " + std::to_string(clamped);
  if (state_evicted != 0) text += ", state evicted " + std::to_string(state_evicted);
  return text;
}

std::string RouteCounters::describe() const {
  return "matched " + std::to_string(matched) + ", sent " + std::to_string(sent) + ", dropped " +
         std::to_string(dropped);
}

}  // namespace oscbridge::daemon

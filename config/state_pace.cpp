// state, state_max, pace and pace_queue: what an endpoint keeps for late joiners and how fast
// it lets messages go (daemon/state_store.h, daemon/pacer.h apply them).
#include <string>

#include "config/endpoints.h"

namespace oscbridge::config::detail {

bool read_state_or_pace(const Entry& entry, Endpoint& endpoint, Diagnostics& diagnostics) {
  const std::string& key = entry.key;
  const Located value = located(entry);
  if (key == "state") {
    endpoint.state = read_bool(value, diagnostics).value_or(false);
  } else if (key == "state_max") {
    endpoint.state_max = static_cast<std::size_t>(
        read_integer(value, 1, static_cast<std::int64_t>(kMaxStateMax), diagnostics)
            .value_or(kDefaultStateMax));
  } else if (key == "pace") {
    if (const auto hz = read_number(value, diagnostics)) {
      if (*hz <= 0.0 || *hz > kMaxPace) {
        diagnostics.error(entry.value_at, "pace: " + entry.value.Scalar() +
                                              " is out of range: messages per second, more "
                                              "than 0 and at most 100000");
      } else {
        endpoint.pace = *hz;
      }
    }
  } else if (key == "pace_queue") {
    endpoint.pace_queue = static_cast<std::size_t>(
        read_integer(value, 1, static_cast<std::int64_t>(kMaxPaceQueue), diagnostics)
            .value_or(kDefaultPaceQueue));
  } else {
    return false;
  }
  return true;
}

void check_state_and_pace(const std::vector<Entry>& entries, const Endpoint& endpoint,
                          Diagnostics& diagnostics) {
  if (const Entry* state = find(entries, "state");
      state && endpoint.state && endpoint.udp() && endpoint.udp()->reply == Reply::off) {
    diagnostics.error(state->key_at,
                      "state: true on a udp endpoint needs reply: true: the snapshot goes to "
                      "each reply peer the first time it is heard");
  }
  if (const Entry* max = find(entries, "state_max"); max && !endpoint.state) {
    diagnostics.error(max->key_at, "state_max needs state: true");
  }
  if (const Entry* queue = find(entries, "pace_queue"); queue && endpoint.pace == 0.0) {
    // An invalid pace was reported already.
    if (const Entry* pace = find(entries, "pace"); !pace) {
      diagnostics.error(queue->key_at, "pace_queue needs pace: messages per second");
    }
  }
}

}  // namespace oscbridge::config::detail

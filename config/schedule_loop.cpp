// schedule, schedule_queue, schedule_max and loop_guard: held bundles and loop detection
// (daemon/scheduler.h, daemon/loop_guard.h apply them).
#include <string>

#include "config/endpoints.h"

namespace oscbridge::config::detail {

bool read_schedule_or_loop_guard(const Entry& entry, Endpoint& endpoint, Diagnostics& diagnostics) {
  using std::chrono::hours, std::chrono::milliseconds;
  const std::string& key = entry.key;
  const Located value = located(entry);
  if (key == "schedule") {
    endpoint.schedule = read_bool(value, diagnostics).value_or(false);
  } else if (key == "schedule_queue") {
    endpoint.schedule_queue = static_cast<std::size_t>(
        read_integer(value, 1, 65536, diagnostics).value_or(kDefaultScheduleQueue));
  } else if (key == "schedule_max") {
    endpoint.schedule_max =
        read_duration(value, milliseconds(1), hours(24), diagnostics).value_or(kDefaultScheduleMax);
  } else if (key == "loop_guard") {
    // `off`, `false` or `0` turn it off; otherwise returns per second, 1..1000000.
    const auto kind = scalar_kind(entry.value);
    const std::string text = kind ? entry.value.Scalar() : std::string();
    if ((kind == ScalarKind::string && text == "off") ||
        (kind == ScalarKind::boolean && (text == "false" || text == "no" || text == "off")) ||
        (kind == ScalarKind::integer && text == "0")) {
      endpoint.loop_guard = 0;
    } else if (kind != ScalarKind::integer) {
      diagnostics.error(value.at,
                        "loop_guard: expected off or returns per second (1..1000000), got " +
                            (kind == ScalarKind::string ? "the text '" + text + "'"
                             : kind                     ? text
                                                        : std::string("a list or mapping")));
    } else {
      endpoint.loop_guard = static_cast<std::uint32_t>(
          read_integer(value, 1, 1'000'000, diagnostics).value_or(kDefaultLoopGuard));
    }
  } else {
    return false;
  }
  return true;
}

void check_schedule(const std::vector<Entry>& entries, const Endpoint& endpoint,
                    Diagnostics& diagnostics) {
  // (A `schedule:` that is no boolean has its own error already.)
  const Entry* schedule = find(entries, "schedule");
  const bool schedule_valid = !schedule || scalar_kind(schedule->value) == ScalarKind::boolean;
  for (const char* key : {"schedule_queue", "schedule_max"}) {
    if (const Entry* found = find(entries, key); found && !endpoint.schedule && schedule_valid) {
      diagnostics.error(found->key_at, std::string(key) + " needs schedule: true");
    }
  }
}

}  // namespace oscbridge::config::detail

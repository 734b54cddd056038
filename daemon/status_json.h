// The status snapshot as JSON: the one rendering `oscbridge status --json`, the control socket
// and HTTP's /api/status all serve. Field names are stable and documented in docs/control.md
// ("The status object"); new fields may be added, none renamed or removed.
//
// Threading: pure functions over values; call them on the loop thread where the snapshot is
// taken, or anywhere with a copy.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/runtime.h"

namespace oscbridge::daemon {

// now: the time the snapshot was taken, for "next attempt in" of reconnecting endpoints.
nlohmann::json status_json(const StatusSnapshot& status, std::chrono::steady_clock::time_point now);

// "2026-12-02T01:52:39.123Z"
std::string iso_time(std::chrono::system_clock::time_point time);

}  // namespace oscbridge::daemon

// Reads oscbridge.yaml into a validated Config. Stateless and reentrant: each call owns its
// parse, so loads may run on any thread (the daemon reloads on its loop thread). Nothing here
// touches the network or throws: every problem comes back in LoadResult::errors.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace oscbridge::config {

struct LoadResult {
  // Set only when errors is empty: a file with any error yields no config at all, so a reload
  // can never start half of a file.
  std::optional<Config> config;
  // Every problem found, sorted by position, each "FILE:LINE:COL: message" (1-based), or
  // "FILE: message" when there is no position (an unreadable file).
  std::vector<std::string> errors;
  // Things that run but probably not as meant (a rewrite that can produce an empty address
  // segment, a loop between endpoints of this file...), "FILE:LINE:COL: warning: message",
  // sorted by position. Only filled when the file has no errors.
  std::vector<std::string> warnings;
};

LoadResult load_file(const std::string& path);

// file_name only labels the errors.
LoadResult load_string(std::string_view yaml, std::string_view file_name);

}  // namespace oscbridge::config

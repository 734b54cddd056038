// Internal to oscbridge_config: reads the `routes:` list and checks it against the endpoints.
// Single-threaded; the YAML nodes must outlive the call, the results own their data.
#pragma once

#include <vector>

#include "config/config.h"
#include "config/diagnostics.h"
#include "config/endpoints.h"
#include "config/yaml_reader.h"

namespace oscbridge::config::detail {

struct ReadRoute {
  Route route;
  Position at;  // of the route's list item
};

// Routes in file order; those with errors are reported and left out.
std::vector<ReadRoute> read_routes(const Entry& entry, const std::vector<ReadEndpoint>& endpoints,
                                   Diagnostics& diagnostics);

}  // namespace oscbridge::config::detail

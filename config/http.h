// Internal to oscbridge_config: the `http:` key (docs/http.md). Single-threaded like the load
// that calls it.
#pragma once

#include "config/config.h"
#include "config/diagnostics.h"
#include "config/yaml_reader.h"

namespace oscbridge::config::detail {

// `http: { listen: 127.0.0.1:8080, allow: [CIDR, ...], max_clients: 16 }`, or `http: off`.
// Sets config.http; reports every problem at its position.
void read_http(const Entry& entry, Config& config, Diagnostics& diagnostics);

}  // namespace oscbridge::config::detail

// Internal to oscbridge_config: reads a route's `address` and `args` into templates and checks
// every capture reference against what the route's match pattern captures. Single-threaded;
// the YAML nodes read must outlive the call, the results own their data.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/diagnostics.h"
#include "config/yaml_reader.h"

namespace oscbridge::config::detail {

// What `{N}` may refer to in one route.
struct CaptureScope {
  std::optional<std::string> match;  // the pattern text; nullopt when the route has none
  // Captures the pattern records; nullopt when the pattern did not compile, so references
  // are left unchecked rather than reported twice.
  std::optional<std::size_t> count;
  // Per capture ({1} is index 0): whether the pattern can capture empty text (`*`, `//`, `{,x}`).
  // Empty when the pattern did not compile.
  std::vector<bool> can_be_empty;
};

struct TextTemplateResult {
  std::vector<TemplatePart> parts;  // adjacent text merged, never an empty text part
  std::string error;                // empty on success
};

// "{N}" is capture N (1-based); "{{" and "}}" are literal braces; any other brace is an error.
TextTemplateResult parse_text_template(std::string_view text);

std::optional<AddressTemplate> read_address_template(const Entry& entry, const CaptureScope& scope,
                                                     Diagnostics& diagnostics);

std::optional<std::vector<ArgTemplate>> read_arg_templates(const Entry& entry,
                                                           const CaptureScope& scope,
                                                           Diagnostics& diagnostics);

}  // namespace oscbridge::config::detail

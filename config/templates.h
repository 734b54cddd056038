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

// Warnings (template_warnings.cpp). Warns about each run of captures in an address template
// that can all be empty and sit between '/' and '/' or the end: empty, they leave an empty
// level ("/track//volume"), which OSC does not allow, so the transformer drops such messages
// (not_applicable). A `//` capture brings its own '/': "/v{1}/volume" is fine, "/v/{1}/volume"
// is not. where is the `address:` value, source the template as written.
void warn_empty_levels(const std::vector<TemplatePart>& parts, const CaptureScope& scope,
                       const Located& where, const std::string& source, Diagnostics& diagnostics);

// Warns when an integer output (type i or h, written or inferred) has fewer values than the
// integer input range it maps, so several inputs give one output: [0, 127, 1, 0] sends only 0
// or 1. Inputs are counted only when both in bounds are written as integers (integer_input,
// MIDI's 0..127); an input written as 0.0..127.0 is continuous, which is also how a user says
// that the rounding is meant. where is the `scale:` value.
void warn_collapsing_scale(const Scale& scale, bool integer_input, ArgType type, bool type_written,
                           const Located& where, Diagnostics& diagnostics);

std::optional<AddressTemplate> read_address_template(const Entry& entry, const CaptureScope& scope,
                                                     Diagnostics& diagnostics);

std::optional<std::vector<ArgTemplate>> read_arg_templates(const Entry& entry,
                                                           const CaptureScope& scope,
                                                           Diagnostics& diagnostics);

}  // namespace oscbridge::config::detail

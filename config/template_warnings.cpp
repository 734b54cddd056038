// Warnings about templates that load and run, but probably not as meant (see templates.h).
#include <cmath>
#include <cstdio>

#include "config/templates.h"

namespace oscbridge::config::detail {
namespace {

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// A whole number as written in the file: "128", "-8192".
std::string whole(double value) {
  char text[48];
  std::snprintf(text, sizeof text, "%.0f", value);
  return text;
}

}  // namespace

void warn_empty_levels(const std::vector<TemplatePart>& parts, const CaptureScope& scope,
                       const Located& where, const std::string& source, Diagnostics& diagnostics) {
  const auto can_be_empty = [&](const TemplatePart& part) {
    return part.capture >= 1 && part.capture <= scope.can_be_empty.size() &&
           scope.can_be_empty[part.capture - 1];
  };
  const auto is_capture = [](const TemplatePart& part) {
    return part.kind == TemplatePart::Kind::capture;
  };
  for (std::size_t begin = 0; begin < parts.size();) {
    if (!is_capture(parts[begin])) {
      ++begin;
      continue;
    }
    std::size_t end = begin;
    bool all_empty = true;
    std::string run;
    for (; end < parts.size() && is_capture(parts[end]); ++end) {
      all_empty = all_empty && can_be_empty(parts[end]);
      run += "{" + std::to_string(parts[end].capture) + "}";
    }
    const bool after_slash = begin > 0 && parts[begin - 1].text.ends_with('/');
    const bool before_slash = end == parts.size() || parts[end].text.starts_with('/');
    if (all_empty && after_slash && before_slash) {
      std::string empty_result;  // the template with this run empty, other captures as {N}
      for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i >= begin && i < end) continue;
        empty_result +=
            is_capture(parts[i]) ? "{" + std::to_string(parts[i].capture) + "}" : parts[i].text;
      }
      diagnostics.warning(
          where.at, "address: " + run + (end - begin == 1 ? " can be empty" : " can all be empty") +
                        " (match " + quoted(scope.match.value_or("")) + "), and then " +
                        quoted(source) + " becomes " + quoted(empty_result) +
                        ", an address with an empty level, which OSC does not allow; such " +
                        "messages are not routed (counted as not_applicable)");
    }
    begin = end;
  }
}

void warn_collapsing_scale(const Scale& scale, bool integer_input, ArgType type, bool type_written,
                           const Located& where, Diagnostics& diagnostics) {
  if ((type != ArgType::int32 && type != ArgType::int64) || !integer_input) return;
  const double inputs = std::fabs(scale.in_hi - scale.in_lo) + 1;
  const double outputs = std::fabs(std::round(scale.out_hi) - std::round(scale.out_lo)) + 1;
  if (outputs >= inputs) return;
  const double larger_bound =
      std::fabs(scale.out_lo) > std::fabs(scale.out_hi) ? scale.out_lo : scale.out_hi;
  const std::string float_hint =
      type_written ? "use type: f for a float"
                   : "write " + whole(std::round(larger_bound)) + ".0 for a float";
  diagnostics.warning(where.at, where.what + ": " + whole(inputs) + " input values onto " +
                                    whole(outputs) + (outputs == 1 ? " integer; " : " integers; ") +
                                    float_hint + ", or in_lo as " + whole(scale.in_lo) +
                                    ".0 if this is meant");
}

}  // namespace oscbridge::config::detail

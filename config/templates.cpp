#include "config/templates.h"

#include <array>
#include <cfloat>
#include <charconv>
#include <cmath>

#include "osc/encoder.h"

namespace oscbridge::config::detail {
namespace {

// Far more than a 64 KiB datagram can carry; a larger N is a typo, not a message.
constexpr std::int64_t kMaxArgIndex = 65536;

// Characters OSC 1.0 forbids in an address part, besides the '/' that separates parts.
constexpr std::string_view kAddressForbidden = " #*,?[]{}";

constexpr std::array<std::string_view, 5> kConvertibleTypes = {"i", "f", "d", "h", "s"};
constexpr std::array<std::string_view, 6> kArgMappingKeys = {"arg",   "capture", "value",
                                                             "scale", "type",    "clamp"};

// A mapping's value named after its parent, e.g. "args[2].scale".
Located field(const Located& parent, const Entry& entry) {
  return {entry.value, entry.value_at, parent.what + "." + entry.key};
}

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// The reason a capture reference is wrong, or empty when it is fine.
std::string capture_problem(std::size_t capture, const CaptureScope& scope) {
  const std::string reference = "{" + std::to_string(capture) + "}";
  if (!scope.match) {
    return reference + " refers to a capture, but the route has no match, so nothing is captured";
  }
  if (!scope.count || capture <= *scope.count) return {};
  if (*scope.count == 0) {
    return reference + " refers to a capture, but match " + quoted(*scope.match) +
           " has no wildcards, so nothing is captured";
  }
  return reference + " refers to capture " + std::to_string(capture) + ", but match " +
         quoted(*scope.match) + " has only " + std::to_string(*scope.count) +
         (*scope.count == 1 ? " capture" : " captures");
}

// Reports each out-of-scope capture reference in parts; true when all are fine.
bool check_captures(const std::vector<TemplatePart>& parts, const CaptureScope& scope,
                    const Located& where, Diagnostics& diagnostics) {
  bool ok = true;
  for (const TemplatePart& part : parts) {
    if (part.kind != TemplatePart::Kind::capture) continue;
    if (std::string problem = capture_problem(part.capture, scope); !problem.empty()) {
      diagnostics.error(where.at, where.what + ": " + problem);
      ok = false;
    }
  }
  return ok;
}

std::optional<ArgType> read_type(const Located& value, Diagnostics& diagnostics) {
  const auto kind = scalar_kind(value.node);
  const std::string text = kind == ScalarKind::string ? value.node.Scalar() : "";
  if (text.size() == 1) {
    for (std::string_view letter : kConvertibleTypes) {
      if (letter == text) return static_cast<ArgType>(text.front());
    }
  }
  diagnostics.error(value.at,
                    value.what + ": unknown type " +
                        (kind == ScalarKind::string ? quoted(text) : describe(value.node)) +
                        " (expected " + one_of(kConvertibleTypes) + ")");
  return std::nullopt;
}

std::optional<std::size_t> read_index(const Located& value, std::string_view numbered,
                                      Diagnostics& diagnostics) {
  if (scalar_kind(value.node) == ScalarKind::integer) {
    const auto number = parse_integer(value.node.Scalar());
    if (number && *number < 1) {
      diagnostics.error(value.at, value.what + ": " + std::string(numbered) +
                                      " are numbered from 1, got " + value.node.Scalar());
      return std::nullopt;
    }
  }
  const auto number = read_integer(value, 1, kMaxArgIndex, diagnostics);
  if (!number) return std::nullopt;
  return static_cast<std::size_t>(*number);
}

struct ScaleRead {
  Scale scale;
  bool integer_input = false;   // both in bounds written as integers (MIDI's 0..127)
  bool integer_output = false;  // both out bounds written as integers: the default type is i
};

std::optional<ScaleRead> read_scale(const Located& value, Diagnostics& diagnostics) {
  if (!value.node.IsSequence() || value.node.size() != 4) {
    diagnostics.error(
        value.at,
        value.what + ": expected a list of 4 numbers [in_lo, in_hi, " + "out_lo, out_hi], got " +
            describe(value.node) +
            (value.node.IsSequence() ? " of " + std::to_string(value.node.size()) : std::string()));
    return std::nullopt;
  }
  std::array<double, 4> numbers{};
  bool ok = true;
  static constexpr std::array<std::string_view, 4> kNames = {"in_lo", "in_hi", "out_lo", "out_hi"};
  for (std::size_t i = 0; i < 4; ++i) {
    const YAML::Node element = value.node[i];
    const Located item{element, position_of(element.Mark()),
                       value.what + " " + std::string(kNames[i])};
    const auto number = read_number(item, diagnostics);
    ok = ok && number.has_value();
    if (number) numbers[i] = *number;
  }
  if (!ok) return std::nullopt;
  if (numbers[0] == numbers[1]) {
    diagnostics.error(value.at, value.what + ": in_lo and in_hi are both " +
                                    value.node[0].Scalar() + ", so the input range is empty");
    return std::nullopt;
  }
  ScaleRead read{{numbers[0], numbers[1], numbers[2], numbers[3]}, false, false};
  read.integer_input = scalar_kind(value.node[0]) == ScalarKind::integer &&
                       scalar_kind(value.node[1]) == ScalarKind::integer;
  read.integer_output = scalar_kind(value.node[2]) == ScalarKind::integer &&
                        scalar_kind(value.node[3]) == ScalarKind::integer;
  return read;
}

// `value:` with an optional type: the escape hatch for strings that would otherwise be read as
// templates ("$1", "{1}") and for numbers of a type the plain form does not pick (h, d).
std::optional<ArgTemplate> read_typed_value(const Located& value,
                                            const std::optional<Located>& type_value,
                                            Diagnostics& diagnostics) {
  const auto kind = scalar_kind(value.node);
  if (!kind) {
    diagnostics.error(value.at,
                      value.what + ": expected a single value, got " + describe(value.node));
    return std::nullopt;
  }
  std::optional<ArgType> type;
  if (type_value) {
    type = read_type(*type_value, diagnostics);
    if (!type) return std::nullopt;
  }
  const std::string& text = value.node.Scalar();
  LiteralArg literal;
  if (!type) {
    switch (*kind) {
      case ScalarKind::null:
        literal.type = ArgType::nil;
        return literal;
      case ScalarKind::boolean:
        literal.type =
            text.front() == 't' || text.front() == 'T' ? ArgType::true_value : ArgType::false_value;
        return literal;
      case ScalarKind::integer:
        type = ArgType::int32;
        break;
      case ScalarKind::real:
        type = ArgType::float32;
        break;
      case ScalarKind::string:
        type = ArgType::string;
        break;
    }
  }
  literal.type = *type;
  switch (*type) {
    case ArgType::string:
      if (*kind == ScalarKind::null) break;
      literal.text = text;
      return literal;
    case ArgType::int32:
    case ArgType::int64: {
      const auto number = parse_integer(text);
      const bool narrow = *type == ArgType::int32;
      if (!number) break;
      if (narrow && (*number < INT32_MIN || *number > INT32_MAX)) {
        diagnostics.error(value.at, value.what + ": " + text + " does not fit an int32 (i); " +
                                        "use type: h for a 64-bit integer");
        return std::nullopt;
      }
      literal.integer = *number;
      return literal;
    }
    case ArgType::float32:
    case ArgType::float64: {
      auto number = parse_real(text);
      if (!number) break;
      if (*type == ArgType::float32 && std::isfinite(*number) && std::fabs(*number) > FLT_MAX) {
        diagnostics.error(value.at, value.what + ": " + text + " does not fit a float32 (f); " +
                                        "use type: d for a 64-bit float");
        return std::nullopt;
      }
      literal.real = *number;
      return literal;
    }
    default:
      break;
  }
  diagnostics.error(value.at, value.what + ": " + describe(value.node) + " is not a valid '" +
                                  std::string(1, static_cast<char>(*type)) + "' value");
  return std::nullopt;
}

std::optional<ArgTemplate> read_arg_mapping(const Located& value, const CaptureScope& scope,
                                            Diagnostics& diagnostics) {
  const std::vector<Entry> entries = read_mapping(value.node, diagnostics);
  if (entries.size() == 1 && entries.front().value.IsNull() && parse_integer(entries.front().key)) {
    // `[ {1} ]` is YAML for a mapping with key 1, not the capture template the user meant.
    diagnostics.error(value.at, value.what + ": unquoted {" + entries.front().key +
                                    "} is a YAML mapping; write \"{" + entries.front().key +
                                    "}\" in quotes for capture " + entries.front().key);
    return std::nullopt;
  }
  const std::size_t errors_before = diagnostics.count();
  reject_unknown_keys(entries, kArgMappingKeys, value.what, diagnostics);
  const Entry* arg = find(entries, "arg");
  const Entry* capture = find(entries, "capture");
  const Entry* literal = find(entries, "value");
  const Entry* scale = find(entries, "scale");
  const Entry* type = find(entries, "type");
  const Entry* clamp = find(entries, "clamp");
  const int sources = (arg != nullptr) + (capture != nullptr) + (literal != nullptr);
  if (sources != 1) {
    diagnostics.error(value.at, value.what +
                                    (sources == 0 ? ": needs one of" : ": use only one of") +
                                    " 'arg', 'capture' or 'value'");
    return std::nullopt;
  }
  const char* source_key = arg ? "arg" : capture ? "capture" : "value";
  for (const Entry* only_for_arg : {scale, clamp}) {
    if (only_for_arg && !arg) {
      diagnostics.error(only_for_arg->key_at, value.what + ": '" + only_for_arg->key +
                                                  "' applies to 'arg', not '" + source_key + "'");
    }
  }
  if (literal) {
    auto result =
        read_typed_value(field(value, *literal),
                         type ? std::optional(field(value, *type)) : std::nullopt, diagnostics);
    return diagnostics.count() == errors_before ? result : std::nullopt;
  }
  std::optional<ArgType> converted_type;
  if (type) converted_type = read_type(field(value, *type), diagnostics);
  if (capture) {
    const auto index = read_index(field(value, *capture), "captures", diagnostics);
    if (index) {
      const std::string problem = capture_problem(*index, scope);
      if (!problem.empty()) diagnostics.error(capture->value_at, value.what + ": " + problem);
    }
    if (diagnostics.count() != errors_before) return std::nullopt;
    return CaptureArg{*index, converted_type.value_or(ArgType::string)};
  }
  const auto index = read_index(field(value, *arg), "arguments", diagnostics);
  std::optional<ScaleRead> scale_read;
  if (scale) scale_read = read_scale(field(value, *scale), diagnostics);
  std::optional<bool> clamped;
  if (clamp) {
    clamped = read_bool(field(value, *clamp), diagnostics);
    if (clamped.value_or(false) && !scale) {
      diagnostics.error(clamp->key_at, value.what + ": 'clamp' needs a 'scale' to clamp to");
    }
  }
  if (diagnostics.count() != errors_before) return std::nullopt;
  if (!scale && !type) return IncomingArg{*index};
  ConvertedArg converted;
  converted.arg = *index;
  if (scale_read) converted.scale = scale_read->scale;
  converted.type = converted_type.value_or(
      scale_read && scale_read->integer_output ? ArgType::int32 : ArgType::float32);
  converted.clamp = clamped.value_or(false);
  if (scale_read) {
    warn_collapsing_scale(scale_read->scale, scale_read->integer_input, converted.type,
                          converted_type.has_value(), field(value, *scale), diagnostics);
  }
  return converted;
}

std::optional<ArgTemplate> read_arg_scalar(const Located& value, const CaptureScope& scope,
                                           Diagnostics& diagnostics) {
  if (scalar_kind(value.node) != ScalarKind::string) {
    return read_typed_value(value, std::nullopt, diagnostics);
  }
  std::string_view text = value.node.Scalar();
  std::string literal_prefix;
  if (text.starts_with("$$")) {
    literal_prefix = "$";
    text.remove_prefix(2);
  } else if (text.starts_with('$')) {
    const std::string_view digits = text.substr(1);
    const auto number = parse_integer(digits);
    const bool plain_digits =
        !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
    if (!plain_digits || !number) {
      diagnostics.error(value.at, value.what + ": " + quoted(text) +
                                      " is not an argument reference such as $1; write $$" +
                                      std::string(text.substr(1)) +
                                      " for text that starts with '$'");
      return std::nullopt;
    }
    if (*number < 1 || *number > kMaxArgIndex) {
      diagnostics.error(value.at, value.what + ": " + quoted(text) +
                                      ": arguments are numbered from $1 to $" +
                                      std::to_string(kMaxArgIndex));
      return std::nullopt;
    }
    return IncomingArg{static_cast<std::size_t>(*number)};
  }
  TextTemplateResult parsed = parse_text_template(text);
  if (!parsed.error.empty()) {
    diagnostics.error(value.at, value.what + ": " + parsed.error);
    return std::nullopt;
  }
  if (!literal_prefix.empty()) {
    if (!parsed.parts.empty() && parsed.parts.front().kind == TemplatePart::Kind::text) {
      parsed.parts.front().text.insert(0, literal_prefix);
    } else {
      parsed.parts.insert(parsed.parts.begin(), TemplatePart{TemplatePart::Kind::text, "$", 0});
    }
  }
  if (!check_captures(parsed.parts, scope, value, diagnostics)) return std::nullopt;
  const bool has_capture = std::any_of(parsed.parts.begin(), parsed.parts.end(), [](const auto& p) {
    return p.kind == TemplatePart::Kind::capture;
  });
  if (has_capture) return TextArg{std::move(parsed.parts)};
  LiteralArg literal;
  literal.type = ArgType::string;
  if (!parsed.parts.empty()) literal.text = parsed.parts.front().text;
  return literal;
}

}  // namespace

TextTemplateResult parse_text_template(std::string_view text) {
  TextTemplateResult result;
  const auto append_text = [&](std::string_view piece) {
    if (result.parts.empty() || result.parts.back().kind != TemplatePart::Kind::text) {
      result.parts.push_back({TemplatePart::Kind::text, {}, 0});
    }
    result.parts.back().text += piece;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      append_text(text.substr(i, 1));
      i += 2;
      continue;
    }
    if (c == '}') {
      result.error =
          "unmatched '}' at offset " + std::to_string(i) + "; write }} for a literal '}'";
      return result;
    }
    if (c != '{') {
      append_text(text.substr(i, 1));
      ++i;
      continue;
    }
    const std::size_t close = text.find('}', i);
    const std::string_view inside =
        close == std::string_view::npos ? std::string_view() : text.substr(i + 1, close - i - 1);
    std::size_t capture = 0;
    const auto [end, ec] = std::from_chars(inside.data(), inside.data() + inside.size(), capture);
    if (inside.empty() || ec != std::errc() || end != inside.data() + inside.size()) {
      result.error = "'{' at offset " + std::to_string(i) +
                     " does not start a capture reference such as {1}; write {{ for a literal '{'";
      return result;
    }
    if (capture == 0) {
      result.error = "{0}: captures are numbered from 1";
      return result;
    }
    result.parts.push_back({TemplatePart::Kind::capture, {}, capture});
    i = close + 1;
  }
  return result;
}

std::optional<AddressTemplate> read_address_template(const Entry& entry, const CaptureScope& scope,
                                                     Diagnostics& diagnostics) {
  const Located value = located(entry);
  const auto text = read_string(value, diagnostics);
  if (!text) return std::nullopt;
  if (text->front() != '/') {
    diagnostics.error(value.at, "address: " + quoted(*text) + " must start with '/'");
    return std::nullopt;
  }
  TextTemplateResult parsed = parse_text_template(*text);
  if (!parsed.error.empty()) {
    diagnostics.error(value.at, "address: " + parsed.error);
    return std::nullopt;
  }
  for (const TemplatePart& part : parsed.parts) {
    if (part.kind != TemplatePart::Kind::text) continue;
    for (char c : part.text) {
      if (kAddressForbidden.find(c) != std::string_view::npos || c < 0x20 || c == 0x7f) {
        diagnostics.error(value.at, "address: " + quoted(*text) + " contains '" +
                                        std::string(1, c) +
                                        "', which OSC does not allow in an address");
        return std::nullopt;
      }
    }
  }
  // Without captures the address is the same for every message: checked here once, so that a
  // template OSC forbids ("/a//b") is an error at its position, not a drop per message.
  if (parsed.parts.size() == 1 && parsed.parts[0].kind == TemplatePart::Kind::text) {
    if (std::string_view problem = osc::address_problem(parsed.parts[0].text); !problem.empty()) {
      diagnostics.error(value.at, "address: " + quoted(*text) + ": " + std::string(problem));
      return std::nullopt;
    }
  }
  if (!check_captures(parsed.parts, scope, value, diagnostics)) return std::nullopt;
  warn_empty_levels(parsed.parts, scope, value, *text, diagnostics);
  return AddressTemplate{*text, std::move(parsed.parts)};
}

std::optional<std::vector<ArgTemplate>> read_arg_templates(const Entry& entry,
                                                           const CaptureScope& scope,
                                                           Diagnostics& diagnostics) {
  if (!entry.value.IsSequence()) {
    diagnostics.error(entry.value_at, "args: expected a list such as [$1, 0.5], got " +
                                          describe(entry.value) +
                                          " (write args: [] to send no arguments)");
    return std::nullopt;
  }
  std::vector<ArgTemplate> args;
  bool ok = true;
  std::size_t index = 0;
  for (const YAML::Node& element : entry.value) {
    ++index;
    const Located value{element, position_of(element.Mark()),
                        "args[" + std::to_string(index) + "]"};
    std::optional<ArgTemplate> arg;
    if (element.IsMap()) {
      arg = read_arg_mapping(value, scope, diagnostics);
    } else if (element.IsSequence()) {
      diagnostics.error(value.at, value.what + ": an argument is a value or a mapping, not a list");
    } else {
      arg = read_arg_scalar(value, scope, diagnostics);
    }
    ok = ok && arg.has_value();
    if (arg) args.push_back(std::move(*arg));
  }
  if (!ok) return std::nullopt;
  return args;
}

}  // namespace oscbridge::config::detail

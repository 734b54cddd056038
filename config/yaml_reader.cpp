#include "config/yaml_reader.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace oscbridge::config::detail {
namespace {

constexpr std::string_view kStringTag = "tag:yaml.org,2002:str";

bool all_of_chars(std::string_view text, int (*predicate)(int)) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [predicate](char c) {
    return predicate(static_cast<unsigned char>(c)) != 0;
  });
}

int is_octal(int c) {
  return c >= '0' && c <= '7';
}

std::string range_text(std::int64_t min, std::int64_t max) {
  return std::to_string(min) + ".." + std::to_string(max);
}

std::string bytes_text(std::size_t bytes) {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) {
    return std::to_string(bytes / (1024 * 1024)) + "MiB";
  }
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + "KiB";
  return std::to_string(bytes);
}

std::string duration_text(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms >= 3'600'000 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms >= 60'000 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "min";
  if (ms >= 1000 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// Splits "64KiB" into 64 and "KiB"; the number part must be plain decimal digits.
bool split_number_unit(std::string_view text, std::uint64_t& number, std::string_view& unit) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  if (digits == 0) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, number);
  if (ec != std::errc() || end != text.data() + digits) return false;
  unit = text.substr(digits);
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return true;
}

// The source text of a flow list or mapping that reads like a bracket expression meant as text:
// "[abc]" for `match: [abc]`, "{a,b}" for `match: {a,b}`, "[::1]". "" for anything written as
// a real list or mapping: with spaces (`[a, b]`, `{ host: x }`) or mapping keys to values.
std::string flow_text(const YAML::Node& node, std::string_view source) {
  if (!(node.IsSequence() || node.IsMap()) || node.Style() != YAML::EmitterStyle::Flow) return {};
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->second.IsNull()) return {};
    }
  }
  const int begin = node.Mark().pos;
  if (begin < 0 || static_cast<std::size_t>(begin) >= source.size()) return {};
  const char open = source[static_cast<std::size_t>(begin)];
  if (open != '[' && open != '{') return {};
  int depth = 0;
  for (std::size_t i = static_cast<std::size_t>(begin); i < source.size(); ++i) {
    const char c = source[i];
    if (c == '\n' || c == ' ' || c == '\t' || c == '"' || c == '\'') return {};
    if (c == '[' || c == '{') ++depth;
    if ((c == ']' || c == '}') && --depth == 0) {
      return std::string(source.substr(static_cast<std::size_t>(begin), i + 1 - begin));
    }
  }
  return {};
}

}  // namespace

Position position_of(const YAML::Mark& mark) {
  if (mark.line < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

Located located(const Entry& entry) {
  return {entry.value, entry.value_at, entry.key};
}

namespace {

// Anchors can make a mapping merge itself; real files nest merges a level or two.
constexpr int kMaxMergeDepth = 16;

// `<<` written plain (or tagged !!merge) is the merge key; quoted, it is an ordinary key.
bool is_merge_key(const YAML::Node& key) {
  return key.IsScalar() && key.Scalar() == "<<" &&
         (key.Tag() == "?" || key.Tag() == "tag:yaml.org,2002:merge");
}

std::vector<Entry> read_mapping_at(const YAML::Node& map, int depth, Diagnostics& diagnostics);

// The entries a `<<: value` brings in: a mapping, or a list of mappings where an earlier one
// wins over a later one (https://yaml.org/type/merge.html).
std::vector<Entry> merged_entries(const YAML::Node& value, Position at, int depth,
                                  Diagnostics& diagnostics) {
  if (depth >= kMaxMergeDepth) {
    diagnostics.error(at, "'<<' merges are nested more than " + std::to_string(kMaxMergeDepth) +
                              " deep (does a mapping merge itself?)");
    return {};
  }
  if (value.IsMap()) return read_mapping_at(value, depth + 1, diagnostics);
  std::vector<Entry> merged;
  if (value.IsSequence() && value.size() > 0) {
    for (const YAML::Node& element : value) {
      if (!element.IsMap()) {
        diagnostics.error(position_of(element.Mark()),
                          "'<<' merges mappings, got " + describe(element) + " in its list");
        continue;
      }
      for (const Entry& entry : read_mapping_at(element, depth + 1, diagnostics)) {
        if (!find(merged, entry.key)) merged.push_back(entry);
      }
    }
    return merged;
  }
  diagnostics.error(at, "'<<' merges a mapping or a list of mappings, such as <<: *defaults; got " +
                            describe(value));
  return merged;
}

std::vector<Entry> read_mapping_at(const YAML::Node& map, int depth, Diagnostics& diagnostics) {
  // Explicit keys first, each merge remembered by the index it stands at, so that explicit
  // keys win over merged ones wherever the `<<` is written.
  std::vector<Entry> entries;
  std::optional<Position> merge_at;
  std::size_t merge_index = 0;  // where the `<<` stands among the explicit entries
  std::vector<Entry> merged;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const Position key_at = position_of(key.Mark());
    if (!key.IsScalar()) {
      diagnostics.error(key_at, "a key must be plain text, not " + describe(key));
      continue;
    }
    if (is_merge_key(key)) {
      if (merge_at) {
        diagnostics.error(key_at, "'<<' is defined twice (first at line " +
                                      std::to_string(merge_at->line) +
                                      "); merge several mappings with <<: [*a, *b]");
        continue;
      }
      merge_at = key_at;
      merge_index = entries.size();
      merged = merged_entries(value, key_at, depth, diagnostics);
      continue;
    }
    const auto duplicate = std::find_if(entries.begin(), entries.end(),
                                        [&](const Entry& e) { return e.key == key.Scalar(); });
    if (duplicate != entries.end()) {
      diagnostics.error(key_at, "'" + key.Scalar() + "' is defined twice (first at line " +
                                    std::to_string(duplicate->key_at.line) + ")");
      continue;
    }
    Position value_at = position_of(value.Mark());
    if (value.IsNull() && (value_at.line != key_at.line || value_at.line == 0)) value_at = key_at;
    entries.push_back({key.Scalar(), key_at, value, value_at});
  }
  if (!merge_at) return entries;
  // Built by copying into a new vector: assigning a YAML::Node (as inserting into the middle
  // of a vector would) does not rebind the handle but rewrites the node in the document.
  std::vector<Entry> result;
  result.reserve(entries.size() + merged.size());
  for (std::size_t i = 0; i <= entries.size(); ++i) {
    if (i == merge_index) {
      for (const Entry& entry : merged) {
        if (!find(entries, entry.key)) result.push_back(entry);
      }
    }
    if (i < entries.size()) result.push_back(entries[i]);
  }
  return result;
}

}  // namespace

std::vector<Entry> read_mapping(const YAML::Node& map, Diagnostics& diagnostics) {
  return read_mapping_at(map, 0, diagnostics);
}

const Entry* find(const std::vector<Entry>& entries, std::string_view key) {
  const auto it =
      std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; });
  return it == entries.end() ? nullptr : &*it;
}

void reject_unknown_keys(const std::vector<Entry>& entries, std::span<const std::string_view> known,
                         std::string_view context, Diagnostics& diagnostics) {
  for (const Entry& entry : entries) {
    if (std::find(known.begin(), known.end(), entry.key) != known.end()) continue;
    diagnostics.error(entry.key_at, "unknown key '" + entry.key + "' in " + std::string(context) +
                                        did_you_mean(entry.key, known));
  }
}

std::string describe(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  const auto kind = scalar_kind(node);
  if (!kind || *kind == ScalarKind::null) return "nothing";
  switch (*kind) {
    case ScalarKind::boolean:
      return node.Scalar();
    case ScalarKind::integer:
    case ScalarKind::real:
      return "the number " + node.Scalar();
    default:
      return "the text '" + node.Scalar() + "'";
  }
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o')) {
    base = text[1] == 'x' ? 16 : 8;
    if (negative) return std::nullopt;  // the core schema has no signed hex or octal
    text.remove_prefix(2);
    if (!all_of_chars(text, base == 16 ? ::isxdigit : is_octal)) return std::nullopt;
  } else if (!all_of_chars(text, ::isdigit)) {
    return std::nullopt;
  }
  std::uint64_t magnitude = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  constexpr auto kMax = static_cast<std::uint64_t>(INT64_MAX);
  if (magnitude > kMax + (negative ? 1 : 0)) return std::nullopt;
  if (negative) return magnitude == kMax + 1 ? INT64_MIN : -static_cast<std::int64_t>(magnitude);
  return static_cast<std::int64_t>(magnitude);
}

std::optional<double> parse_real(std::string_view text) {
  static constexpr std::array<std::string_view, 3> kInfinity = {".inf", ".Inf", ".INF"};
  static constexpr std::array<std::string_view, 3> kNan = {".nan", ".NaN", ".NAN"};
  if (std::find(kNan.begin(), kNan.end(), text) != kNan.end()) return std::nan("");
  bool negative = false;
  std::string_view body = text;
  if (!body.empty() && (body.front() == '-' || body.front() == '+')) {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  if (std::find(kInfinity.begin(), kInfinity.end(), body) != kInfinity.end()) {
    return negative ? -HUGE_VAL : HUGE_VAL;
  }
  // [0-9]* ( . [0-9]* )? ( [eE] [-+]? [0-9]+ )?, with at least one digit before the exponent.
  std::size_t i = 0;
  std::size_t mantissa_digits = 0;
  while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i])))
    ++i, ++mantissa_digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) {
      ++i, ++mantissa_digits;
    }
  }
  if (mantissa_digits == 0) return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '-' || body[i] == '+')) ++i;
    std::size_t exponent_digits = 0;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) {
      ++i, ++exponent_digits;
    }
    if (exponent_digits == 0) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  const std::string copy(text);  // strtod reads the sign and the digits we just checked
  return std::strtod(copy.c_str(), nullptr);
}

std::optional<ScalarKind> scalar_kind(const YAML::Node& node) {
  if (node.IsNull()) return ScalarKind::null;
  if (!node.IsScalar()) return std::nullopt;
  const std::string& text = node.Scalar();
  if (node.Tag() == "!" || node.Tag() == kStringTag) return ScalarKind::string;
  if (text == "~" || text == "null" || text == "Null" || text == "NULL") return ScalarKind::null;
  static constexpr std::array<std::string_view, 6> kBooleans = {"true",  "True",  "TRUE",
                                                                "false", "False", "FALSE"};
  if (std::find(kBooleans.begin(), kBooleans.end(), text) != kBooleans.end()) {
    return ScalarKind::boolean;
  }
  if (parse_integer(text)) return ScalarKind::integer;
  if (parse_real(text)) return ScalarKind::real;
  return ScalarKind::string;
}

std::optional<std::string> read_string(const Located& value, Diagnostics& diagnostics) {
  const auto kind = scalar_kind(value.node);
  if (kind == ScalarKind::string && !value.node.Scalar().empty()) return value.node.Scalar();
  if (kind == ScalarKind::string) {
    diagnostics.error(value.at, value.what + ": must not be empty");
    return std::nullopt;
  }
  // `match: [abc]` and `listen: [::1]` are YAML lists, `match: {a,b}` a mapping, as `{1}` is
  // in args; what the user meant is text in quotes.
  if (const std::string flow = flow_text(value.node, diagnostics.source()); !flow.empty()) {
    diagnostics.error(value.at, value.what + ": unquoted " + flow + " is a YAML " +
                                    (value.node.IsMap() ? "mapping" : "list") + "; write \"" +
                                    flow + "\" in quotes for the text");
    return std::nullopt;
  }
  diagnostics.error(value.at, value.what + ": expected text, got " + describe(value.node));
  return std::nullopt;
}

std::optional<bool> read_bool(const Located& value, Diagnostics& diagnostics) {
  if (scalar_kind(value.node) == ScalarKind::boolean) {
    return std::tolower(static_cast<unsigned char>(value.node.Scalar().front())) == 't';
  }
  diagnostics.error(value.at, value.what + ": expected true or false, got " + describe(value.node));
  return std::nullopt;
}

std::optional<std::int64_t> read_integer(const Located& value, std::int64_t min, std::int64_t max,
                                         Diagnostics& diagnostics) {
  if (scalar_kind(value.node) != ScalarKind::integer) {
    diagnostics.error(value.at, value.what + ": expected a whole number " + range_text(min, max) +
                                    ", got " + describe(value.node));
    return std::nullopt;
  }
  const std::int64_t number = *parse_integer(value.node.Scalar());
  if (number < min || number > max) {
    diagnostics.error(value.at, value.what + ": " + value.node.Scalar() + " is out of range " +
                                    range_text(min, max));
    return std::nullopt;
  }
  return number;
}

std::optional<double> read_number(const Located& value, Diagnostics& diagnostics) {
  const auto kind = scalar_kind(value.node);
  if (kind == ScalarKind::integer) return static_cast<double>(*parse_integer(value.node.Scalar()));
  if (kind == ScalarKind::real) {
    const double number = *parse_real(value.node.Scalar());
    if (std::isfinite(number)) return number;
  }
  diagnostics.error(value.at,
                    value.what + ": expected a finite number, got " + describe(value.node));
  return std::nullopt;
}

std::optional<std::size_t> read_byte_size(const Located& value, std::size_t min, std::size_t max,
                                          Diagnostics& diagnostics) {
  const auto kind = scalar_kind(value.node);
  std::uint64_t number = 0;
  std::string_view unit;
  const bool parsed = (kind == ScalarKind::integer || kind == ScalarKind::string) &&
                      split_number_unit(value.node.Scalar(), number, unit);
  std::uint64_t multiplier = 0;
  if (unit.empty() || unit == "B") multiplier = 1;
  if (unit == "KiB") multiplier = 1024;
  if (unit == "MiB") multiplier = 1024 * 1024;
  if (!parsed || multiplier == 0) {
    diagnostics.error(value.at, value.what + ": expected a size in bytes such as 65536, 64KiB or " +
                                    "1MiB, got " + describe(value.node));
    return std::nullopt;
  }
  if (number > max / multiplier || number * multiplier < min) {
    diagnostics.error(value.at, value.what + ": " + value.node.Scalar() + " is out of range " +
                                    bytes_text(min) + ".." + bytes_text(max));
    return std::nullopt;
  }
  return static_cast<std::size_t>(number * multiplier);
}

std::optional<std::chrono::milliseconds> read_duration(const Located& value,
                                                       std::chrono::milliseconds min,
                                                       std::chrono::milliseconds max,
                                                       Diagnostics& diagnostics) {
  const auto kind = scalar_kind(value.node);
  std::uint64_t number = 0;
  std::string_view unit;
  const bool parsed =
      kind == ScalarKind::string && split_number_unit(value.node.Scalar(), number, unit);
  std::uint64_t unit_ms = 0;
  if (unit == "ms") unit_ms = 1;
  if (unit == "s") unit_ms = 1000;
  if (unit == "min") unit_ms = 60'000;
  if (unit == "h") unit_ms = 3'600'000;
  if (!parsed || unit_ms == 0) {
    const std::string hint = kind == ScalarKind::integer ? " (a unit is required)" : "";
    diagnostics.error(value.at, value.what + ": expected a duration such as 250ms, 30s, 2min or " +
                                    "1h, got " + describe(value.node) + hint);
    return std::nullopt;
  }
  const auto max_ms = static_cast<std::uint64_t>(max.count());
  if (number > max_ms / unit_ms || number * unit_ms < static_cast<std::uint64_t>(min.count())) {
    diagnostics.error(value.at, value.what + ": " + value.node.Scalar() + " is out of range " +
                                    duration_text(min) + ".." + duration_text(max));
    return std::nullopt;
  }
  return std::chrono::milliseconds(number * unit_ms);
}

std::optional<std::vector<Text>> read_one_or_list(const Located& value, Diagnostics& diagnostics) {
  std::vector<Text> items;
  if (!value.node.IsSequence()) {
    const auto text = read_string(value, diagnostics);
    if (!text) return std::nullopt;
    items.push_back({*text, value.at});
    return items;
  }
  if (value.node.size() == 0) {
    diagnostics.error(value.at, value.what + ": the list is empty");
    return std::nullopt;
  }
  bool ok = true;
  std::size_t index = 0;
  for (const YAML::Node& element : value.node) {
    ++index;
    const Located item{element, position_of(element.Mark()),
                       value.what + "[" + std::to_string(index) + "]"};
    if (auto text = read_string(item, diagnostics)) {
      items.push_back({*text, item.at});
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return items;
}

std::optional<std::size_t> read_choice(const Located& value,
                                       std::span<const std::string_view> choices,
                                       std::string_view noun, Diagnostics& diagnostics) {
  const auto text = read_string(value, diagnostics);
  if (!text) return std::nullopt;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (*text == choices[i]) return i;
  }
  diagnostics.error(value.at, value.what + ": unknown " + std::string(noun) + " '" + *text +
                                  "', expected " + one_of(choices) + did_you_mean(*text, choices));
  return std::nullopt;
}

}  // namespace oscbridge::config::detail

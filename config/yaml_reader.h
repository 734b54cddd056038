// Internal to oscbridge_config: typed, non-throwing reads of yaml-cpp nodes that report what
// is wrong, and where, to a Diagnostics. Nodes are shared handles into one parsed document,
// which must outlive them; single-threaded like the load that uses them.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"

namespace oscbridge::config::detail {

Position position_of(const YAML::Mark& mark);

// One `key: value` of a mapping. Problems with the value are reported at value_at, which is
// the key's position when the value is empty: yaml-cpp marks an empty value at the next token,
// often on a later line. Copy entries, never assign one to another: assigning a YAML::Node
// does not rebind the handle but rewrites the node in the document.
struct Entry {
  std::string key;
  Position key_at;
  YAML::Node value;
  Position value_at;
};

// A value together with where it is and how to name it in messages ("listen", "to[2]").
struct Located {
  YAML::Node node;
  Position at;
  std::string what;
};
Located located(const Entry& entry);

// The entries of a mapping in file order. Reports keys that are not plain text and keys that
// appear twice, which yaml-cpp would otherwise accept with the last one silently winning.
// Resolves merge keys (https://yaml.org/type/merge.html), which yaml-cpp leaves as a key "<<":
// `<<: *a` or `<<: [*a, *b]` brings in the entries of those mappings that the mapping does not
// set itself, an earlier mapping winning over a later one, where the `<<` is written; merged
// entries keep the positions where they are written, in the anchored mapping.
std::vector<Entry> read_mapping(const YAML::Node& map, Diagnostics& diagnostics);

const Entry* find(const std::vector<Entry>& entries, std::string_view key);

// Reports every key not in known, suggesting the closest known one. context names the
// mapping, e.g. "endpoint 'mixer'".
void reject_unknown_keys(const std::vector<Entry>& entries, std::span<const std::string_view> known,
                         std::string_view context, Diagnostics& diagnostics);

// How a node reads in an error: "a mapping", "a list", "nothing", "the text 'x'", "the number 5".
std::string describe(const YAML::Node& node);

// The YAML 1.2 core schema reading of a scalar: quoted scalars are always strings, plain ones
// are null, true/false, integers (decimal, 0x, 0o) or reals when they look like one.
enum class ScalarKind { null, boolean, integer, real, string };
std::optional<ScalarKind> scalar_kind(const YAML::Node& node);  // nullopt: map or list
std::optional<std::int64_t> parse_integer(std::string_view text);
std::optional<double> parse_real(std::string_view text);

// Each reader reports "WHAT: expected ..., got ..." at the value's position and returns
// nullopt when the value does not fit.
std::optional<std::string> read_string(const Located& value, Diagnostics& diagnostics);
std::optional<bool> read_bool(const Located& value, Diagnostics& diagnostics);
std::optional<std::int64_t> read_integer(const Located& value, std::int64_t min, std::int64_t max,
                                         Diagnostics& diagnostics);
std::optional<double> read_number(const Located& value, Diagnostics& diagnostics);  // finite
// One word of choices: its index, or nullopt after reporting "WHAT: unknown NOUN 'x', expected
// 'a' or 'b' (did you mean ...?)".
std::optional<std::size_t> read_choice(const Located& value,
                                       std::span<const std::string_view> choices,
                                       std::string_view noun, Diagnostics& diagnostics);
// A byte count: 1500, 64KiB, 1MiB.
std::optional<std::size_t> read_byte_size(const Located& value, std::size_t min, std::size_t max,
                                          Diagnostics& diagnostics);
// A duration with a unit: 250ms, 30s, 2min, 1h.
std::optional<std::chrono::milliseconds> read_duration(const Located& value,
                                                       std::chrono::milliseconds min,
                                                       std::chrono::milliseconds max,
                                                       Diagnostics& diagnostics);

// `key: text` or `key: [text, ...]` (a non-empty list of strings), each with its position.
struct Text {
  std::string text;
  Position at;
};
std::optional<std::vector<Text>> read_one_or_list(const Located& value, Diagnostics& diagnostics);

}  // namespace oscbridge::config::detail

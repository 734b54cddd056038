// OSC address patterns: OSC 1.0 wildcards (`?`, `*`, `[abc]`, `[a-z]`, `[!abc]`, `{foo,bar}`)
// plus OSC 1.1 `//` (any number of address levels), compiled once and matched many times.
// A Pattern is an immutable value: it owns its text and its compiled program, copies are
// independent, and its const members may be called from any number of threads at once.
// Matching never allocates and never recurses; Captures are views into the address given to
// matches() and stay valid only as long as that address buffer does.
// Syntax, capture rules and where we differ from liblo: docs/osc-patterns.md.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "osc/pattern_program.h"

namespace oscbridge::osc {

// Every wildcard records a capture, so this also bounds the number of wildcards in a pattern.
inline constexpr std::size_t kMaxCaptures = detail::kMaxProgramCaptures;
// Longer patterns are refused; the bound keeps the matcher's working set on the stack.
inline constexpr std::size_t kMaxPatternLength = detail::kMaxProgramSpan;

// The text each wildcard matched, in pattern order; views into the matched address.
// No allocation. After a failed match `count` is 0 and `items` is unspecified.
struct Captures {
  std::array<std::string_view, kMaxCaptures> items;
  std::size_t count = 0;
};

class Pattern {
 public:
  bool matches(std::string_view address) const;
  // On success fills `captures` (one item per wildcard, `//` included); on failure count = 0.
  // A `//` captures the levels it skipped with their leading '/': "" for none, "/a/b" for two,
  // so that "/x{N}/y" rebuilds the address whether or not levels were skipped.
  bool matches(std::string_view address, Captures& captures) const;

  // Number of wildcards, i.e. of captures a successful match records.
  std::size_t capture_count() const { return program_.capture_count; }
  // Whether capture `index` (0-based, as in Captures::items) can be empty text in some match:
  // true for `*`, for `//` (no level skipped) and for `{}` with an empty alternative; false for
  // `?` and `[...]`, which always match one character, and for an index out of range.
  bool capture_can_be_empty(std::size_t index) const {
    return index < program_.capture_count && ((program_.empty_captures >> index) & 1U) != 0;
  }
  // No wildcard at all: matching is string equality with text().
  bool is_literal() const { return program_.capture_count == 0; }
  // Every address this pattern matches starts with this (for indexing routes). For `/a//b`
  // it is "/a/": the first '/' of `//` is always present in a match.
  std::string_view literal_prefix() const {
    return std::string_view(text_).substr(0, program_.literal_prefix_length);
  }
  const std::string& text() const { return text_; }

 private:
  friend struct PatternResult compile_pattern(std::string_view text);
  Pattern(std::string text, detail::Program program)
      : text_(std::move(text)), program_(std::move(program)) {}

  std::string text_;
  detail::Program program_;
};

// Exactly one of `pattern` and `error` is set. `error` is a reason naming the 1-based
// character position, e.g. "unbalanced '[' at position 3"; `error_offset` is the same place
// as a 0-based byte offset into the text, for callers that report their own columns.
struct PatternResult {
  std::optional<Pattern> pattern;
  std::string error;
  std::size_t error_offset = 0;
};

PatternResult compile_pattern(std::string_view text);

}  // namespace oscbridge::osc

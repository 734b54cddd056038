// libFuzzer target for osc/pattern. Input: "PATTERN\nADDRESS" (no newline: the address is the
// pattern text itself). Compiling must never crash and must either succeed or give a reason.
// Matching must agree with and without captures; a match's captures must rebuild the address
// when put back into the pattern, each being text its wildcard may match; the address must
// start with literal_prefix(). On small inputs the answer must equal a naive recursive
// matcher's (the same oracle as tests/osc/pattern_conformance_test.cpp, kept short here).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "osc/pattern.h"

namespace {

using oscbridge::osc::Captures;
using oscbridge::osc::Pattern;

void require(bool condition) {
  if (!condition) std::abort();
}

bool in_set(std::string_view set, char c) {
  const bool negate = !set.empty() && set[0] == '!';
  if (negate) set.remove_prefix(1);
  bool found = false;
  for (std::size_t i = 0; i < set.size();) {
    const bool range = i + 2 < set.size() && set[i + 1] == '-';
    found = found || (range ? c >= set[i] && c <= set[i + 2] : c == set[i]);
    i += range ? 3 : 1;
  }
  return c != '/' && found != negate;
}

// One pattern level (or one wildcard) against text without '/', by plain recursion.
bool naive_level(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  const std::size_t close = pattern.find(pattern[0] == '[' ? ']' : '}');
  switch (pattern[0]) {
    case '*':
      for (std::size_t k = 0; k <= text.size(); ++k) {
        if (naive_level(pattern.substr(1), text.substr(k))) return true;
      }
      return false;
    case '?':
      return !text.empty() && naive_level(pattern.substr(1), text.substr(1));
    case '[':
      return !text.empty() && in_set(pattern.substr(1, close - 1), text[0]) &&
             naive_level(pattern.substr(close + 1), text.substr(1));
    case '{':
      for (std::size_t item = 1; item <= close;) {
        std::size_t comma = pattern.find(',', item);
        if (comma == std::string_view::npos || comma > close) comma = close;
        const std::string_view alternative = pattern.substr(item, comma - item);
        if (text.substr(0, alternative.size()) == alternative &&
            naive_level(pattern.substr(close + 1), text.substr(alternative.size()))) {
          return true;
        }
        item = comma + 1;
      }
      return false;
    default:
      return !text.empty() && text[0] == pattern[0] &&
             naive_level(pattern.substr(1), text.substr(1));
  }
}

std::vector<std::string_view> split_levels(std::string_view text) {
  std::vector<std::string_view> levels;
  text.remove_prefix(1);
  for (std::size_t slash; (slash = text.find('/')) != std::string_view::npos;) {
    levels.push_back(text.substr(0, slash));
    text.remove_prefix(slash + 1);
  }
  levels.push_back(text);
  return levels;
}

// An empty pattern level stands for `//` (compiled patterns have no other empty level).
bool naive_levels(const std::vector<std::string_view>& pattern, std::size_t p,
                  const std::vector<std::string_view>& address, std::size_t a) {
  if (p == pattern.size()) return a == address.size();
  if (pattern[p].empty()) {
    for (std::size_t k = a; k <= address.size(); ++k) {
      if (naive_levels(pattern, p + 1, address, k)) return true;
    }
    return false;
  }
  return a < address.size() && naive_level(pattern[p], address[a]) &&
         naive_levels(pattern, p + 1, address, a + 1);
}

bool naive_match(std::string_view pattern, std::string_view address) {
  if (address.empty() || address[0] != '/') return false;
  return naive_levels(split_levels(pattern), 0, split_levels(address), 0);
}

// Puts the captures back in place of the wildcards. The pattern compiled, so every '[' has
// its ']' and every '{' its '}'.
std::string rebuild(std::string_view pattern, const Captures& captures) {
  std::string out;
  std::size_t next = 0;
  for (std::size_t i = 0; i < pattern.size();) {
    const char c = pattern[i];
    if (c == '/' && i + 1 < pattern.size() && pattern[i + 1] == '/') {
      const std::string_view skipped = captures.items[next++];
      require(skipped.empty() || skipped[0] == '/');
      out += skipped;
      out += '/';
      i += 2;
    } else if (c == '*' || c == '?' || c == '[' || c == '{') {
      const std::size_t end =
          c == '[' || c == '{' ? pattern.find(c == '[' ? ']' : '}', i) + 1 : i + 1;
      const std::string_view captured = captures.items[next++];
      require(captured.find('/') == std::string_view::npos &&
              naive_level(pattern.substr(i, end - i), captured));
      out += captured;
      i = end;
    } else {
      out += c;
      ++i;
    }
  }
  require(next == captures.count);
  return out;
}

void check(const Pattern& pattern, std::string_view address) {
  Captures captures;
  const bool matched = pattern.matches(address, captures);
  require(matched == pattern.matches(address));
  // The naive matcher is exponential in the number of `*`; keep it to inputs it finishes.
  if (pattern.text().size() <= 24 && address.size() <= 24) {
    require(matched == naive_match(pattern.text(), address));
  }
  if (!matched) {
    require(captures.count == 0);
    return;
  }
  require(captures.count == pattern.capture_count());
  for (std::size_t i = 0; i < captures.count; ++i) {
    const std::string_view item = captures.items[i];
    require(item.data() >= address.data() &&
            item.data() + item.size() <= address.data() + address.size());
  }
  require(address.starts_with(pattern.literal_prefix()));
  require(rebuild(pattern.text(), captures) == address);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view text = input.substr(0, newline);
  const std::string_view address =
      newline == std::string_view::npos ? text : input.substr(newline + 1);

  const oscbridge::osc::PatternResult result = oscbridge::osc::compile_pattern(text);
  if (!result.pattern) {
    require(!result.error.empty() && result.error_offset <= text.size());
    return 0;
  }
  require(result.error.empty());
  const Pattern& pattern = *result.pattern;
  require(pattern.text() == text);
  require(pattern.capture_count() <= oscbridge::osc::kMaxCaptures);
  check(pattern, address);
  check(pattern, pattern.literal_prefix());
  if (pattern.is_literal()) require(pattern.matches(text));
  return 0;
}

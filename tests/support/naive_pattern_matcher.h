// A deliberately naive reference matcher for OSC address patterns, written from the OSC
// 1.0/1.1 text by plain recursion: exponential in the number of `*`, so keep it to tiny inputs.
// The oracle of tests/osc/pattern_conformance_test.cpp and tests/fuzz/fuzz_pattern.cpp.
// naive_match() expects a pattern that compiles (every '[' has its ']' and every '{' its '}').
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace oscbridge::test {

inline bool in_set(std::string_view set, char c) {
  bool negate = false;
  if (!set.empty() && set[0] == '!') {
    negate = true;
    set.remove_prefix(1);
  }
  bool found = false;
  for (std::size_t i = 0; i < set.size();) {
    if (i + 2 < set.size() && set[i + 1] == '-') {
      found = found || (c >= set[i] && c <= set[i + 2]);
      i += 3;
    } else {
      found = found || c == set[i];
      ++i;
    }
  }
  return c != '/' && found != negate;
}

// One level of pattern against one level of address (neither contains '/').
inline bool naive_level(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  switch (pattern[0]) {
    case '*':
      for (std::size_t k = 0; k <= text.size(); ++k) {
        if (naive_level(pattern.substr(1), text.substr(k))) return true;
      }
      return false;
    case '?':
      return !text.empty() && naive_level(pattern.substr(1), text.substr(1));
    case '[': {
      const std::size_t close = pattern.find(']');
      return !text.empty() && in_set(pattern.substr(1, close - 1), text[0]) &&
             naive_level(pattern.substr(close + 1), text.substr(1));
    }
    case '{': {
      const std::size_t close = pattern.find('}');
      std::string_view list = pattern.substr(1, close - 1);
      while (true) {
        const std::size_t comma = list.find(',');
        const std::string_view alternative = list.substr(0, comma);
        if (text.substr(0, alternative.size()) == alternative &&
            naive_level(pattern.substr(close + 1), text.substr(alternative.size()))) {
          return true;
        }
        if (comma == std::string_view::npos) return false;
        list.remove_prefix(comma + 1);
      }
    }
    default:
      return !text.empty() && text[0] == pattern[0] &&
             naive_level(pattern.substr(1), text.substr(1));
  }
}

// Splits "/a/b" into {"a", "b"}; in a pattern an empty piece stands for `//`.
inline std::vector<std::string_view> split_levels(std::string_view text) {
  std::vector<std::string_view> levels;
  text.remove_prefix(1);
  while (true) {
    const std::size_t slash = text.find('/');
    levels.push_back(text.substr(0, slash));
    if (slash == std::string_view::npos) return levels;
    text.remove_prefix(slash + 1);
  }
}

inline bool naive_levels(const std::vector<std::string_view>& pattern, std::size_t p,
                         const std::vector<std::string_view>& address, std::size_t a) {
  if (p == pattern.size()) return a == address.size();
  if (pattern[p].empty()) {  // `//`
    for (std::size_t k = a; k <= address.size(); ++k) {
      if (naive_levels(pattern, p + 1, address, k)) return true;
    }
    return false;
  }
  return a < address.size() && naive_level(pattern[p], address[a]) &&
         naive_levels(pattern, p + 1, address, a + 1);
}

inline bool naive_match(std::string_view pattern, std::string_view address) {
  if (address.empty() || address[0] != '/') return false;
  return naive_levels(split_levels(pattern), 0, split_levels(address), 0);
}

}  // namespace oscbridge::test

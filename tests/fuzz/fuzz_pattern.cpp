// libFuzzer target for osc/pattern. Input: "PATTERN\nADDRESS" (no newline: the address is the
// pattern text itself). Compiling must never crash and must either succeed or give a reason.
// Matching must agree with and without captures; a match's captures must rebuild the address
// when put back into the pattern, each being text its wildcard may match; the address must
// start with literal_prefix(). On small inputs the answer must equal a naive recursive
// matcher's (tests/support/naive_pattern_matcher.h, shared with pattern_conformance_test).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "osc/pattern.h"
#include "tests/support/naive_pattern_matcher.h"

namespace {

using oscbridge::osc::Captures;
using oscbridge::osc::Pattern;
using oscbridge::test::naive_level;
using oscbridge::test::naive_match;

void require(bool condition) {
  if (!condition) std::abort();
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

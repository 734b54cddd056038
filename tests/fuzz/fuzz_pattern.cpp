// libFuzzer target for osc/pattern. Input: "PATTERN\nADDRESS" (no newline: the address is the
// pattern text itself). Compiling must never crash and must either succeed or give a reason;
// matching must agree with and without captures, and a match's captures must rebuild the
// address when put back into the pattern, and the address must start with literal_prefix().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "osc/pattern.h"

namespace {

using oscbridge::osc::Captures;
using oscbridge::osc::Pattern;

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
      out += captures.items[next++];
      out += '/';
      i += 2;
    } else if (c == '*' || c == '?') {
      out += captures.items[next++];
      ++i;
    } else if (c == '[' || c == '{') {
      out += captures.items[next++];
      i = pattern.find(c == '[' ? ']' : '}', i) + 1;
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

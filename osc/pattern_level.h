// Internal to osc/pattern: matching one level of a compiled pattern against one address level
// (text without '/'). A LevelMatcher lives on the stack for one Pattern::matches() call,
// refers to the program, the pattern text, the address and the caller's capture slots without
// owning any of them, and never allocates. Not for use outside osc/pattern*.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "osc/pattern_program.h"

namespace oscbridge::osc::detail {

inline constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// Equality of two short byte runs. A call to memcmp costs more than the comparison itself at
// these lengths, so this compares with at most a few (possibly overlapping) word loads.
inline bool bytes_equal(const char* a, const char* b, std::size_t length) {
  const auto load64 = [](const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  const auto load32 = [](const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  if (length >= 8) {
    for (std::size_t i = 0; i + 8 < length; i += 8) {
      if (load64(a + i) != load64(b + i)) return false;
    }
    return load64(a + length - 8) == load64(b + length - 8);
  }
  if (length >= 4) {
    return load32(a) == load32(b) && load32(a + length - 4) == load32(b + length - 4);
  }
  for (std::size_t i = 0; i < length; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Equality of `a` with `expected` on the bytes where `mask` is 0xff (`expected` is 0 where the
// mask is 0). All three runs are `length` bytes long.
inline bool masked_equal(const char* a, const char* expected, const char* mask,
                         std::size_t length) {
  const auto load64 = [](const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  if (length < 8) {
    for (std::size_t i = 0; i < length; ++i) {
      if ((a[i] & mask[i]) != expected[i]) return false;
    }
    return true;
  }
  for (std::size_t i = 0; i + 8 < length; i += 8) {
    if ((load64(a + i) & load64(mask + i)) != load64(expected + i)) return false;
  }
  const std::size_t last = length - 8;
  return (load64(a + last) & load64(mask + last)) == load64(expected + last);
}

class OffsetSet;

class LevelMatcher {
 public:
  // `slots` may be null when the caller wants no captures; nothing is recorded then.
  LevelMatcher(const Program& program, std::string_view text, std::string_view address,
               std::string_view* slots)
      : program_(program), text_(text), address_(address), slots_(slots) {}
  LevelMatcher(const LevelMatcher&) = delete;
  LevelMatcher& operator=(const LevelMatcher&) = delete;

  // Matches the level against address[begin, end), which holds no '/'.
  bool match(const Level& level, std::size_t begin, std::size_t end);

  // A chunk without `{}` at `start`; the caller guarantees it fits in the address. Literals
  // and sets never match '/', and `?` checks for it, so the chunk cannot cross a level.
  bool fixed_at(const Chunk& chunk, std::size_t start);

  void record(std::uint8_t capture, std::size_t offset, std::size_t length) {
    if (slots_ != nullptr && capture != kNoCapture) {
      slots_[capture] = address_.substr(offset, length);
    }
  }

 private:
  bool chunk_exact(const Chunk& chunk, std::size_t begin, std::size_t end);
  std::size_t chunk_at_start(const Chunk& chunk, std::size_t begin, std::size_t end);
  bool chunk_earliest_end(const Chunk& chunk, std::size_t from, std::size_t end, std::size_t& start,
                          std::size_t& stop);
  std::size_t chunk_at_end(const Chunk& chunk, std::size_t from, std::size_t end);
  std::size_t next_candidate(const Chunk& chunk, std::size_t from, std::size_t end) const;
  bool equal_at(std::size_t address_offset, std::size_t text_offset, std::size_t length) const {
    return bytes_equal(address_.data() + address_offset, text_.data() + text_offset, length);
  }
  bool reachable(const Chunk& chunk, std::size_t start, std::size_t end, OffsetSet& ends,
                 OffsetSet* history) const;
  void record_alternatives_chunk(const Chunk& chunk, std::size_t start, std::size_t length);

  const Program& program_;
  std::string_view text_;
  std::string_view address_;
  std::string_view* slots_;
};

}  // namespace oscbridge::osc::detail

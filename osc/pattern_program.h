// Internal to osc/pattern: the compiled form of an address pattern. Included by pattern.h only
// because Pattern holds a Program by value; nothing outside osc/pattern*.cpp should use it.
// A Program is immutable after compile_pattern() builds it and refers to the pattern text by
// offsets (never by pointer), so a copied Pattern stays valid on its own.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace oscbridge::osc::detail {

// Upper bound on pattern length, and thus on how long a run of pattern units can match.
inline constexpr std::size_t kMaxProgramSpan = 1024;
inline constexpr std::uint8_t kNoCapture = 0xff;

// One unit inside an address level. `*` is not a unit: it separates a level's chunks.
enum class Op : std::uint8_t {
  literal,       // text_offset/length: bytes of the pattern text to compare
  any_char,      // `?`
  char_class,    // `[...]`: index into Program::classes
  alternatives,  // `{...}`: first/count into Program::alternatives
};

struct Instruction {
  Op op = Op::literal;
  std::uint8_t capture = kNoCapture;
  std::uint16_t min_length = 0;  // shortest text this unit matches
  std::uint16_t max_length = 0;  // longest text this unit matches
  std::uint32_t first = 0;       // literal: text offset; class/alternatives: table index
  std::uint32_t count = 0;       // literal: length; alternatives: how many
};

// A maximal run of units between `*`s within one level; fixed-length when it holds no `{}`.
struct Chunk {
  std::uint32_t first_instruction = 0;
  std::uint32_t instruction_count = 0;
  std::uint16_t min_length = 0;
  std::uint16_t max_length = 0;
  std::uint8_t star_capture = kNoCapture;  // capture of the `*` before this chunk (not chunk 0)
  bool has_alternatives = false;
};

enum class LevelKind : std::uint8_t {
  one_level,  // matches exactly one address level: chunks separated by `*`
  any_levels  // OSC 1.1 `//`: zero or more whole levels
};

struct Level {
  LevelKind kind = LevelKind::one_level;
  std::uint8_t capture = kNoCapture;  // any_levels: capture of the skipped text
  std::uint32_t first_chunk = 0;
  std::uint32_t chunk_count = 0;
};

// 256-bit byte set; '/' is never a member, so a class cannot cross an address level.
struct CharClass {
  std::array<std::uint64_t, 4> bits{};
  bool contains(unsigned char c) const { return (bits[c >> 6] >> (c & 63)) & 1U; }
  void add(unsigned char c) { bits[c >> 6] |= std::uint64_t{1} << (c & 63); }
};

struct Alternative {
  std::uint32_t text_offset = 0;
  std::uint32_t length = 0;
};

struct Program {
  std::vector<Level> levels;
  std::vector<Chunk> chunks;
  std::vector<Instruction> instructions;
  std::vector<CharClass> classes;
  std::vector<Alternative> alternatives;
  std::size_t capture_count = 0;
  std::size_t literal_prefix_length = 0;
};

}  // namespace oscbridge::osc::detail

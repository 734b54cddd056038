// Internal to osc/pattern: the compiled form of an address pattern. Included by pattern.h only
// because Pattern holds a Program by value; nothing outside osc/pattern*.cpp should use it.
// A Program is immutable after compile_pattern() builds it and refers to the pattern text by
// offsets (never by pointer), so a copied Pattern stays valid on its own.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oscbridge::osc::detail {

// Upper bound on pattern length, and thus on how long a run of pattern units can match.
inline constexpr std::size_t kMaxProgramSpan = 1024;
inline constexpr std::uint8_t kNoCapture = 0xff;
// Every wildcard takes a capture slot, so no chunk holds more `{}` than this.
inline constexpr std::size_t kMaxProgramCaptures = 16;
static_assert(kMaxProgramCaptures <= 32, "Program::empty_captures has one bit per capture");

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

// How a one_level level is matched; the first two skip the general chunk machinery.
enum class LevelShape : std::uint8_t {
  fixed_length,  // one chunk without `{}`: its length is known, so no scan for the next '/'
  any_text,      // exactly `*`: any level matches
  general
};

struct Level {
  LevelKind kind = LevelKind::one_level;
  LevelShape shape = LevelShape::general;
  std::uint8_t capture = kNoCapture;  // any_levels: capture of the skipped text
  std::uint32_t text_begin = 0;       // offset of the '/' that opens the level in the text
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

// The linear form of a pattern without `//`: its levels can never shift against the
// address's, so the address is consumed left to right, one step at a time, with no level
// bookkeeping. Literal steps include the '/'s between levels.
enum class StepOp : std::uint8_t {
  literal,             // first/count: bytes of the pattern text
  any_char,            // `?`
  char_class,          // first: index into Program::classes
  level_star,          // a whole level that is `*`
  level_alternatives,  // a whole level that is `{...}`: first/count into Program::alternatives
  level_general        // any other level with `*` or `{}`: first is its index in levels
};

struct Step {
  StepOp op = StepOp::literal;
  std::uint8_t capture = kNoCapture;
  std::uint32_t first = 0;
  std::uint32_t count = 0;
};

struct Program {
  std::vector<Level> levels;
  std::vector<Chunk> chunks;
  std::vector<Instruction> instructions;
  std::vector<CharClass> classes;
  std::vector<Alternative> alternatives;
  std::size_t capture_count = 0;
  // Bit i set: capture i can be empty text (`*`, `//`, `{}` with an empty alternative).
  std::uint32_t empty_captures = 0;
  std::size_t literal_prefix_length = 0;
  // Whole literal levels before the first and after the last level with a wildcard must equal
  // the address's first and last bytes, so they are compared with one memcmp each and only
  // levels [first_wild_level, end_wild_level) run through the matcher.
  std::size_t head_length = 0;  // bytes of text before level first_wild_level
  std::size_t tail_length = 0;  // bytes of text from level end_wild_level on
  std::size_t first_wild_level = 0;
  std::size_t end_wild_level = 0;
  bool linear = false;  // no `//`: match with `steps`
  std::vector<Step> steps;
  // When every level has a fixed length (no `*`, `{}`, `//`): the matched length is fixed,
  // fixed_bytes holds the literal bytes (0 elsewhere), fixed_mask is 0xff on literal bytes, and
  // fixed_wildcards lists the `?` and `[...]` with `first` = position, `count` = class index.
  // fixed_bytes is empty otherwise.
  std::string fixed_bytes;
  std::string fixed_mask;
  std::vector<Step> fixed_wildcards;
};

// Fills the derived fields of a freshly parsed program (pattern_lower.cpp): head/tail
// lengths, wild level range, steps, and the fixed-length form.
void lower(Program& program, std::string_view text);

}  // namespace oscbridge::osc::detail

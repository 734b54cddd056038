// Compiles an OSC address pattern into a detail::Program. All validation happens here, so the
// matcher (pattern_match.cpp) can trust the program and never reports errors.
#include "osc/pattern.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

namespace oscbridge::osc {
namespace {

using detail::Alternative;
using detail::CharClass;
using detail::Chunk;
using detail::Instruction;
using detail::Level;
using detail::LevelKind;
using detail::LevelShape;
using detail::Op;

// Characters the OSC 1.0 spec forbids in address parts, less the ones that are pattern syntax
// where they appear ('/', '*', '?', '[', ']', '{', '}', ',' are handled by the parser).
bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

std::string describe(unsigned char c) {
  if (c == ' ') return "' ' (space)";
  if (is_control(c)) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "0x%02x", static_cast<unsigned>(c));
    return std::string("control character ") + buffer;
  }
  return std::string("'") + static_cast<char>(c) + "'";
}

// A byte OSC allows as a plain character of an address part (also inside `{...}`).
bool is_name_char(unsigned char c) {
  return !is_control(c) && c != ' ' && c != '#' && c != '*' && c != ',' && c != '/' && c != '?' &&
         c != '[' && c != ']' && c != '{' && c != '}';
}

// Inside `[...]` a set matches one byte, so multi-byte UTF-8 makes no sense there.
bool is_set_char(unsigned char c) {
  return c < 0x80 && is_name_char(c);
}

class Compiler {
 public:
  explicit Compiler(std::string_view text) : text_(text) {}
  Compiler(const Compiler&) = delete;
  Compiler& operator=(const Compiler&) = delete;

  // True when the text compiled; then take_program() holds it, else error() says why.
  bool run() {
    if (text_.empty()) return fail(0, "empty pattern");
    if (text_.size() > kMaxPatternLength) {
      return fail(kMaxPatternLength,
                  "pattern longer than " + std::to_string(kMaxPatternLength) + " characters");
    }
    if (text_[0] != '/') return fail(0, "pattern must start with '/'");
    std::size_t i = 0;
    while (i < text_.size() && error_.empty()) {
      // text_[i] is the '/' that opens a level, or the first of a `//`.
      if (i + 1 < text_.size() && text_[i + 1] == '/') {
        if (i + 2 < text_.size() && text_[i + 2] == '/') {
          return fail(i + 2, "three or more '/' in a row");
        }
        if (i + 2 == text_.size()) {
          return fail(i, "'//' must be followed by an address level (write '//*' for any)");
        }
        if (!add_any_levels(i)) break;
        i += 2;
      } else {
        i += 1;
      }
      i = parse_level(i);
    }
    if (!error_.empty()) return false;
    if (!saw_wildcard_) program_.literal_prefix_length = text_.size();
    detail::lower(program_, text_);
    return true;
  }

  detail::Program take_program() { return std::move(program_); }
  const std::string& error() const { return error_; }
  std::size_t error_offset() const { return error_offset_; }

 private:
  bool fail(std::size_t offset, const std::string& reason) {
    record_error(offset, reason);
    return false;
  }

  void record_error(std::size_t offset, const std::string& reason) {
    if (!error_.empty()) return;
    error_ = reason + " at position " + std::to_string(offset + 1);
    error_offset_ = offset;
  }

  // Every wildcard costs a capture slot; returns kNoCapture (and records an error) when full.
  // can_be_empty: the wildcard may match no text at all.
  std::uint8_t take_capture(std::size_t offset, std::size_t prefix_length,
                            bool can_be_empty = false) {
    if (!saw_wildcard_) {
      saw_wildcard_ = true;
      program_.literal_prefix_length = prefix_length;
    }
    if (program_.capture_count == kMaxCaptures) {
      record_error(offset, "more than " + std::to_string(kMaxCaptures) +
                               " wildcards (each one records a capture)");
      return detail::kNoCapture;
    }
    if (can_be_empty) program_.empty_captures |= std::uint32_t{1} << program_.capture_count;
    return static_cast<std::uint8_t>(program_.capture_count++);
  }

  bool add_any_levels(std::size_t offset) {
    Level level;
    level.kind = LevelKind::any_levels;
    level.text_begin = static_cast<std::uint32_t>(offset);
    // The first '/' of `//` is in every matching address, so it belongs to the prefix.
    level.capture = take_capture(offset, offset + 1, true);  // "" when it skips no level
    program_.levels.push_back(level);
    return error_.empty();
  }

  // Parses one level starting at `begin` (just after its '/'); returns the index of the '/'
  // that ends it, or the end of the text.
  std::size_t parse_level(std::size_t begin) {
    if (begin == text_.size()) {
      record_error(begin - 1, "pattern ends with '/'");
      return begin;
    }
    if (text_[begin] == '/') {
      record_error(begin, "empty address level");
      return begin;
    }
    Level level;
    // After `//` the level has no '/' of its own; its text starts where `//` ends.
    level.text_begin = static_cast<std::uint32_t>(begin - 1);
    level.first_chunk = static_cast<std::uint32_t>(program_.chunks.size());
    start_chunk(detail::kNoCapture);
    std::size_t i = begin;
    while (i < text_.size() && text_[i] != '/' && error_.empty()) {
      const auto c = static_cast<unsigned char>(text_[i]);
      switch (c) {
        case '*':
          if (i + 1 < text_.size() && text_[i + 1] == '*') {
            record_error(i, "'**' is not OSC syntax (use '//' to match any number of levels)");
            break;
          }
          start_chunk(take_capture(i, i, true));
          ++i;
          break;
        case '?':
          add_single(Op::any_char, 0, take_capture(i, i));
          ++i;
          break;
        case '[':
          i = parse_set(i);
          break;
        case '{':
          i = parse_alternatives(i);
          break;
        case ']':
          record_error(i, "']' without '['");
          break;
        case '}':
          record_error(i, "'}' without '{'");
          break;
        case ',':
          record_error(i, "',' outside '{...}'");
          break;
        default:
          if (!is_name_char(c)) {
            record_error(i, "character " + describe(c) + " is not allowed in an OSC address");
            break;
          }
          add_literal_byte(i);
          ++i;
          break;
      }
    }
    level.chunk_count = static_cast<std::uint32_t>(program_.chunks.size()) - level.first_chunk;
    const Chunk& first = program_.chunks[level.first_chunk];
    if (level.chunk_count == 1 && !first.has_alternatives) {
      level.shape = LevelShape::fixed_length;
    } else if (level.chunk_count == 2 && first.instruction_count == 0 &&
               program_.chunks.back().instruction_count == 0) {
      level.shape = LevelShape::any_text;
    }
    program_.levels.push_back(level);
    return i;
  }

  std::size_t parse_set(std::size_t open) {
    CharClass set;
    std::size_t i = open + 1;
    bool negate = false;
    if (i < text_.size() && text_[i] == '!') {
      negate = true;
      ++i;
    }
    const std::size_t first_item = i;
    while (true) {
      if (i == text_.size()) {
        record_error(open, "unbalanced '['");
        return i;
      }
      const auto c = static_cast<unsigned char>(text_[i]);
      if (c == ']') break;
      if (c == '/') {
        record_error(i, "'/' inside '[...]' (a set matches one character of one level)");
        return i;
      }
      if (!is_set_char(c)) {
        record_error(i, "character " + describe(c) + " is not allowed inside '[...]'");
        return i;
      }
      const bool next_is_dash = i + 1 < text_.size() && text_[i + 1] == '-';
      const bool range = c != '-' && next_is_dash && i + 2 < text_.size() && text_[i + 2] != ']';
      if (range) {
        const auto last = static_cast<unsigned char>(text_[i + 2]);
        if (last == '/' || !is_set_char(last)) {
          record_error(i + 2, "character " + describe(last) + " is not allowed inside '[...]'");
          return i + 2;
        }
        if (last < c) {
          record_error(i, std::string("bad range '") + static_cast<char>(c) + '-' +
                              static_cast<char>(last) + "' (start after end)");
          return i;
        }
        for (unsigned v = c; v <= last; ++v) set.add(static_cast<unsigned char>(v));
        i += 3;
        continue;
      }
      if (c == '-' && i != first_item && i + 1 < text_.size() && text_[i + 1] != ']') {
        record_error(i, "'-' inside '[...]' must be first, last, or between two characters");
        return i;
      }
      set.add(c);
      ++i;
    }
    if (i == first_item) {
      record_error(open, negate ? "empty '[!]'" : "empty '[]'");
      return i;
    }
    if (negate) {
      for (auto& word : set.bits) word = ~word;
    }
    set.bits['/' >> 6] &= ~(std::uint64_t{1} << ('/' & 63));
    program_.classes.push_back(set);
    add_single(Op::char_class, static_cast<std::uint32_t>(program_.classes.size() - 1),
               take_capture(open, open));
    return i + 1;
  }

  std::size_t parse_alternatives(std::size_t open) {
    Instruction alternatives;
    alternatives.op = Op::alternatives;
    alternatives.first = static_cast<std::uint32_t>(program_.alternatives.size());
    alternatives.min_length = UINT16_MAX;
    std::size_t i = open + 1;
    std::size_t item = i;
    while (true) {
      if (i == text_.size()) {
        record_error(open, "unbalanced '{'");
        return i;
      }
      const auto c = static_cast<unsigned char>(text_[i]);
      if (c == ',' || c == '}') {
        const auto length = static_cast<std::uint16_t>(i - item);
        program_.alternatives.push_back(
            Alternative{static_cast<std::uint32_t>(item), static_cast<std::uint32_t>(length)});
        alternatives.min_length = std::min(alternatives.min_length, length);
        alternatives.max_length = std::max(alternatives.max_length, length);
        ++alternatives.count;
        item = i + 1;
        if (c == '}') break;
      } else if (c == '{') {
        record_error(i, "nested '{'");
        return i;
      } else if (c == '/') {
        record_error(i, "'/' inside '{...}' (an alternative matches within one level)");
        return i;
      } else if (c == '*' || c == '?' || c == '[' || c == ']') {
        record_error(i, "wildcard " + describe(c) + " inside '{...}' (alternatives are literal)");
        return i;
      } else if (!is_name_char(c)) {
        record_error(i, "character " + describe(c) + " is not allowed in an OSC address");
        return i;
      }
      ++i;
    }
    if (alternatives.count == 1 && alternatives.max_length == 0) {
      record_error(open, "empty '{}'");
      return i;
    }
    alternatives.capture = take_capture(open, open, alternatives.min_length == 0);
    append(alternatives);
    program_.chunks.back().has_alternatives = true;
    return i + 1;
  }

  void start_chunk(std::uint8_t star_capture) {
    Chunk chunk;
    chunk.first_instruction = static_cast<std::uint32_t>(program_.instructions.size());
    chunk.star_capture = star_capture;
    program_.chunks.push_back(chunk);
    literal_open_ = false;
  }

  void add_single(Op op, std::uint32_t first, std::uint8_t capture) {
    Instruction instruction;
    instruction.op = op;
    instruction.capture = capture;
    instruction.min_length = 1;
    instruction.max_length = 1;
    instruction.first = first;
    append(instruction);
  }

  // Consecutive plain characters become one literal instruction compared with memcmp.
  void add_literal_byte(std::size_t offset) {
    if (literal_open_) {
      Instruction& literal = program_.instructions.back();
      ++literal.count;
      ++literal.min_length;
      ++literal.max_length;
      Chunk& chunk = program_.chunks.back();
      ++chunk.min_length;
      ++chunk.max_length;
      return;
    }
    Instruction literal;
    literal.op = Op::literal;
    literal.first = static_cast<std::uint32_t>(offset);
    literal.count = 1;
    literal.min_length = 1;
    literal.max_length = 1;
    append(literal);
    literal_open_ = true;
  }

  void append(const Instruction& instruction) {
    program_.instructions.push_back(instruction);
    Chunk& chunk = program_.chunks.back();
    ++chunk.instruction_count;
    chunk.min_length = static_cast<std::uint16_t>(chunk.min_length + instruction.min_length);
    chunk.max_length = static_cast<std::uint16_t>(chunk.max_length + instruction.max_length);
    literal_open_ = false;
  }

  std::string_view text_;
  detail::Program program_;
  bool saw_wildcard_ = false;
  bool literal_open_ = false;
  std::string error_;
  std::size_t error_offset_ = 0;
};

}  // namespace

PatternResult compile_pattern(std::string_view text) {
  Compiler compiler(text);
  if (!compiler.run())
    return PatternResult{std::nullopt, compiler.error(), compiler.error_offset()};
  return PatternResult{Pattern(std::string(text), compiler.take_program()), {}, 0};
}

}  // namespace oscbridge::osc

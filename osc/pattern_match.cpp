// Pattern::matches: without allocating and without recursing.
//
// A pattern without `//` is matched by its linear steps (pattern_program.h): its levels line
// up one to one with the address's, so one left-to-right pass decides, and only levels with
// `*` or `{}` inside reach LevelMatcher (pattern_level.cpp).
//
// With `//`, literal levels at both ends are compared first (they must be the address's first
// and last bytes), and the levels between are placed by a greedy scan in which `//` plays the
// role `*` plays in classic glob matching: each one-level pattern goes to the earliest
// address level it fits, and on a mismatch only the most recent `//` swallows one more level.
// Earlier `//`s never need revisiting, since the later one absorbs any difference, so the
// work is O(address levels x pattern levels) level matches.
#include "osc/pattern.h"
#include "osc/pattern_level.h"

namespace oscbridge::osc {
namespace {

using detail::bytes_equal;
using detail::Chunk;
using detail::kNone;
using detail::Level;
using detail::LevelKind;
using detail::LevelMatcher;
using detail::LevelShape;
using detail::masked_equal;
using detail::Program;
using detail::Step;
using detail::StepOp;

std::size_t level_end(std::string_view address, std::size_t at) {
  while (at < address.size() && address[at] != '/') ++at;  // levels are short: no memchr
  return at;
}

[[gnu::always_inline]] inline void record(std::string_view* slots, std::uint8_t capture,
                                          std::string_view address, std::size_t offset,
                                          std::size_t length) {
  if (slots != nullptr && capture != detail::kNoCapture) {
    slots[capture] = address.substr(offset, length);
  }
}

// Out of line so that the common steps above keep a small stack frame.
[[gnu::noinline]] bool match_general_level(const Program& program, std::string_view text,
                                           std::string_view address, std::string_view* slots,
                                           std::size_t level, std::size_t begin, std::size_t end) {
  LevelMatcher levels(program, text, address, slots);
  return levels.match(program.levels[level], begin, end);
}

// Every level has a fixed length, so the address must be exactly as long as the pattern's
// matches; its literal bytes are compared a word at a time under a mask, then the wildcard
// positions one by one.
bool match_fixed(const Program& program, std::string_view address, std::string_view* slots) {
  const std::string& expected = program.fixed_bytes;
  if (address.size() != expected.size()) return false;
  if (!masked_equal(address.data(), expected.data(), program.fixed_mask.data(), expected.size())) {
    return false;
  }
  for (const Step& step : program.fixed_wildcards) {  // `first` is the position here
    const auto c = static_cast<unsigned char>(address[step.first]);
    if (step.op == StepOp::any_char ? c == '/' : !program.classes[step.count].contains(c)) {
      return false;
    }
    record(slots, step.capture, address, step.first, 1);
  }
  return true;
}

// Out of line, like match_any_levels, so that match_fixed keeps its small stack frame.
[[gnu::noinline]] bool match_linear(const Program& program, std::string_view text,
                                    std::string_view address, std::string_view* slots) {
  const std::size_t size = address.size();
  // Addresses that share a route's first levels usually differ in the last ones, so the
  // literal tail levels are checked first; the steps compare them again on the way.
  const std::size_t tail = program.tail_length;
  if (size < tail ||
      !bytes_equal(address.data() + size - tail, text.data() + text.size() - tail, tail)) {
    return false;
  }
  std::size_t at = 0;
  for (const Step& step : program.steps) {
    switch (step.op) {
      case StepOp::literal:
        if (size - at < step.count ||
            !bytes_equal(address.data() + at, text.data() + step.first, step.count)) {
          return false;
        }
        at += step.count;
        break;
      case StepOp::any_char:
        if (at == size || address[at] == '/') return false;
        record(slots, step.capture, address, at, 1);
        ++at;
        break;
      case StepOp::char_class:
        if (at == size ||
            !program.classes[step.first].contains(static_cast<unsigned char>(address[at]))) {
          return false;
        }
        record(slots, step.capture, address, at, 1);
        ++at;
        break;
      case StepOp::level_star: {
        const std::size_t end = level_end(address, at);
        record(slots, step.capture, address, at, end - at);
        at = end;
        break;
      }
      case StepOp::level_alternatives: {
        // No scan for the level's end: an alternative fits when the level ends right after it.
        const auto* alternative = program.alternatives.data() + step.first;
        const auto* last = alternative + step.count;
        for (; alternative != last; ++alternative) {
          const std::size_t end = at + alternative->length;
          if (end <= size && (end == size || address[end] == '/') &&
              bytes_equal(address.data() + at, text.data() + alternative->text_offset,
                          alternative->length)) {
            break;
          }
        }
        if (alternative == last) return false;
        record(slots, step.capture, address, at, alternative->length);
        at += alternative->length;
        break;
      }
      case StepOp::level_general: {
        const std::size_t end = level_end(address, at);
        if (!match_general_level(program, text, address, slots, step.first, at, end)) {
          return false;
        }
        at = end;
        break;
      }
    }
  }
  return at == size;
}

// Matches the address level opened by the '/' at `slash`; returns where it ends, or kNone.
std::size_t match_one_level(const Program& program, LevelMatcher& levels, std::string_view address,
                            const Level& level, std::size_t slash) {
  const Chunk& first = program.chunks[level.first_chunk];
  switch (level.shape) {
    case LevelShape::fixed_length: {
      const std::size_t end = slash + 1 + first.min_length;
      if (end > address.size() || (end < address.size() && address[end] != '/')) return kNone;
      return levels.fixed_at(first, slash + 1) ? end : kNone;
    }
    case LevelShape::any_text: {
      const std::size_t end = level_end(address, slash + 1);
      levels.record(program.chunks[level.first_chunk + 1].star_capture, slash + 1, end - slash - 1);
      return end;
    }
    case LevelShape::general:
      break;
  }
  const std::size_t end = level_end(address, slash + 1);
  return levels.match(level, slash + 1, end) ? end : kNone;
}

// Matches levels [first_level, end_level) against `address`, which is empty (no levels) or
// starts with '/'. `address` is a view into the caller's, so captures point there.
bool match_levels(const Program& program, std::string_view text, std::string_view address,
                  std::string_view* slots) {
  const std::size_t size = address.size();
  if (size != 0 && address[0] != '/') return false;
  LevelMatcher levels(program, text, address, slots);
  const std::size_t end_level = program.end_wild_level;
  std::size_t level = program.first_wild_level;
  std::size_t at = 0;  // the '/' that opens the next unmatched address level, or size
  std::size_t star_level = kNone;
  std::size_t star_begin = 0;
  std::size_t star_end = 0;
  while (true) {
    if (level < end_level && program.levels[level].kind == LevelKind::any_levels) {
      star_level = level;
      star_begin = star_end = at;
      levels.record(program.levels[level].capture, at, 0);
      ++level;
      continue;
    }
    if (at == size) break;
    if (level < end_level) {
      const std::size_t end = match_one_level(program, levels, address, program.levels[level], at);
      if (end != kNone) {
        ++level;
        at = end;
        continue;
      }
    }
    if (star_level == kNone) return false;
    star_end = level_end(address, star_end + 1);  // the `//` swallows one more address level
    levels.record(program.levels[star_level].capture, star_begin, star_end - star_begin);
    at = star_end;
    level = star_level + 1;
  }
  return level == end_level;
}

// The pattern has `//`.
[[gnu::noinline]] bool match_any_levels(const Program& program, std::string_view text,
                                        std::string_view address, std::string_view* slots) {
  const std::size_t head = program.head_length;
  const std::size_t tail = program.tail_length;
  if (address.size() < head + tail) return false;
  if (!bytes_equal(address.data(), text.data(), head)) return false;
  if (!bytes_equal(address.data() + address.size() - tail, text.data() + text.size() - tail,
                   tail)) {
    return false;
  }
  const std::string_view middle = address.substr(head, address.size() - head - tail);
  if (program.end_wild_level == program.first_wild_level + 1) {
    // Only a `//` between literal levels (say "//fader"): any run of whole levels will do.
    if (!middle.empty() && middle[0] != '/') return false;
    if (slots != nullptr) slots[program.levels[program.first_wild_level].capture] = middle;
    return true;
  }
  return match_levels(program, text, middle, slots);
}

bool match_program(const Program& program, std::string_view text, std::string_view address,
                   std::string_view* slots) {
  if (!program.fixed_bytes.empty()) return match_fixed(program, address, slots);
  if (program.linear) return match_linear(program, text, address, slots);
  return match_any_levels(program, text, address, slots);
}

}  // namespace

bool Pattern::matches(std::string_view address) const {
  if (is_literal()) return address == text_;
  return match_program(program_, text_, address, nullptr);
}

bool Pattern::matches(std::string_view address, Captures& captures) const {
  captures.count = 0;
  if (is_literal()) return address == text_;
  if (!match_program(program_, text_, address, captures.items.data())) return false;
  captures.count = program_.capture_count;
  return true;
}

}  // namespace oscbridge::osc

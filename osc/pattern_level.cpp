// One level of a pattern against one level of an address. Within a level, `*` splits the
// pattern into chunks. A chunk followed by `*` is placed where it ends earliest: any later
// placement leaves the `*` less to absorb and so cannot help. The last chunk must end at the
// level's end; the first must start at its start. So every chunk is placed once, left to right,
// and nothing backtracks. A chunk without `{}` has a fixed length and is compared directly. A
// chunk with `{}` can match several lengths: the set of reachable lengths is computed forward
// as a bitset (bounded by kMaxProgramSpan, so it lives on the stack), and the captures are
// recovered by walking it backwards.
#include "osc/pattern_level.h"

#include <algorithm>
#include <array>
#include <bit>

namespace oscbridge::osc::detail {

// Lengths (offsets from a chunk's start) a prefix of the chunk can match. Offsets above the
// limit set by clear_through() are never stored, and only the words up to it are touched.
class OffsetSet {
 public:
  static constexpr std::size_t kWords = kMaxProgramSpan / 64 + 1;

  void clear_through(std::size_t limit) {
    limit_ = limit;
    for (std::size_t w = 0; w <= limit_ / 64; ++w) words_[w] = 0;
  }
  void copy_from(const OffsetSet& other) {
    limit_ = other.limit_;
    for (std::size_t w = 0; w <= limit_ / 64; ++w) words_[w] = other.words_[w];
  }
  void add(std::size_t offset) { words_[offset / 64] |= std::uint64_t{1} << (offset % 64); }
  bool contains(std::size_t offset) const {
    return offset <= limit_ && ((words_[offset / 64] >> (offset % 64)) & 1U) != 0;
  }
  std::size_t smallest() const {
    for (std::size_t w = 0; w <= limit_ / 64; ++w) {
      if (words_[w] != 0) return w * 64 + static_cast<std::size_t>(std::countr_zero(words_[w]));
    }
    return kNone;
  }
  template <class Visit>
  void for_each(Visit visit) const {
    for (std::size_t w = 0; w <= limit_ / 64; ++w) {
      for (std::uint64_t bits = words_[w]; bits != 0; bits &= bits - 1) {
        visit(w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
      }
    }
  }

 private:
  std::size_t limit_ = 0;
  std::array<std::uint64_t, kWords> words_;  // valid through limit_ only; see clear_through
};

bool LevelMatcher::match(const Level& level, std::size_t begin, std::size_t end) {
  const Chunk* chunks = program_.chunks.data() + level.first_chunk;
  const std::size_t last = level.chunk_count - 1;
  if (last == 0) return chunk_exact(chunks[0], begin, end);
  std::size_t position = chunk_at_start(chunks[0], begin, end);
  if (position == kNone) return false;
  for (std::size_t i = 1; i < last; ++i) {
    std::size_t start = 0;
    std::size_t stop = 0;
    if (!chunk_earliest_end(chunks[i], position, end, start, stop)) return false;
    record(chunks[i].star_capture, position, start - position);
    position = stop;
  }
  const std::size_t start = chunk_at_end(chunks[last], position, end);
  if (start == kNone) return false;
  record(chunks[last].star_capture, position, start - position);
  return true;
}

bool LevelMatcher::fixed_at(const Chunk& chunk, std::size_t start) {
  std::size_t at = start;
  const Instruction* instruction = program_.instructions.data() + chunk.first_instruction;
  for (std::uint32_t i = 0; i < chunk.instruction_count; ++i, ++instruction) {
    switch (instruction->op) {
      case Op::literal:
        if (!equal_at(at, instruction->first, instruction->count)) return false;
        at += instruction->count;
        break;
      case Op::char_class:
        if (!program_.classes[instruction->first].contains(
                static_cast<unsigned char>(address_[at]))) {
          return false;
        }
        record(instruction->capture, at, 1);
        ++at;
        break;
      case Op::any_char:
        if (address_[at] == '/') return false;
        record(instruction->capture, at, 1);
        ++at;
        break;
      case Op::alternatives:
        return false;  // such chunks never come here (has_alternatives)
    }
  }
  return true;
}

// The chunk matches exactly address_[begin, end).
bool LevelMatcher::chunk_exact(const Chunk& chunk, std::size_t begin, std::size_t end) {
  const std::size_t length = end - begin;
  if (length < chunk.min_length || length > chunk.max_length) return false;
  if (!chunk.has_alternatives) return fixed_at(chunk, begin);
  if (chunk.instruction_count == 1) {  // a level that is just `{...}`: no bitset needed
    const Instruction& only = program_.instructions[chunk.first_instruction];
    for (std::uint32_t k = 0; k < only.count; ++k) {
      const auto& alternative = program_.alternatives[only.first + k];
      if (alternative.length == length && equal_at(begin, alternative.text_offset, length)) {
        record(only.capture, begin, length);
        return true;
      }
    }
    return false;
  }
  OffsetSet ends;
  if (!reachable(chunk, begin, end, ends, nullptr) || !ends.contains(length)) return false;
  record_alternatives_chunk(chunk, begin, length);
  return true;
}

// The chunk starts at `begin` and is followed by `*`: returns its earliest end, or kNone.
std::size_t LevelMatcher::chunk_at_start(const Chunk& chunk, std::size_t begin, std::size_t end) {
  if (!chunk.has_alternatives) {
    if (begin + chunk.min_length > end || !fixed_at(chunk, begin)) return kNone;
    return begin + chunk.min_length;
  }
  OffsetSet ends;
  if (!reachable(chunk, begin, end, ends, nullptr)) return kNone;
  const std::size_t length = ends.smallest();
  record_alternatives_chunk(chunk, begin, length);
  return begin + length;
}

// The chunk lies between two `*`s: finds the placement at or after `from` that ends first
// (ties: the one that starts first).
bool LevelMatcher::chunk_earliest_end(const Chunk& chunk, std::size_t from, std::size_t end,
                                      std::size_t& start, std::size_t& stop) {
  if (!chunk.has_alternatives) {
    const std::size_t length = chunk.min_length;
    for (std::size_t s = from; s + length <= end; ++s) {
      s = next_candidate(chunk, s, end);
      if (s == kNone || s + length > end) return false;
      if (fixed_at(chunk, s)) {
        start = s;
        stop = s + length;
        return true;
      }
    }
    return false;
  }
  std::size_t best_start = kNone;
  std::size_t best_stop = kNone;
  for (std::size_t s = from; s + chunk.min_length <= end; ++s) {
    if (best_stop != kNone && s + chunk.min_length >= best_stop) break;
    OffsetSet ends;
    if (!reachable(chunk, s, end, ends, nullptr)) continue;
    const std::size_t candidate = s + ends.smallest();
    if (candidate < best_stop) {
      best_start = s;
      best_stop = candidate;
    }
  }
  if (best_start == kNone) return false;
  record_alternatives_chunk(chunk, best_start, best_stop - best_start);
  start = best_start;
  stop = best_stop;
  return true;
}

// The chunk is the last of a level with a `*` before it: returns the earliest start at or
// after `from` from which it ends exactly at `end`, or kNone.
std::size_t LevelMatcher::chunk_at_end(const Chunk& chunk, std::size_t from, std::size_t end) {
  if (end < from + chunk.min_length) return kNone;
  std::size_t first = from;
  if (end - from > chunk.max_length) first = end - chunk.max_length;
  for (std::size_t s = first; s + chunk.min_length <= end; ++s) {
    if (chunk_exact(chunk, s, end)) return s;
  }
  return kNone;
}

// For a chunk that starts with a literal, skips to the next place that literal occurs.
std::size_t LevelMatcher::next_candidate(const Chunk& chunk, std::size_t from,
                                         std::size_t end) const {
  if (chunk.instruction_count == 0) return from;
  const Instruction& head = program_.instructions[chunk.first_instruction];
  if (head.op != Op::literal) return from;
  const std::size_t found =
      address_.substr(0, end).find(text_.substr(head.first, head.count), from);
  return found == std::string_view::npos ? kNone : found;
}

// Computes in `ends` every length the chunk can match starting at `start` without passing
// `end`; false when there is none. `history`, when given, receives the set before each `{}`
// of the chunk, in order.
bool LevelMatcher::reachable(const Chunk& chunk, std::size_t start, std::size_t end,
                             OffsetSet& ends, OffsetSet* history) const {
  const std::size_t available = end - start;
  OffsetSet buffers[2];
  OffsetSet* current = &buffers[0];
  OffsetSet* next = &buffers[1];
  current->clear_through(0);
  current->add(0);
  std::size_t low = 0;  // no offset in `current` is below low or above high
  std::size_t high = 0;
  const Instruction* instruction = program_.instructions.data() + chunk.first_instruction;
  for (std::uint32_t i = 0; i < chunk.instruction_count; ++i, ++instruction) {
    const std::size_t next_low = low + instruction->min_length;
    if (next_low > available) return false;
    const std::size_t next_high = std::min(high + instruction->max_length, available);
    if (history != nullptr && instruction->op == Op::alternatives) {
      history->copy_from(*current);
      ++history;
    }
    next->clear_through(next_high);
    bool any = false;
    current->for_each([&](std::size_t offset) {
      const std::size_t at = start + offset;
      switch (instruction->op) {
        case Op::literal:
          if (offset + instruction->count <= available &&
              equal_at(at, instruction->first, instruction->count)) {
            next->add(offset + instruction->count);
            any = true;
          }
          break;
        case Op::char_class:
          if (offset < available && program_.classes[instruction->first].contains(
                                        static_cast<unsigned char>(address_[at]))) {
            next->add(offset + 1);
            any = true;
          }
          break;
        case Op::any_char:
          if (offset < available) {
            next->add(offset + 1);
            any = true;
          }
          break;
        case Op::alternatives:
          for (std::uint32_t k = 0; k < instruction->count; ++k) {
            const auto& alternative = program_.alternatives[instruction->first + k];
            if (offset + alternative.length <= available &&
                equal_at(at, alternative.text_offset, alternative.length)) {
              next->add(offset + alternative.length);
              any = true;
            }
          }
          break;
      }
    });
    if (!any) return false;
    std::swap(current, next);
    low = next_low;
    high = next_high;
  }
  ends.copy_from(*current);
  return true;
}

// Records the captures of a `{}` chunk known to match address_[start, start + length): walks
// back from the end, taking at each `{}` the first listed alternative that fits.
void LevelMatcher::record_alternatives_chunk(const Chunk& chunk, std::size_t start,
                                             std::size_t length) {
  if (slots_ == nullptr) return;
  OffsetSet history[kMaxProgramCaptures];
  OffsetSet ends;
  reachable(chunk, start, start + length, ends, history);
  std::size_t remaining_alternatives = 0;
  for (std::uint32_t i = 0; i < chunk.instruction_count; ++i) {
    if (program_.instructions[chunk.first_instruction + i].op == Op::alternatives) {
      ++remaining_alternatives;
    }
  }
  std::size_t offset = length;
  for (std::uint32_t i = chunk.instruction_count; i-- > 0;) {
    const Instruction& instruction = program_.instructions[chunk.first_instruction + i];
    switch (instruction.op) {
      case Op::literal:
        offset -= instruction.count;
        break;
      case Op::char_class:
      case Op::any_char:
        offset -= 1;
        record(instruction.capture, start + offset, 1);
        break;
      case Op::alternatives: {
        const OffsetSet& before = history[--remaining_alternatives];
        for (std::uint32_t k = 0; k < instruction.count; ++k) {
          const auto& alternative = program_.alternatives[instruction.first + k];
          if (alternative.length <= offset && before.contains(offset - alternative.length) &&
              equal_at(start + offset - alternative.length, alternative.text_offset,
                       alternative.length)) {
            offset -= alternative.length;
            record(instruction.capture, start + offset, alternative.length);
            break;
          }
        }
        break;
      }
    }
  }
}

}  // namespace oscbridge::osc::detail

// Lowering: after parsing, derives the faster forms of a Program that the matcher prefers
// (literal head and tail levels, linear steps, the fixed-length masked form). Pure functions
// of the program and its text.
#include <string>
#include <string_view>

#include "osc/pattern_program.h"

namespace oscbridge::osc::detail {
namespace {

bool is_literal_level(const Program& program, const Level& level) {
  if (level.kind == LevelKind::any_levels || level.chunk_count != 1) return false;
  const Chunk& chunk = program.chunks[level.first_chunk];
  for (std::uint32_t i = 0; i < chunk.instruction_count; ++i) {
    if (program.instructions[chunk.first_instruction + i].op != Op::literal) return false;
  }
  return true;
}

void find_wild_levels(Program& program, std::string_view text) {
  const auto& levels = program.levels;
  std::size_t first = 0;
  while (first < levels.size() && is_literal_level(program, levels[first])) ++first;
  std::size_t end = levels.size();
  while (end > first && is_literal_level(program, levels[end - 1])) --end;
  program.first_wild_level = first;
  program.end_wild_level = end;
  program.head_length = first < levels.size() ? levels[first].text_begin : text.size();
  program.tail_length = end < levels.size() ? text.size() - levels[end].text_begin : 0;
}

// Literal runs that are adjacent in the text (a level's '/' and its first characters, say)
// become one step.
void add_literal_step(Program& program, std::uint32_t offset, std::uint32_t length) {
  auto& steps = program.steps;
  if (!steps.empty() && steps.back().op == StepOp::literal &&
      steps.back().first + steps.back().count == offset) {
    steps.back().count += length;
    return;
  }
  steps.push_back({StepOp::literal, kNoCapture, offset, length});
}

void build_steps(Program& program) {
  for (const Level& level : program.levels) {
    if (level.kind == LevelKind::any_levels) return;
  }
  program.linear = true;
  for (std::size_t index = 0; index < program.levels.size(); ++index) {
    const Level& level = program.levels[index];
    add_literal_step(program, level.text_begin, 1);
    const Chunk& first = program.chunks[level.first_chunk];
    const Instruction* instructions = program.instructions.data() + first.first_instruction;
    if (level.shape == LevelShape::fixed_length) {
      for (std::uint32_t i = 0; i < first.instruction_count; ++i) {
        const Instruction& instruction = instructions[i];
        switch (instruction.op) {
          case Op::literal:
            add_literal_step(program, instruction.first, instruction.count);
            break;
          case Op::any_char:
            program.steps.push_back({StepOp::any_char, instruction.capture, 0, 0});
            break;
          case Op::char_class:
            program.steps.push_back(
                {StepOp::char_class, instruction.capture, instruction.first, 0});
            break;
          case Op::alternatives:
            break;  // a fixed-length level has none
        }
      }
    } else if (level.shape == LevelShape::any_text) {
      program.steps.push_back(
          {StepOp::level_star, program.chunks[level.first_chunk + 1].star_capture, 0, 0});
    } else if (level.chunk_count == 1 && first.instruction_count == 1) {
      program.steps.push_back({StepOp::level_alternatives, instructions[0].capture,
                               instructions[0].first, instructions[0].count});
    } else {
      program.steps.push_back(
          {StepOp::level_general, kNoCapture, static_cast<std::uint32_t>(index), 0});
    }
  }
}

void build_fixed(Program& program, std::string_view text) {
  if (!program.linear) return;
  std::string bytes;
  std::string mask;
  std::vector<Step> wildcards;
  for (const Step& step : program.steps) {
    switch (step.op) {
      case StepOp::literal:
        bytes.append(text.substr(step.first, step.count));
        mask.append(step.count, '\xff');
        break;
      case StepOp::any_char:
      case StepOp::char_class:
        wildcards.push_back({step.op, step.capture, static_cast<std::uint32_t>(bytes.size()),
                             step.op == StepOp::char_class ? step.first : 0});
        bytes.push_back('\0');
        mask.push_back('\0');
        break;
      default:
        return;  // a level of variable length
    }
  }
  program.fixed_bytes = std::move(bytes);
  program.fixed_mask = std::move(mask);
  program.fixed_wildcards = std::move(wildcards);
}

}  // namespace

void lower(Program& program, std::string_view text) {
  find_wild_levels(program, text);
  build_steps(program);
  build_fixed(program, text);
}

}  // namespace oscbridge::osc::detail

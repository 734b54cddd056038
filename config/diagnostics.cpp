#include "config/diagnostics.h"

#include <algorithm>

namespace oscbridge::config::detail {

void Diagnostics::error(Position where, std::string message) {
  errors_.push_back({where, std::move(message)});
}

void Diagnostics::warning(Position where, std::string message) {
  warnings_.push_back({where, std::move(message)});
}

std::vector<std::string> Diagnostics::sorted_messages() const {
  return sorted(errors_, "");
}

std::vector<std::string> Diagnostics::sorted_warnings() const {
  return sorted(warnings_, "warning: ");
}

std::vector<std::string> Diagnostics::sorted(std::vector<Entry> entries,
                                             std::string_view prefix) const {
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.where.line != b.where.line ? a.where.line < b.where.line
                                        : a.where.column < b.where.column;
  });
  std::vector<std::string> lines;
  lines.reserve(entries.size());
  for (const Entry& entry : entries) {
    std::string line = file_name_ + ":";
    if (entry.where.line > 0) {
      line += std::to_string(entry.where.line) + ":" + std::to_string(entry.where.column) + ":";
    }
    lines.push_back(line + " " + std::string(prefix) + entry.message);
  }
  return lines;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: Levenshtein plus adjacent transpositions, the commonest typo
  // ("scael" is one edit from "scale", not two).
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

namespace {

template <typename Strings>
std::string closest(std::string_view word, const Strings& candidates) {
  // A third of the word (at least 1, at most 3) keeps "lisen" -> "listen" while refusing to
  // suggest "to" for "id". A word that extends a candidate ("warning" for "warn") also counts.
  const std::size_t limit = std::clamp<std::size_t>(word.size() / 3, 1, 3);
  std::size_t best = limit + 1;
  std::string_view best_candidate;
  for (const auto& candidate_text : candidates) {
    const std::string_view candidate = candidate_text;
    std::size_t distance = edit_distance(word, candidate);
    if (distance >= std::max(word.size(), candidate.size())) continue;  // nothing in common
    if (candidate.size() >= 3 && word.starts_with(candidate)) distance = std::min(distance, limit);
    if (distance < best) {
      best = distance;
      best_candidate = candidate;
    }
  }
  if (best > limit) return {};
  return " (did you mean '" + std::string(best_candidate) + "'?)";
}

}  // namespace

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  return closest(word, candidates);
}

std::string did_you_mean(std::string_view word, std::span<const std::string> candidates) {
  return closest(word, candidates);
}

std::string one_of(std::span<const std::string_view> choices) {
  std::string text;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) text += i + 1 == choices.size() ? " or " : ", ";
    text += "'" + std::string(choices[i]) + "'";
  }
  return text;
}

}  // namespace oscbridge::config::detail

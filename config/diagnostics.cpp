#include "config/diagnostics.h"

#include <algorithm>

namespace oscbridge::config::detail {

void Diagnostics::error(Position where, std::string message) {
  errors_.push_back({where, printable(message)});
}

void Diagnostics::warning(Position where, std::string message) {
  warnings_.push_back({where, printable(message)});
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
    std::string line = printable(file_name_) + ":";
    if (entry.where.line > 0) {
      line += std::to_string(entry.where.line) + ":" + std::to_string(entry.where.column) + ":";
    }
    line += " " + std::string(prefix) + entry.message;
    if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(line);
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

// The length of the UTF-8 sequence at text[0] and its code point, or 0 when it is not one
// (a stray continuation byte, a truncated sequence, an overlong form, a surrogate).
std::size_t decode_utf8(std::string_view text, char32_t& code_point) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  char32_t minimum = 0;
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  } else if ((lead & 0xe0) == 0xc0) {
    length = 2, minimum = 0x80, code_point = lead & 0x1f;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, minimum = 0x800, code_point = lead & 0x0f;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, minimum = 0x10000, code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i) & 0x3f);
  }
  if (code_point < minimum || code_point > 0x10ffff) return 0;
  if (code_point >= 0xd800 && code_point <= 0xdfff) return 0;
  return length;
}

// Characters a terminal acts on rather than shows, or that reorder the text around them.
bool is_control(char32_t c) {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
         (c >= 0x2066 && c <= 0x2069);
}

void append_hex(std::string& out, std::string_view prefix, unsigned value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += prefix;
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += kHex[(value >> shift) & 0xf];
}

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

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    char32_t c = 0;
    const std::size_t length = decode_utf8(text, c);
    if (length == 0) {
      append_hex(out, "\\x", static_cast<unsigned char>(text.front()), 2);
      text.remove_prefix(1);
      continue;
    }
    if (!is_control(c)) {
      out += text.substr(0, length);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x80) {
      append_hex(out, "\\x", static_cast<unsigned>(c), 2);
    } else {
      append_hex(out, "\\u", static_cast<unsigned>(c), 4);
    }
    text.remove_prefix(length);
  }
  return out;
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

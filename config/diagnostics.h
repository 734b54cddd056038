// Internal to oscbridge_config: collects the loader's errors and warnings with their positions
// so that a file is reported whole, in position order. One instance per load, used by one
// thread. An error refuses the file; a warning is a file that runs but probably not as meant.
// Messages quote keys, values and tokens from the file; every message is passed through
// printable() when recorded, so no byte of the file reaches a terminal raw.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace oscbridge::config::detail {

// 1-based, as editors count; line 0 means "no position" (the file as a whole).
struct Position {
  int line = 0;
  int column = 0;
};

class Diagnostics {
 public:
  // source: the file's text, for messages that quote what is written; must outlive this.
  explicit Diagnostics(std::string_view file_name, std::string_view source = {})
      : file_name_(file_name), source_(source) {}
  Diagnostics(const Diagnostics&) = delete;
  Diagnostics& operator=(const Diagnostics&) = delete;

  void error(Position where, std::string message);
  void warning(Position where, std::string message);
  std::string_view source() const { return source_; }
  bool has_errors() const { return !errors_.empty(); }
  std::size_t count() const { return errors_.size(); }
  // "FILE:LINE:COL: message" lines sorted by position (stable for equal positions). A message
  // repeated at the same position (a merged mapping read for each place it is merged) once.
  std::vector<std::string> sorted_messages() const;
  // The same for warnings, each message prefixed with "warning: ".
  std::vector<std::string> sorted_warnings() const;

 private:
  struct Entry {
    Position where;
    std::string message;
  };
  std::vector<std::string> sorted(std::vector<Entry> entries, std::string_view prefix) const;

  std::string file_name_;
  std::string_view source_;
  std::vector<Entry> errors_;
  std::vector<Entry> warnings_;
};

// text with every byte a terminal could act on escaped: C0 controls, DEL, C1 controls and the
// bidirectional-override characters as \xNN or \uNNNN, bytes that are not UTF-8 as \xNN.
// Printable UTF-8 ("é", "→") is kept. The output is printable, so applying it twice changes
// nothing (a backslash is kept as is for that reason).
std::string printable(std::string_view text);

// Levenshtein distance, for did-you-mean suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

// " (did you mean 'x'?)" when a candidate is close enough to be a plausible typo, else "".
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);
std::string did_you_mean(std::string_view word, std::span<const std::string> candidates);

// "'a', 'b' or 'c'", for listing what is accepted.
std::string one_of(std::span<const std::string_view> choices);

}  // namespace oscbridge::config::detail

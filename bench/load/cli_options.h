// Command-line options of the form `--name value` (and bare `--flag`s) for the
// load tools, which take a handful of numbers and endpoints each.
//
// Parsing is strict so that a typo in a benchmark script fails loudly instead of
// silently benchmarking the default: an unknown option, a repeated option, a
// missing value or a value outside the allowed range throws
// std::invalid_argument whose message names the option.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

namespace oscbridge::load {

class CliOptions {
 public:
  // Parses argv[first..argc). `valued` and `flags` list every accepted name,
  // without the leading dashes.
  CliOptions(int argc, char** argv, int first, std::initializer_list<std::string_view> valued,
             std::initializer_list<std::string_view> flags = {});

  bool has(std::string_view name) const;
  std::string text(std::string_view name, std::string_view fallback) const;
  std::uint64_t integer(std::string_view name, std::uint64_t fallback, std::uint64_t min,
                        std::uint64_t max) const;
  double number(std::string_view name, double fallback, double min, double max) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace oscbridge::load

#include "bench/load/cli_options.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace oscbridge::load {
namespace {

bool listed(std::initializer_list<std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::invalid_argument bad_value(std::string_view name, const std::string& value,
                                std::string_view expected) {
  return std::invalid_argument("--" + std::string(name) + " " + value + ": expected " +
                               std::string(expected));
}

}  // namespace

CliOptions::CliOptions(int argc, char** argv, int first,
                       std::initializer_list<std::string_view> valued,
                       std::initializer_list<std::string_view> flags) {
  for (int i = first; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--")) {
      throw std::invalid_argument("unexpected argument '" + std::string(arg) + "'");
    }
    std::string name(arg.substr(2));
    std::string value;
    if (listed(valued, name)) {
      if (i + 1 >= argc) throw std::invalid_argument("--" + name + " needs a value");
      value = argv[++i];
    } else if (!listed(flags, name)) {
      throw std::invalid_argument("unknown option --" + name);
    }
    if (!values_.emplace(name, value).second) {
      throw std::invalid_argument("--" + name + " given twice");
    }
  }
}

bool CliOptions::has(std::string_view name) const {
  return values_.contains(name);
}

std::string CliOptions::text(std::string_view name, std::string_view fallback) const {
  auto found = values_.find(name);
  return found == values_.end() ? std::string(fallback) : found->second;
}

std::uint64_t CliOptions::integer(std::string_view name, std::uint64_t fallback, std::uint64_t min,
                                  std::uint64_t max) const {
  auto found = values_.find(name);
  if (found == values_.end()) return fallback;
  const std::string& value = found->second;
  std::uint64_t parsed = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (error != std::errc() || end != value.data() + value.size() || parsed < min || parsed > max) {
    throw bad_value(name, value,
                    "an integer in " + std::to_string(min) + ".." + std::to_string(max));
  }
  return parsed;
}

double CliOptions::number(std::string_view name, double fallback, double min, double max) const {
  auto found = values_.find(name);
  if (found == values_.end()) return fallback;
  const std::string& value = found->second;
  double parsed = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (error != std::errc() || end != value.data() + value.size() || !(parsed >= min) ||
      !(parsed <= max)) {
    throw bad_value(name, value, "a number in " + std::to_string(min) + ".." + std::to_string(max));
  }
  return parsed;
}

}  // namespace oscbridge::load

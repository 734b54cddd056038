// Helpers shared by the config tests: load a string and return what the loader reported.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/load.h"

namespace oscbridge::config::testing {

// Two endpoints and the `routes:` key, so that a test appends routes from line 10 on.
inline constexpr std::string_view kTwoEndpoints = R"(endpoints:
  desk:
    protocol: udp
    listen: 127.0.0.1:8000
    send: 127.0.0.1:9000
  daw:
    protocol: udp
    send: 127.0.0.1:9001
routes:
)";

inline std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

// Every error of a file that must not load; a config alongside errors fails the test.
inline std::vector<std::string> errors_of(std::string_view yaml) {
  LoadResult result = load_string(yaml, "t.yaml");
  EXPECT_FALSE(result.config) << "a file with errors produced a config";
  EXPECT_FALSE(result.errors.empty()) << "no error reported for:\n" << yaml;
  return result.errors;
}

// The single error of a file with exactly one problem.
inline std::string error_of(std::string_view yaml) {
  const std::vector<std::string> errors = errors_of(yaml);
  EXPECT_EQ(errors.size(), 1u) << joined(errors);
  return errors.empty() ? std::string() : errors.front();
}

inline std::string route_error(std::string_view routes) {
  return error_of(std::string(kTwoEndpoints) + std::string(routes));
}

inline Config loaded(std::string_view yaml) {
  LoadResult result = load_string(yaml, "t.yaml");
  EXPECT_TRUE(result.config) << joined(result.errors);
  return result.config.value_or(Config{});
}

}  // namespace oscbridge::config::testing

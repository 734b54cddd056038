// docs/configuration.md must not drift from the loader: its complete examples load, its
// built-in default is default_config(), and its error example prints what it shows.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/load.h"

namespace oscbridge::config {
namespace {

std::string read_docs() {
  std::ifstream file(std::string(OSCBRIDGE_DOCS_DIR) + "/configuration.md");
  EXPECT_TRUE(file) << "docs/configuration.md is missing";
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The body of each ``` block whose info string is `language`, in order.
std::vector<std::string> blocks(const std::string& docs, std::string_view language) {
  std::vector<std::string> found;
  const std::string fence = "```" + std::string(language) + "\n";
  for (std::size_t at = docs.find(fence); at != std::string::npos; at = docs.find(fence, at)) {
    const std::size_t begin = at + fence.size();
    const std::size_t end = docs.find("```\n", begin);
    if (end == std::string::npos) break;
    found.push_back(docs.substr(begin, end - begin));
    at = end + 4;
  }
  return found;
}

// The first ``` block after the marker comment.
std::string block_after(const std::string& docs, std::string_view marker) {
  const std::size_t at = docs.find(marker);
  if (at == std::string::npos) return {};
  const std::size_t open = docs.find("```", at);
  const std::size_t begin = docs.find('\n', open) + 1;
  return docs.substr(begin, docs.find("```\n", begin) - begin);
}

TEST(Docs, CompleteYamlExamplesLoadAndOneIsTheBuiltInDefault) {
  const std::string docs = read_docs();
  const std::string error_example = block_after(docs, "<!-- error-example-input");
  const std::string warning_example = block_after(docs, "<!-- warning-example-input");
  std::size_t complete = 0;
  bool default_shown = false;
  for (const std::string& yaml : blocks(docs, "yaml")) {
    if (yaml.find("endpoints:") == std::string::npos || yaml == error_example) continue;
    ++complete;
    const LoadResult result = load_string(yaml, "docs");
    for (const std::string& error : result.errors) ADD_FAILURE() << error << "\n" << yaml;
    // An example to copy from should not teach what validate warns about.
    if (yaml == warning_example) continue;
    for (const std::string& warning : result.warnings) ADD_FAILURE() << warning << "\n" << yaml;
    default_shown = default_shown || (result.config && *result.config == default_config());
  }
  EXPECT_GE(complete, 2u);
  EXPECT_TRUE(default_shown) << "the documented default differs from default_config()";
}

TEST(Docs, ErrorExampleShowsTheLoadersOutput) {
  const std::string docs = read_docs();
  const std::string input = block_after(docs, "<!-- error-example-input");
  const std::string output = block_after(docs, "<!-- error-example-output");
  ASSERT_FALSE(input.empty());
  std::vector<std::string> shown;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("$ ")) shown.push_back(line);
  }
  const LoadResult result = load_string(input, "studio.yaml");
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.errors, shown);
}

TEST(Docs, WarningExampleShowsTheLoadersOutput) {
  const std::string docs = read_docs();
  const std::string input = block_after(docs, "<!-- warning-example-input");
  const std::string output = block_after(docs, "<!-- warning-example-output");
  ASSERT_FALSE(input.empty());
  std::vector<std::string> shown;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("$ ")) shown.push_back(line);
  }
  const LoadResult result = load_string(input, "studio.yaml");
  EXPECT_TRUE(result.config);
  EXPECT_EQ(result.warnings, shown);
}

}  // namespace
}  // namespace oscbridge::config

// etc/oscbridge.yaml, which `cmake --install` and the .deb put in /etc/oscbridge (a conffile),
// says what the daemon does without a file: it must load to exactly default_config().
#include <gtest/gtest.h>

#include "config/load.h"

namespace oscbridge::config {
namespace {

TEST(DefaultConfigFile, LoadsToTheBuiltInDefaultWithoutWarnings) {
  const LoadResult result = load_file(OSCBRIDGE_DEFAULT_CONFIG_FILE);
  for (const std::string& error : result.errors) ADD_FAILURE() << error;
  for (const std::string& warning : result.warnings) ADD_FAILURE() << warning;
  ASSERT_TRUE(result.config);
  EXPECT_EQ(*result.config, default_config());
}

}  // namespace
}  // namespace oscbridge::config

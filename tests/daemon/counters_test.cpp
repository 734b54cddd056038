// The counters' words are the ones docs/configuration.md defines: every drop reason the daemon
// can count has a row in its "Drop reasons" table, and the table lists no reason the daemon
// does not have.
#include "daemon/counters.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace oscbridge::daemon {
namespace {

std::string drop_reasons_section() {
  std::ifstream file(std::string(OSCBRIDGE_DOCS_DIR) + "/configuration.md");
  EXPECT_TRUE(file) << "docs/configuration.md is missing";
  std::stringstream text;
  text << file.rdbuf();
  const std::string all = text.str();
  const auto begin = all.find("### Drop reasons");
  EXPECT_NE(begin, std::string::npos) << "no 'Drop reasons' section";
  const auto end = all.find("\n#", begin + 1);
  return all.substr(begin, end - begin);
}

TEST(Counters, EveryDropReasonIsDocumentedAndNothingElse) {
  const std::string section = drop_reasons_section();
  std::set<std::string> documented;
  const std::regex row("\\n\\| `([a-z_]+)` \\|");
  for (std::sregex_iterator it(section.begin(), section.end(), row), end; it != end; ++it) {
    documented.insert((*it)[1].str());
  }
  std::set<std::string> counted;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    counted.insert(std::string(to_string(static_cast<DropReason>(i))));
  }
  EXPECT_EQ(documented, counted);
}

TEST(Counters, DescribeListsOnlyTheReasonsThatCounted) {
  EndpointCounters counters;
  counters.received = 5;
  counters.sent = 4;
  counters.drops(DropReason::no_peer) = 2;
  counters.drops(DropReason::malformed) = 1;
  EXPECT_EQ(counters.describe(), "received 5, sent 4, dropped 3 (malformed 1, no_peer 2)");
}

TEST(Counters, ClampedValuesShowOnlyWhenSomeWere) {
  EndpointCounters counters;
  counters.sent = 2;
  counters.clamped = 1;
  EXPECT_EQ(counters.describe(), "received 0, sent 2, dropped 0, clamped 1");
  counters.clamped = 0;
  EXPECT_EQ(counters.describe(), "received 0, sent 2, dropped 0");
}

}  // namespace
}  // namespace oscbridge::daemon

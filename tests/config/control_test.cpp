// `control: PATH | off`, the control socket's key (docs/control.md).
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace oscbridge::config {
namespace {

using testing::error_of;
using testing::kTwoEndpoints;
using testing::loaded;

TEST(Control, DefaultsToTheDefaultLocation) {
  Config config = loaded(kTwoEndpoints);
  EXPECT_TRUE(config.control.enabled);
  EXPECT_FALSE(config.control.path);
}

TEST(Control, TakesAnAbsolutePathOrOff) {
  Config config = loaded("control: /run/user/1000/bridge.sock\n" + std::string(kTwoEndpoints));
  EXPECT_TRUE(config.control.enabled);
  EXPECT_EQ(config.control.path, "/run/user/1000/bridge.sock");
  EXPECT_FALSE(loaded("control: off\n" + std::string(kTwoEndpoints)).control.enabled);
  EXPECT_FALSE(loaded("control: false\n" + std::string(kTwoEndpoints)).control.enabled);
}

TEST(Control, RefusesRelativeAndOverlongPathsWithTheirPosition) {
  EXPECT_EQ(error_of("control: bridge.sock\n" + std::string(kTwoEndpoints)),
            "t.yaml:1:10: control: expected an absolute path for the control socket, or off; "
            "got 'bridge.sock'");
  EXPECT_EQ(error_of("control: /" + std::string(120, 'x') + "\n" + std::string(kTwoEndpoints)),
            "t.yaml:1:10: control: the path is 121 bytes long; a socket path may have at most 107");
  EXPECT_EQ(error_of("control: [a]\n" + std::string(kTwoEndpoints)).substr(0, 21),
            "t.yaml:1:10: control:");
  EXPECT_EQ(error_of("contrl: off\n" + std::string(kTwoEndpoints)).substr(0, 12), "t.yaml:1:1: ");
}

}  // namespace
}  // namespace oscbridge::config

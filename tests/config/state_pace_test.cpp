// state, state_max, pace and pace_queue: their values, defaults, ranges and the combinations
// the loader refuses, each error at its FILE:LINE:COL.
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace oscbridge::config {
namespace {

using testing::error_of;
using testing::errors_of;
using testing::loaded;

TEST(StateAndPace, ValuesAndDefaults) {
  const Config config = loaded(
      "endpoints:\n"
      "  a: { protocol: tcp, listen: 127.0.0.1:1, state: true, state_max: 20, pace: 2.5 }\n"
      "  b: { protocol: udp, listen: 127.0.0.1:2, reply: true, state: true, pace: 1000, "
      "pace_queue: 7 }\n"
      "  c: { protocol: udp, send: 127.0.0.1:3 }\n"
      "  d: { protocol: midi, port: x, pace: 100 }\n");
  ASSERT_EQ(config.endpoints.size(), 4u);
  EXPECT_TRUE(config.endpoints[0].state);
  EXPECT_EQ(config.endpoints[0].state_max, 20u);
  EXPECT_EQ(config.endpoints[0].pace, 2.5);
  EXPECT_EQ(config.endpoints[0].pace_queue, kDefaultPaceQueue);
  EXPECT_TRUE(config.endpoints[1].state);
  EXPECT_EQ(config.endpoints[1].state_max, kDefaultStateMax);
  EXPECT_EQ(config.endpoints[1].pace, 1000.0);
  EXPECT_EQ(config.endpoints[1].pace_queue, 7u);
  EXPECT_FALSE(config.endpoints[2].state);
  EXPECT_EQ(config.endpoints[2].pace, 0.0);
  EXPECT_EQ(config.endpoints[3].pace, 100.0);
  EXPECT_EQ(kDefaultStateMax, 10'000u);
}

TEST(StateAndPace, OutOfRangeValues) {
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: tcp, listen: 127.0.0.1:1, pace: 0 }\n"),
            "t.yaml:2:50: pace: 0 is out of range: messages per second, more than 0 and at "
            "most 100000");
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: tcp, listen: 127.0.0.1:1, pace: 200000 }\n"),
            "t.yaml:2:50: pace: 200000 is out of range: messages per second, more than 0 and at "
            "most 100000");
  EXPECT_NE(error_of("endpoints:\n  a: { protocol: tcp, listen: 127.0.0.1:1, pace: fast }\n")
                .find("t.yaml:2:50: pace: "),
            std::string::npos);
  EXPECT_NE(error_of("endpoints:\n  a: { protocol: tcp, listen: 127.0.0.1:1, state: true, "
                     "state_max: 0 }\n")
                .find("t.yaml:2:68: state_max: "),
            std::string::npos);
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: tcp, listen: 127.0.0.1:1, pace: 5, "
                     "pace_queue: 2000000 }\n"),
            "t.yaml:2:65: pace_queue: 2000000 is out of range 1..1000000");
  EXPECT_NE(error_of("endpoints:\n  a: { protocol: tcp, listen: 127.0.0.1:1, state: yes }\n")
                .find("t.yaml:2:51: state: "),
            std::string::npos);
}

TEST(StateAndPace, CombinationsThatMeanNothing) {
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: udp, listen: 127.0.0.1:1, state: true }\n"),
            "t.yaml:2:44: state: true on a udp endpoint needs reply: true: the snapshot goes to "
            "each reply peer the first time it is heard");
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: tcp, listen: 127.0.0.1:1, state_max: 5 }\n"),
            "t.yaml:2:44: state_max needs state: true");
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: tcp, listen: 127.0.0.1:1, pace_queue: 5 }\n"),
            "t.yaml:2:44: pace_queue needs pace: messages per second");
  EXPECT_EQ(error_of("endpoints:\n  a: { protocol: midi, port: x, state: true }\n"),
            "t.yaml:2:33: 'state' does not apply to a midi endpoint; it is for udp and tcp "
            "endpoints (a midi port has no peers joining)");
  // A bad pace is one error, not two.
  EXPECT_EQ(errors_of("endpoints:\n  a: { protocol: tcp, listen: 127.0.0.1:1, pace: -1, "
                      "pace_queue: 5 }\n")
                .size(),
            1u);
}

}  // namespace
}  // namespace oscbridge::config

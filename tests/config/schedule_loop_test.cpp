// Issue 10: `schedule`, `schedule_queue`, `schedule_max` and `loop_guard`, read with their
// defaults, `loop_guard: off` and its spellings, and every error at its position.
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace oscbridge::config {
namespace {

using testing::errors_of;
using testing::loaded;

TEST(ScheduleLoopSettings, ReadWithTheirDefaults) {
  const Config config = loaded(
      "endpoints:\n"
      "  a: { protocol: udp, listen: 127.0.0.1:1, schedule: true }\n"
      "  b: { protocol: udp, listen: 127.0.0.1:2, schedule: true, schedule_queue: 8,"
      " schedule_max: 1500ms, loop_guard: 7 }\n"
      "  c: { protocol: tcp, connect: 127.0.0.1:3, loop_guard: off }\n"
      "  d: { protocol: udp, send: 127.0.0.1:4, loop_guard: 0 }\n"
      "  e: { protocol: udp, send: 127.0.0.1:5, loop_guard: false }\n");
  EXPECT_TRUE(config.endpoints[0].schedule);
  EXPECT_EQ(config.endpoints[0].schedule_queue, kDefaultScheduleQueue);
  EXPECT_EQ(config.endpoints[0].schedule_max, kDefaultScheduleMax);
  EXPECT_EQ(config.endpoints[0].loop_guard, kDefaultLoopGuard);
  EXPECT_EQ(config.endpoints[1].schedule_queue, 8u);
  EXPECT_EQ(config.endpoints[1].schedule_max, std::chrono::milliseconds(1500));
  EXPECT_EQ(config.endpoints[1].loop_guard, 7u);
  EXPECT_FALSE(config.endpoints[2].schedule);
  for (std::size_t i = 2; i < 5; ++i) EXPECT_EQ(config.endpoints[i].loop_guard, 0u) << i;
}

TEST(ScheduleLoopErrors, EachAtItsPosition) {
  EXPECT_EQ(errors_of("endpoints:\n"
                      "  a: { protocol: udp, send: 127.0.0.1:2, schedule_queue: 8,"
                      " schedule_max: 1s }\n"),
            (std::vector<std::string>{"t.yaml:2:42: schedule_queue needs schedule: true",
                                      "t.yaml:2:61: schedule_max needs schedule: true"}));
  EXPECT_EQ(errors_of("endpoints:\n"
                      "  a: { protocol: udp, send: 127.0.0.1:2, schedule: yes please,"
                      " schedule_queue: 0, schedule_max: 2d, loop_guard: true }\n"),
            (std::vector<std::string>{
                "t.yaml:2:52: schedule: expected true or false, got the text 'yes please'",
                "t.yaml:2:80: schedule_queue: 0 is out of range 1..65536",
                "t.yaml:2:97: schedule_max: expected a duration such as 250ms, 30s, 2min or "
                "1h, got the text '2d'",
                "t.yaml:2:113: loop_guard: expected off or returns per second (1..1000000), "
                "got true"}));
  EXPECT_EQ(errors_of("endpoints:\n  a: { protocol: udp, send: 127.0.0.1:2, loop_guard: fast }\n"
                      "  b: { protocol: udp, send: 127.0.0.1:3, loop_guard: 2000000 }\n"),
            (std::vector<std::string>{
                "t.yaml:2:54: loop_guard: expected off or returns per second (1..1000000), got the "
                "text 'fast'",
                "t.yaml:3:54: loop_guard: 2000000 is out of range 1..1000000"}));
}

}  // namespace
}  // namespace oscbridge::config

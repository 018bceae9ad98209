#include "supervisor/restart_policy.h"

#include <gtest/gtest.h>

using wsup::supervisor::RestartPolicy;
using namespace std::chrono_literals;

TEST(RestartPolicy, DelayDoublesWithEachCrashInTheWindowUpToTheCap) {
  RestartPolicy policy(
      {.initial_delay = 100ms, .max_delay = 350ms, .max_crashes = 10, .window = 60s});
  auto t = RestartPolicy::Clock::time_point{};
  EXPECT_EQ(policy.on_crash(t).delay, 100ms);
  EXPECT_EQ(policy.on_crash(t + 1s).delay, 200ms);
  EXPECT_EQ(policy.on_crash(t + 2s).delay, 350ms);
  EXPECT_EQ(policy.on_crash(t + 3s).delay, 350ms);
  EXPECT_FALSE(policy.on_crash(t + 4s).give_up);
}

TEST(RestartPolicy, RepeatedCrashesWithinTheWindowMarkTheWorkerFailed) {
  RestartPolicy policy({.initial_delay = 10ms, .max_delay = 1s, .max_crashes = 3, .window = 10s});
  auto t = RestartPolicy::Clock::time_point{};
  EXPECT_FALSE(policy.on_crash(t).give_up);
  EXPECT_FALSE(policy.on_crash(t + 1s).give_up);
  EXPECT_TRUE(policy.on_crash(t + 2s).give_up);
}

TEST(RestartPolicy, CrashesOlderThanTheWindowAreForgotten) {
  RestartPolicy policy({.initial_delay = 10ms, .max_delay = 1s, .max_crashes = 3, .window = 10s});
  auto t = RestartPolicy::Clock::time_point{};
  policy.on_crash(t);
  policy.on_crash(t + 1s);
  auto later = policy.on_crash(t + 30s);
  EXPECT_FALSE(later.give_up);
  EXPECT_EQ(later.delay, 10ms);
  EXPECT_EQ(policy.recent_crashes(), 1u);
}

TEST(RestartPolicy, ResetClearsHistory) {
  RestartPolicy policy({.initial_delay = 10ms, .max_delay = 1s, .max_crashes = 2, .window = 10s});
  auto t = RestartPolicy::Clock::time_point{};
  policy.on_crash(t);
  policy.reset();
  EXPECT_FALSE(policy.on_crash(t).give_up);
}

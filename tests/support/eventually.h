// The one way tests wait: poll a condition until it holds or a bound passes, never a fixed
// sleep standing in for "long enough". The bound is a failure deadline, not an expected
// duration: a condition that holds returns at once, and a loaded or sanitized build only makes
// the test slower, never wrong.
//
//   EXPECT_TRUE(eventually([&] { return supervisor.log().find("ready") != npos; }));
//   ASSERT_TRUE(eventually([&] { return channel.in_flight() == 0; }, std::chrono::seconds(5)));
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

namespace wsup::testing {

// Calls `condition` until it returns true (then true) or `timeout` has passed (then false, after
// one last call). Backs off from 100 µs to 20 ms between calls, so quick conditions are seen
// quickly and slow ones do not burn the CPU the code under test needs.
template <typename Condition>
bool eventually(Condition&& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::microseconds pause{100};
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
  }
}

}  // namespace wsup::testing

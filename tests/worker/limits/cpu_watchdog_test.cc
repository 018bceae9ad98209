// The CPU watchdog, driven through WatchdogLimitEnforcer and JsSlice as the runtime drives it.
#include "worker/limits/cpu_watchdog.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/support/eventually.h"
#include "tests/worker/limits/v8_test_support.h"
#include "worker/limits/limit_enforcer.h"

namespace wsup::worker::limits {
namespace {

using namespace std::chrono_literals;
using testing::IsolatePtr;
using testing::new_isolate;
using testing::run_js;
using wsup::testing::eventually;

// Loose: the CI machine has 2 busy cores, and the watchdog thread may wait to be scheduled.
constexpr auto kOvershootMargin = 300ms;

// A loop that burns a few ms of CPU and ends.
constexpr const char* kShortLoop = "let s = 0; for (let i = 0; i < 2e6; i++) s += i; 'done'";

class CpuWatchdogTest : public ::testing::Test {
 protected:
  CpuWatchdog watchdog_;
  WatchdogLimitEnforcer enforcer_{watchdog_};
  IsolatePtr isolate_ = new_isolate();

  std::string run_slice(RequestBudget& budget, const char* source) {
    JsSlice slice(enforcer_, budget);
    if (!slice.may_run()) return "refused";
    return run_js(isolate_.get(), source);
  }
};

TEST_F(CpuWatchdogTest, InfiniteLoopIsTerminatedWithinBudgetAndNextRequestRuns) {
  RequestBudget looping(isolate_.get(), 50ms);
  EXPECT_EQ(run_slice(looping, "for (;;) {}"), "terminated");
  EXPECT_EQ(looping.verdict(), LimitVerdict::cpu_exceeded);
  EXPECT_GE(looping.cpu_used(), 50ms);
  EXPECT_LT(looping.cpu_used(), 50ms + kOvershootMargin);
  EXPECT_EQ(watchdog_.terminations(), 1u);

  // The same isolate serves the next request.
  RequestBudget next(isolate_.get(), 50ms);
  EXPECT_EQ(run_slice(next, "1 + 1"), "2");
  EXPECT_EQ(next.verdict(), LimitVerdict::within_limits);
}

TEST_F(CpuWatchdogTest, RequestUnderBudgetIsNotTerminated) {
  RequestBudget budget(isolate_.get(), 2s);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run_slice(budget, kShortLoop), "done");
  EXPECT_EQ(budget.verdict(), LimitVerdict::within_limits);
  EXPECT_EQ(budget.slices(), 3);
  EXPECT_GT(budget.cpu_used(), 0ns);
  EXPECT_EQ(watchdog_.terminations(), 0u);
}

TEST_F(CpuWatchdogTest, WaitingBetweenSlicesIsNotCharged) {
  // Two short slices with a long wait between them fit a budget smaller than the wait.
  RequestBudget budget(isolate_.get(), 250ms);
  EXPECT_EQ(run_slice(budget, kShortLoop), "done");
  // sleep-ok: the wall time between slices is the case under test (it must not be charged).
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(run_slice(budget, kShortLoop), "done");
  EXPECT_EQ(budget.verdict(), LimitVerdict::within_limits);
  EXPECT_LT(budget.cpu_used(), 250ms);
  EXPECT_EQ(budget.slices(), 2);
}

TEST_F(CpuWatchdogTest, BudgetIsSharedAcrossSlicesOfOneRequest) {
  // Each slice gets only what the request has left: the loop in the second slice is stopped
  // once the request as a whole has used its budget.
  RequestBudget budget(isolate_.get(), 100ms);
  EXPECT_EQ(run_slice(budget, kShortLoop), "done");
  const auto after_first = budget.cpu_used();
  EXPECT_EQ(run_slice(budget, "for (;;) {}"), "terminated");
  EXPECT_EQ(budget.verdict(), LimitVerdict::cpu_exceeded);
  EXPECT_LT(budget.cpu_used(), 100ms + kOvershootMargin);
  EXPECT_GT(budget.cpu_used(), after_first);
  // An exhausted request may not start another slice.
  EXPECT_EQ(run_slice(budget, "1"), "refused");
}

TEST_F(CpuWatchdogTest, TerminationThatLandsAfterTheSliceFinishedDoesNotKillTheNextOne) {
  // The race the guard exists for: the watchdog fires while the slice is in C++ (no JS to
  // interrupt), so the termination is still pending when the slice ends.
  RequestBudget late(isolate_.get(), 1us);
  {
    JsSlice slice(enforcer_, late);
    ASSERT_TRUE(slice.may_run());
    ASSERT_TRUE(eventually([&] { return watchdog_.terminations() != 0; }, 5s));
    ASSERT_EQ(watchdog_.terminations(), 1u);
  }
  EXPECT_EQ(late.verdict(), LimitVerdict::cpu_exceeded);

  RequestBudget next(isolate_.get(), 1s);
  EXPECT_EQ(run_slice(next, "'still alive'"), "still alive");
}

TEST_F(CpuWatchdogTest, TerminationPendingWithoutTheGuardKillsTheNextScript) {
  // Control for the test above: without CancelTerminateExecution the pending termination
  // would hit the next script. Proves the test above can fail.
  watchdog_.arm(isolate_.get(), 1us);
  ASSERT_TRUE(eventually([&] { return watchdog_.terminations() != 0; }, 5s));
  const SliceCharge charge = watchdog_.disarm();
  ASSERT_TRUE(charge.terminated);
  EXPECT_EQ(run_js(isolate_.get(), "'next'"), "terminated");
  isolate_->CancelTerminateExecution();
  EXPECT_EQ(run_js(isolate_.get(), "'next'"), "next");
}

TEST_F(CpuWatchdogTest, IdleWatchdogWakesForANewSlice) {
  // After idle_linger the watchdog sleeps without a timeout; arm() must wake it.
  CpuWatchdog quick({.poll_interval = 1ms, .idle_linger = 1ms});
  WatchdogLimitEnforcer enforcer(quick);
  ASSERT_TRUE(eventually([&] { return quick.sleeping(); }));
  RequestBudget budget(isolate_.get(), 30ms);
  {
    JsSlice slice(enforcer, budget);
    EXPECT_EQ(run_js(isolate_.get(), "for (;;) {}"), "terminated");
  }
  EXPECT_EQ(budget.verdict(), LimitVerdict::cpu_exceeded);
  EXPECT_LT(budget.cpu_used(), 30ms + kOvershootMargin);
}

}  // namespace
}  // namespace wsup::worker::limits

// JsSlice and RequestBudget against a recording policy: the runtime-facing contract that any
// LimitEnforcer implementation gets.
#include "worker/limits/limit_enforcer.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/worker/limits/v8_test_support.h"
#include "worker/limits/heap_limit_guard.h"

namespace wsup::worker::limits {
namespace {

using namespace std::chrono_literals;

// Charges a fixed 10 ms per slice, refuses a slice once over budget, and counts calls.
class RecordingEnforcer final : public LimitEnforcer {
 public:
  bool slice_started(RequestBudget& budget) override {
    ++started;
    return budget.verdict() == LimitVerdict::within_limits;
  }
  void slice_ended(RequestBudget& budget) override {
    ++ended;
    budget.charge(10ms, false);
  }
  int started = 0;
  int ended = 0;
};

TEST(JsSliceTest, NestedSlicesOfOneRequestAreChargedOnce) {
  RecordingEnforcer enforcer;
  RequestBudget budget(nullptr, 100ms);
  {
    JsSlice outer(enforcer, budget);
    JsSlice inner(enforcer, budget);
    EXPECT_TRUE(inner.may_run());
  }
  EXPECT_EQ(enforcer.started, 1);
  EXPECT_EQ(enforcer.ended, 1);
  EXPECT_EQ(budget.slices(), 1);
  EXPECT_EQ(budget.cpu_used(), 10ms);
}

TEST(JsSliceTest, RefusedSliceIsNotEndedAndRequestReportsCpuExceeded) {
  RecordingEnforcer enforcer;
  RequestBudget budget(nullptr, 15ms);
  { JsSlice first(enforcer, budget); }
  { JsSlice second(enforcer, budget); }  // 20 ms used > 15 ms
  EXPECT_EQ(budget.verdict(), LimitVerdict::cpu_exceeded);
  {
    JsSlice third(enforcer, budget);
    EXPECT_FALSE(third.may_run());
  }
  EXPECT_EQ(enforcer.started, 3);
  EXPECT_EQ(enforcer.ended, 2);
  EXPECT_EQ(enforcer.request_ended(budget), LimitVerdict::cpu_exceeded);
  // A refused slice leaves no nesting behind: the next one asks the policy again.
  { JsSlice fourth(enforcer, budget); }
  EXPECT_EQ(enforcer.started, 4);
}

TEST(RequestBudgetTest, CpuLeftNeverGoesNegative) {
  RequestBudget budget(nullptr, 5ms);
  EXPECT_EQ(budget.cpu_left(), 5ms);
  budget.charge(3ms, false);
  EXPECT_EQ(budget.cpu_left(), 2ms);
  EXPECT_EQ(budget.verdict(), LimitVerdict::within_limits);
  budget.charge(3ms, false);
  EXPECT_EQ(budget.cpu_left(), 0ms);
  EXPECT_EQ(budget.verdict(), LimitVerdict::cpu_exceeded);
}

TEST(RequestBudgetTest, WatchdogTerminationCountsAsExceededEvenUnderTheLimit) {
  RequestBudget budget(nullptr, 50ms);
  budget.charge(49ms, true);
  EXPECT_EQ(budget.verdict(), LimitVerdict::cpu_exceeded);
}

TEST(RequestBudgetTest, HeapExceededWinsOverCpu) {
  testing::IsolatePtr isolate = testing::new_isolate(16 << 20);
  {
    HeapLimitGuard heap(isolate.get(), 16 << 20);
    RequestBudget budget(isolate.get(), 1ms, &heap);
    budget.charge(5ms, true);
    EXPECT_EQ(budget.verdict(), LimitVerdict::cpu_exceeded);
    EXPECT_EQ(testing::run_js(isolate.get(), testing::kAllocateForever), "terminated");
    isolate->CancelTerminateExecution();
    EXPECT_EQ(budget.verdict(), LimitVerdict::heap_exceeded);
    EXPECT_STREQ(limit_verdict_name(budget.verdict()), "heap_exceeded");
  }
}

}  // namespace
}  // namespace wsup::worker::limits

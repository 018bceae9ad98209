// HeapLimitGuard: an allocation loop is stopped and flagged instead of aborting the process.
#include "worker/limits/heap_limit_guard.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/worker/limits/v8_test_support.h"
#include "worker/limits/cpu_watchdog.h"
#include "worker/limits/limit_enforcer.h"

namespace wsup::worker::limits {
namespace {

using namespace std::chrono_literals;
constexpr size_t kHeapLimit = size_t{16} << 20;

TEST(HeapLimitGuardTest, ConfigureKeepsYoungAndOldGenerationWithinTheLimit) {
  v8::Isolate::CreateParams params;
  HeapLimitGuard::configure(params, kHeapLimit);
  const auto& constraints = params.constraints;
  EXPECT_GT(constraints.max_old_generation_size_in_bytes(), 0u);
  EXPECT_LE(constraints.max_old_generation_size_in_bytes() +
                constraints.max_young_generation_size_in_bytes(),
            kHeapLimit);
}

TEST(HeapLimitGuardTest, AllocationLoopIsStoppedFlaggedAndAFreshIsolateWorks) {
  CpuWatchdog watchdog;
  WatchdogLimitEnforcer enforcer(watchdog);
  {
    testing::IsolatePtr isolate = testing::new_isolate(kHeapLimit);
    HeapLimitGuard heap(isolate.get(), kHeapLimit);
    // A generous CPU budget: the heap limit, not the watchdog, must stop this request.
    RequestBudget budget(isolate.get(), 20s, &heap);
    {
      JsSlice slice(enforcer, budget);
      EXPECT_EQ(testing::run_js(isolate.get(), testing::kAllocateForever), "terminated");
    }
    EXPECT_TRUE(heap.exceeded());
    EXPECT_GE(heap.near_limit_calls(), 1);
    EXPECT_EQ(budget.verdict(), LimitVerdict::heap_exceeded);
    EXPECT_EQ(watchdog.terminations(), 0u);
    // What the runtime does next: refuse more JS for this request, recycle the isolate.
    JsSlice refused(enforcer, budget);
    EXPECT_FALSE(refused.may_run());
  }
  testing::IsolatePtr fresh = testing::new_isolate(kHeapLimit);
  HeapLimitGuard heap(fresh.get(), kHeapLimit);
  RequestBudget budget(fresh.get(), 1s, &heap);
  {
    JsSlice slice(enforcer, budget);
    EXPECT_EQ(testing::run_js(fresh.get(), "[1, 2, 3].map(x => x * 2).join()"), "2,4,6");
  }
  EXPECT_FALSE(heap.exceeded());
  EXPECT_EQ(budget.verdict(), LimitVerdict::within_limits);
}

TEST(HeapLimitGuardTest, ModestAllocationsStayUnderTheLimit) {
  testing::IsolatePtr isolate = testing::new_isolate(kHeapLimit);
  HeapLimitGuard heap(isolate.get(), kHeapLimit);
  // 1 MB of garbage at a time, 200 MB in total: the GC keeps up, the guard never fires.
  EXPECT_EQ(testing::run_js(isolate.get(),
                            "let n = 0; for (let i = 0; i < 200; i++) n += new Array(131072)"
                            ".fill(i).length; n"),
            "26214400");
  EXPECT_FALSE(heap.exceeded());
}

}  // namespace
}  // namespace wsup::worker::limits

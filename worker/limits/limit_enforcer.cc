#include "worker/limits/limit_enforcer.h"

#include <v8-isolate.h>

#include "worker/limits/cpu_watchdog.h"
#include "worker/limits/heap_limit_guard.h"

namespace wsup::worker::limits {

const char* limit_verdict_name(LimitVerdict verdict) {
  switch (verdict) {
    case LimitVerdict::within_limits:
      return "within_limits";
    case LimitVerdict::cpu_exceeded:
      return "cpu_exceeded";
    case LimitVerdict::heap_exceeded:
      return "heap_exceeded";
  }
  return "unknown";
}

std::chrono::nanoseconds RequestBudget::cpu_left() const {
  return cpu_used_ >= cpu_limit_ ? std::chrono::nanoseconds::zero() : cpu_limit_ - cpu_used_;
}

std::chrono::nanoseconds RequestBudget::cpu_hard_left() const {
  if (cpu_hard_limit_ <= std::chrono::nanoseconds::zero()) return std::chrono::nanoseconds::zero();
  return cpu_used_ >= cpu_hard_limit_ ? std::chrono::nanoseconds(1) : cpu_hard_limit_ - cpu_used_;
}

bool RequestBudget::heap_exceeded() const {
  return heap_ != nullptr && heap_->exceeded();
}

LimitVerdict RequestBudget::verdict() const {
  if (heap_exceeded()) return LimitVerdict::heap_exceeded;
  if (cpu_exceeded()) return LimitVerdict::cpu_exceeded;
  return LimitVerdict::within_limits;
}

void RequestBudget::charge(std::chrono::nanoseconds cpu, bool terminated_for_cpu) {
  cpu_used_ += cpu;
  ++slices_;
  cpu_terminated_ = cpu_terminated_ || terminated_for_cpu;
}

bool WatchdogLimitEnforcer::slice_started(RequestBudget& budget) {
  if (budget.verdict() != LimitVerdict::within_limits) return false;
  watchdog_.arm(budget.isolate(), budget.cpu_left(), budget.cpu_hard_left());
  return true;
}

void WatchdogLimitEnforcer::slice_ended(RequestBudget& budget) {
  const SliceCharge charge = watchdog_.disarm();
  budget.charge(charge.cpu, charge.terminated);
  // Unconditionally: the watchdog's termination may be pending even though the JavaScript
  // finished first, and HeapLimitGuard terminates too. Cheap when nothing is pending.
  budget.isolate()->CancelTerminateExecution();
}

JsSlice::JsSlice(LimitEnforcer& enforcer, RequestBudget& budget)
    : enforcer_(enforcer), budget_(budget) {
  if (budget_.open_slices_++ > 0) return;  // nested: the outer slice already runs and charges
  may_run_ = enforcer_.slice_started(budget_);
  outermost_ = may_run_;
  if (!may_run_) --budget_.open_slices_;
}

JsSlice::~JsSlice() {
  if (!may_run_) return;
  --budget_.open_slices_;
  if (outermost_) enforcer_.slice_ended(budget_);
}

}  // namespace wsup::worker::limits

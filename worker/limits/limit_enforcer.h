// The per-request limit policy, behind an interface (as workerd's IsolateLimitEnforcer) so the
// runtime does not depend on how limits are measured and tests can swap the policy.
//
// The runtime keeps one RequestBudget per request and wraps every slice of JavaScript it runs
// for that request (dispatching the fetch event, a timer callback, a microtask drain) in a
// JsSlice. Requests that overlap on the worker thread are each charged only for their own
// slices: a request waiting on a timer costs nothing.
//
//   RequestBudget budget(isolate, 50ms, &heap_guard);          // at request start
//   enforcer.request_started(budget);
//   {
//     JsSlice slice(enforcer, budget);                          // before the TryCatch
//     if (slice.may_run()) { v8::TryCatch try_catch(isolate); ... call into JS ... }
//   }                                                           // disarms, clears termination
//   if (budget.verdict() != LimitVerdict::within_limits) ...    // 503; heap: recycle isolate
//   ...
//   enforcer.request_ended(budget);                             // at request end
#pragma once

#include <chrono>

namespace v8 {
class Isolate;
}

namespace wsup::worker::limits {

class CpuWatchdog;
class HeapLimitGuard;

enum class LimitVerdict {
  within_limits,
  cpu_exceeded,   // 503 "CPU time limit exceeded"; the isolate can serve the next request
  heap_exceeded,  // 503 "memory limit exceeded"; dispose the isolate and create a new one
};

const char* limit_verdict_name(LimitVerdict verdict);

// One request's CPU account and limits. Worker thread only.
class RequestBudget {
 public:
  // `heap` is the guard of the isolate the request runs on (nullptr: no heap check).
  // `cpu_hard_limit` (zero: none): the CPU the request may use at most even where V8 does not
  // stop it at cpu_limit (CpuWatchdog's hard budget); past it the worker gives up its process.
  RequestBudget(v8::Isolate* isolate, std::chrono::nanoseconds cpu_limit,
                const HeapLimitGuard* heap = nullptr,
                std::chrono::nanoseconds cpu_hard_limit = std::chrono::nanoseconds::zero())
      : isolate_(isolate), cpu_limit_(cpu_limit), cpu_hard_limit_(cpu_hard_limit), heap_(heap) {}

  v8::Isolate* isolate() const { return isolate_; }
  std::chrono::nanoseconds cpu_limit() const { return cpu_limit_; }
  std::chrono::nanoseconds cpu_used() const { return cpu_used_; }
  std::chrono::nanoseconds cpu_left() const;
  // What is left of the hard limit (at least 1 ns while one is set); zero when there is none.
  std::chrono::nanoseconds cpu_hard_left() const;
  int slices() const { return slices_; }

  bool cpu_exceeded() const { return cpu_terminated_ || cpu_used_ > cpu_limit_; }
  bool heap_exceeded() const;
  // Heap first: it decides that the isolate must be replaced.
  LimitVerdict verdict() const;

  // For LimitEnforcer implementations: adds one finished slice.
  void charge(std::chrono::nanoseconds cpu, bool terminated_for_cpu);

 private:
  friend class JsSlice;
  v8::Isolate* const isolate_;
  const std::chrono::nanoseconds cpu_limit_;
  const std::chrono::nanoseconds cpu_hard_limit_;
  const HeapLimitGuard* const heap_;
  std::chrono::nanoseconds cpu_used_{0};
  int slices_ = 0;
  bool cpu_terminated_ = false;
  int open_slices_ = 0;  // JsSlice nesting depth: only the outermost one counts
};

class LimitEnforcer {
 public:
  virtual ~LimitEnforcer() = default;
  virtual void request_started(RequestBudget& budget) {}
  // Before a slice of JavaScript. false: the request is over a limit and must not run more JS.
  virtual bool slice_started(RequestBudget& budget) = 0;
  // After the slice, with no JavaScript of it left on the stack. Must charge the slice and
  // leave the isolate with no termination pending, so the next slice (of any request) runs.
  virtual void slice_ended(RequestBudget& budget) = 0;
  // When the request is done (answered or failed); returns its verdict.
  virtual LimitVerdict request_ended(RequestBudget& budget) { return budget.verdict(); }
};

// The production policy: CPU time per request enforced by the process's CpuWatchdog.
class WatchdogLimitEnforcer final : public LimitEnforcer {
 public:
  explicit WatchdogLimitEnforcer(CpuWatchdog& watchdog) : watchdog_(watchdog) {}
  bool slice_started(RequestBudget& budget) override;
  void slice_ended(RequestBudget& budget) override;

 private:
  CpuWatchdog& watchdog_;
};

// RAII for one slice of JavaScript. Its destructor always ends the slice (disarm, charge,
// CancelTerminateExecution), so a termination that arrives as the slice finishes cannot kill the
// next one. Nested JsSlices of the same budget are no-ops. Declare it before any v8::TryCatch of
// the slice, and judge the outcome by budget.verdict(): cancelling the termination also clears
// TryCatch::HasTerminated().
class JsSlice {
 public:
  JsSlice(LimitEnforcer& enforcer, RequestBudget& budget);
  ~JsSlice();
  JsSlice(const JsSlice&) = delete;
  JsSlice& operator=(const JsSlice&) = delete;

  // false: the request is already over a limit; do not call into JavaScript.
  bool may_run() const { return may_run_; }

 private:
  LimitEnforcer& enforcer_;
  RequestBudget& budget_;
  bool outermost_ = false;
  bool may_run_ = true;
};

}  // namespace wsup::worker::limits

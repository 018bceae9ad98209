// CpuWatchdog: one thread per worker process that stops JavaScript which runs past its CPU budget.
//
// The worker thread arms the watchdog around each slice of JavaScript it runs (one callback, one
// microtask drain) with the CPU time the current request has left. The watchdog thread reads the
// worker thread's CPU clock (pthread_getcpuclockid) every poll interval and, once the slice has
// used its budget, calls Isolate::TerminateExecution. Time the worker thread spends waiting
// (on timers, on I/O, descheduled) is not CPU time, so overlapping requests are charged only for
// the slices they run.
//
// TerminateExecution takes effect only where V8 checks for it: a built-in that runs long in C++
// (String.prototype.split or normalize on a huge string, a regexp backtracking in the
// interpreter, a fill of a dictionary-mode array) goes on regardless. For those, a slice may be
// armed with a hard budget too: once the slice has used that much CPU the watchdog calls
// `on_stuck` (on its own thread) with the CPU the slice used; the worker ends the process there
// (the supervisor replaces it), since nothing else can stop that thread.
//
// Construct it after the V8Engine (see worker/v8_engine.h: no thread may start before V8 is
// initialized), on the thread it watches or with that thread's handle. Use it through
// LimitEnforcer / JsSlice (limit_enforcer.h), which also clears a termination that landed late.
#pragma once

#include <pthread.h>
#include <time.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace v8 {
class Isolate;
}

namespace wsup::worker::limits {

// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID).
std::chrono::nanoseconds this_thread_cpu_time();

struct CpuWatchdogOptions {
  // How often the watchdog looks at the CPU clock while a slice runs: the most a slice can
  // overrun its budget by, plus scheduling delay.
  std::chrono::microseconds poll_interval{2000};
  // How long the watchdog keeps polling after a slice ends before it goes to sleep; while it
  // polls, arm() costs no wake-up system call.
  std::chrono::milliseconds idle_linger{50};
  // Called on the watchdog's thread when a slice passes its hard budget (see above). Null: no
  // hard budget is enforced.
  std::function<void(std::chrono::nanoseconds slice_cpu)> on_stuck = nullptr;
};

// What one armed slice cost.
struct SliceCharge {
  std::chrono::nanoseconds cpu{0};  // CPU time the watched thread used between arm and disarm
  bool terminated = false;          // the watchdog called TerminateExecution for this slice
};

class CpuWatchdog {
 public:
  // Watches `watched_thread` (default: the constructing thread). Starts the watchdog thread.
  explicit CpuWatchdog(CpuWatchdogOptions options = {}, pthread_t watched_thread = pthread_self());
  // Stops and joins the watchdog thread. Must not be armed.
  ~CpuWatchdog();
  CpuWatchdog(const CpuWatchdog&) = delete;
  CpuWatchdog& operator=(const CpuWatchdog&) = delete;

  // Worker thread only. Starts a slice: once the watched thread has used `budget` more CPU,
  // the watchdog terminates `isolate`'s JavaScript, and once it has used `hard_budget` (if not
  // zero, and on_stuck is set) it calls on_stuck. Aborts if already armed (a bug).
  void arm(v8::Isolate* isolate, std::chrono::nanoseconds budget,
           std::chrono::nanoseconds hard_budget = std::chrono::nanoseconds::zero());

  // Worker thread only. Ends the slice. After it returns the watchdog will not touch the isolate
  // again for this slice; if `terminated`, the caller must CancelTerminateExecution once no
  // JavaScript is on the stack (the termination may still be pending even if JS finished).
  SliceCharge disarm();

  bool armed() const { return armed_on_worker_; }

  // The thread it watched was stranded (worker/loop_rescue.h) inside a slice that will never end:
  // from now on it watches `thread` (the caller, which runs the loop now), unarmed.
  void take_over(pthread_t thread);

  // Number of TerminateExecution calls made so far (for tests and metrics).
  uint64_t terminations() const;

  // Whether the watchdog thread waits without a timeout (idle past idle_linger), so that the
  // next arm() must wake it. For tests.
  bool sleeping() const;

 private:
  void run();
  std::chrono::nanoseconds watched_cpu_time() const;

  const CpuWatchdogOptions options_;
  clockid_t watched_clock_{};

  // Worker-thread-only copies, so disarm() can compute the charge without the lock.
  bool armed_on_worker_ = false;
  std::chrono::nanoseconds slice_start_cpu_{0};

  // Shared with the watchdog thread; guarded by mutex_. A mutex (not atomics) makes
  // "check the deadline, then TerminateExecution" atomic with respect to disarm(): once disarm()
  // holds the lock, no termination can be issued for a slice that has already ended.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool sleeping_ = false;           // the watchdog waits without a timeout; arm() must notify it
  v8::Isolate* isolate_ = nullptr;  // non-null while armed
  std::chrono::nanoseconds armed_at_cpu_{0};  // the watched thread's CPU clock at arm()
  std::chrono::nanoseconds deadline_cpu_{0};
  std::chrono::nanoseconds hard_deadline_cpu_{0};  // zero: none
  bool terminated_ = false;
  bool escalated_ = false;  // on_stuck was called for this slice
  uint64_t terminations_ = 0;

  std::thread thread_;  // last: starts after every member above is initialized
};

}  // namespace wsup::worker::limits

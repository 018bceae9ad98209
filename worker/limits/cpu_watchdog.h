// CpuWatchdog: one thread per worker process that stops JavaScript which runs past its CPU budget.
//
// The worker thread arms the watchdog around each slice of JavaScript it runs (one callback, one
// microtask drain) with the CPU time the current request has left. The watchdog thread reads the
// worker thread's CPU clock (pthread_getcpuclockid) every poll interval and, once the slice has
// used its budget, calls Isolate::TerminateExecution. Time the worker thread spends waiting
// (on timers, on I/O, descheduled) is not CPU time, so overlapping requests are charged only for
// the slices they run.
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
  // the watchdog terminates `isolate`'s JavaScript. Aborts if already armed (a bug).
  void arm(v8::Isolate* isolate, std::chrono::nanoseconds budget);

  // Worker thread only. Ends the slice. After it returns the watchdog will not touch the isolate
  // again for this slice; if `terminated`, the caller must CancelTerminateExecution once no
  // JavaScript is on the stack (the termination may still be pending even if JS finished).
  SliceCharge disarm();

  bool armed() const { return armed_on_worker_; }

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
  std::chrono::nanoseconds deadline_cpu_{0};
  bool terminated_ = false;
  uint64_t terminations_ = 0;

  std::thread thread_;  // last: starts after every member above is initialized
};

}  // namespace wsup::worker::limits

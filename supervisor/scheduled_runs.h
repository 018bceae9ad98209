// Runs a script's scheduled handler on exactly one worker: a cron trigger's tick (CronScheduler)
// or `wsup trigger`. The run is a request record marked scheduled (HttpRequest::scheduled, which
// only the supervisor sets: a client cannot send one) handed to the dispatcher like any request,
// so it takes the same path through the segment and runs under the same limits (CPU, wall time,
// memory); the dispatcher picks the one worker. Each run is logged (script, cron, worker,
// outcome, duration) and counted in /metrics (wsup_scheduled_runs_total{script,outcome}).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "supervisor/dispatcher.h"
#include "supervisor/metrics.h"

namespace wsup::supervisor {

struct ScheduledRunResult {
  // ok | exception (the handler threw or rejected, or it has none) | exceeded_cpu |
  // exceeded_memory | timed_out (the wall time) | worker_died | not_run (no worker could take it:
  // all busy, none ready, shutting down)
  std::string outcome;
  int worker = -1;  // -1 when none ran it
  std::chrono::milliseconds duration{0};
  std::string detail;  // for a failure: what the worker or the dispatcher said
  bool ok() const { return outcome == "ok"; }
  // "ok: script S, worker 1, 3 ms" or "exception: script S, worker 0, 2 ms: <detail>".
  std::string summary(const std::string& script) const;
};

class ScheduledRuns {
 public:
  using Done = std::function<void(const ScheduledRunResult&)>;
  ScheduledRuns(Dispatcher& dispatcher, Metrics& metrics, uint32_t wall_ms)
      : dispatcher_(dispatcher), metrics_(metrics), wall_ms_(wall_ms) {}
  // limits.wall_ms of the running config (a reload changes it).
  void set_wall_ms(uint32_t wall_ms) { wall_ms_.store(wall_ms, std::memory_order_relaxed); }

  // Hands the run to a worker and returns at once. `done` (may be empty) gets the result once,
  // on whichever thread settles it, after it was logged and counted.
  void fire(const std::string& script, const std::string& cron, int64_t scheduled_time_ms,
            Done done);
  // `wsup trigger`: one run now (scheduledTime: the system clock), waited for; the dispatcher
  // settles it by the wall time at the latest.
  ScheduledRunResult run_and_wait(const std::string& script, const std::string& cron);

 private:
  Dispatcher& dispatcher_;
  Metrics& metrics_;
  // relaxed: a lone value read when a run starts; a run that starts just before a reload may
  // still get the old wall time, as a request would.
  std::atomic<uint32_t> wall_ms_;
};

// What a dispatcher's settlement means for a scheduled run (the worker answers a run that
// succeeded with 200, a thrown handler with 500, a CPU or memory limit with 503, the wall time
// with 504).
ScheduledRunResult classify_scheduled_run(const DispatchResult& result);

}  // namespace wsup::supervisor

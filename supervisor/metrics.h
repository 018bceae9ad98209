// Request counters and latency histogram, rendered in the Prometheus text format (version 0.0.4)
// together with a snapshot of per-worker gauges the worker pool supplies.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "shared/channel.h"
#include "supervisor/process_stats.h"
#include "supervisor/restart_reason.h"

namespace wsup::supervisor {

// One worker slot as /metrics and `wsup status` show it.
struct WorkerSnapshot {
  int id = 0;
  int pid = 0;  // 0 when no process runs
  // starting, ready, draining, restarting, failed, stopped; or unresponsive: routed, but its
  // heartbeat is older than the bound (WorkerSlot::unresponsive).
  std::string state;
  double uptime_seconds = 0;           // of the current process
  uint64_t requests_served = 0;        // by this slot, over all its processes
  size_t in_flight = 0;                // held by its worker process
  size_t queue_depth = 0;              // in its ring, not taken yet
  uint64_t restarts = 0;               // over every reason
  RestartCounts restarts_by_reason{};  // supervisor/restart_reason.h
  uint64_t heap_bytes = 0;             // isolate heap in use, as the worker last reported it
  ProcessStats process;                // of the current process, from /proc (zero when none runs)
  uint64_t log_write_failures = 0;     // the current process's, as it last reported
  WorkerTimes times;                   // where the current process's time went, as it last reported
  WorkerEgress egress;                 // the current process's subrequests, as it last reported
  uint64_t heartbeat_age_ms = 0;       // since the current process's loop last turned
};

// The supervisor's own figures, beside the workers'.
struct SupervisorFigures {
  ProcessStats process;             // from /proc/self
  uint64_t log_write_failures = 0;  // log::write_failures()
  static SupervisorFigures now();   // read them
};

class Metrics {
 public:
  // Upper bounds of the latency buckets, in seconds (+Inf is implied).
  static constexpr std::array<double, 12> kLatencyBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0};

  // `script` is "" for requests that matched no route; `worker` -1 when no worker was involved.
  void record_request(std::string_view script, int worker, int status,
                      std::chrono::microseconds latency);
  uint64_t served_by(int worker) const;

  // Where a request answered by a worker spent its time in the supervisor, in order (see
  // docs/PERFORMANCE.md, "Where the time goes"). Summed over requests; /metrics shows the sums.
  // Stages, in order: headers parsed -> handed to the dispatcher (routing, body read, copies);
  // -> written into a worker's ring (lock, encode, doorbell; overflow wait); -> response read by
  // the reader thread (wake-ups, take, JS, response write); -> the connection's I/O thread runs
  // again (the settlement posted to its io_context); -> response written to the socket.
  static constexpr size_t kStageCount = 5;
  static constexpr std::array<const char*, kStageCount> kStageNames = {
      "front_in", "submit", "worker", "wake_http", "write_out"};
  void record_stages(const std::array<std::chrono::nanoseconds, kStageCount>& stages);

  // A cron trigger's or `wsup trigger`'s run of a scheduled handler (ScheduledRunResult's
  // outcome: ok, exception, ...).
  void record_scheduled_run(std::string_view script, std::string_view outcome);

  std::string render(std::span<const WorkerSnapshot> workers, size_t overflow_depth,
                     const SupervisorFigures& supervisor = {}) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, int, int>, uint64_t> requests_;  // (script, worker, status)
  std::map<int, uint64_t> served_by_worker_;
  std::map<std::pair<std::string, std::string>, uint64_t> scheduled_runs_;  // (script, outcome)
  std::array<uint64_t, kLatencyBuckets.size()> bucket_counts_{};            // non-cumulative
  uint64_t latency_count_ = 0;
  uint64_t latency_sum_us_ = 0;  // exact: printed as a decimal of seconds
  std::array<std::atomic<uint64_t>, kStageCount> stage_ns_{};
  std::atomic<uint64_t> staged_requests_{0};
};

// Escapes a label value for the text format (backslash, double quote, newline).
std::string prometheus_label(std::string_view value);
// Appends a family's "# HELP" and "# TYPE" lines (type: counter, gauge or histogram).
void gauge_header(std::string& out, const char* name, const char* help, const char* type);
// `units` / 10^digits as an exact decimal ("0.000002", "2"): counters kept as integers (ns, µs)
// lose nothing on the way to seconds.
std::string exact_decimal(uint64_t units, int digits);
// The shortest text that reads back as the same double (no %g rounding).
std::string full_precision(double value);

}  // namespace wsup::supervisor

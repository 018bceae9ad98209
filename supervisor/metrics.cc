#include "supervisor/metrics.h"

#include <unistd.h>
#include "supervisor/egress_metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "shared/log.h"
#include "supervisor/version.h"

namespace wsup::supervisor {

void gauge_header(std::string& out, const char* name, const char* help, const char* type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

std::string prometheus_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void Metrics::record_scheduled_run(std::string_view script, std::string_view outcome) {
  std::lock_guard lock(mutex_);
  ++scheduled_runs_[{std::string(script), std::string(outcome)}];
}

void Metrics::record_request(std::string_view script, int worker, int status,
                             std::chrono::microseconds latency) {
  double seconds = static_cast<double>(latency.count()) / 1e6;
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(script), worker, status}];
  if (worker >= 0 && status < 500) ++served_by_worker_[worker];
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      ++bucket_counts_[i];
      break;
    }
  }
  ++latency_count_;
  latency_sum_us_ += static_cast<uint64_t>(std::max<int64_t>(0, latency.count()));
}

uint64_t Metrics::served_by(int worker) const {
  std::lock_guard lock(mutex_);
  auto it = served_by_worker_.find(worker);
  return it == served_by_worker_.end() ? 0 : it->second;
}

std::string exact_decimal(uint64_t units, int digits) {
  uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  std::string out = std::to_string(units / scale);
  std::string fraction = std::to_string(units % scale);
  fraction.insert(0, static_cast<size_t>(digits) - fraction.size(), '0');
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (!fraction.empty()) out += "." + fraction;
  return out;
}

std::string full_precision(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

SupervisorFigures SupervisorFigures::now() {
  return {read_process_stats(::getpid()), log::write_failures()};
}

namespace {
std::string seconds_from_ns(uint64_t ns) {
  return exact_decimal(ns, 9);
}
// One series per reason for every worker, zeros included, so an alert on
// rate(...{reason="crash"}) has a series from the start.
void render_restarts(std::string& out, std::span<const WorkerSnapshot> workers) {
  gauge_header(out, "wsup_worker_restarts_total",
               "Times the worker slot's process was replaced, by reason (crash, reload, restart, "
               "recycle).",
               "counter");
  for (const WorkerSnapshot& w : workers)
    for (size_t r = 0; r < kRestartReasonCount; ++r)
      out += "wsup_worker_restarts_total{worker=\"" + std::to_string(w.id) + "\",reason=\"" +
             kRestartReasonNames[r] + "\"} " + std::to_string(w.restarts_by_reason[r]) + "\n";
}

// Per process: the supervisor (process="supervisor") and each worker's current one (worker="N").
void render_processes(std::string& out, std::span<const WorkerSnapshot> workers,
                      const SupervisorFigures& supervisor) {
  struct Family {
    const char* name;
    const char* help;
    const char* type;
    std::string (*value)(const ProcessStats&);
  };
  static const Family families[] = {
      {"wsup_process_resident_memory_bytes", "Resident memory of the process (/proc).", "gauge",
       [](const ProcessStats& p) { return std::to_string(p.rss_bytes); }},
      {"wsup_process_cpu_seconds_total", "User+system CPU time of the process (/proc).", "counter",
       [](const ProcessStats& p) { return full_precision(p.cpu_seconds); }},
      {"wsup_process_open_fds", "Open file descriptors of the process (/proc).", "gauge",
       [](const ProcessStats& p) { return std::to_string(p.open_fds); }},
  };
  for (const Family& f : families) {
    gauge_header(out, f.name, f.help, f.type);
    out += std::string(f.name) + "{process=\"supervisor\"} " + f.value(supervisor.process) + "\n";
    for (const WorkerSnapshot& w : workers)
      out += std::string(f.name) + "{worker=\"" + std::to_string(w.id) + "\"} " +
             f.value(w.process) + "\n";
  }
  gauge_header(out, "wsup_log_write_failures_total",
               "Log lines (access log included) that could not be written whole.", "counter");
  out += "wsup_log_write_failures_total{process=\"supervisor\"} " +
         std::to_string(supervisor.log_write_failures) + "\n";
  for (const WorkerSnapshot& w : workers)
    out += "wsup_log_write_failures_total{worker=\"" + std::to_string(w.id) + "\"} " +
           std::to_string(w.log_write_failures) + "\n";
}

void render_build_info(std::string& out) {
  gauge_header(out, "wsup_build_info",
               "Always 1; the labels say what was built: wsup's version, the V8 its workers run, "
               "Boost, the compiler.",
               "gauge");
  out += std::string("wsup_build_info{version=\"") + prometheus_label(kVersion) + "\",v8=\"" +
         prometheus_label(WSUP_V8_VERSION) + "\",boost=\"" + prometheus_label(WSUP_BOOST_VERSION) +
         "\",compiler=\"" + prometheus_label(WSUP_COMPILER) + "\"} 1\n";
}

}  // namespace

void Metrics::record_stages(const std::array<std::chrono::nanoseconds, kStageCount>& stages) {
  // Relaxed: independent statistics; a scrape may see one request's stages half added.
  for (size_t i = 0; i < kStageCount; ++i)
    stage_ns_[i].fetch_add(static_cast<uint64_t>(std::max<int64_t>(0, stages[i].count())),
                           std::memory_order_relaxed);
  staged_requests_.fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render(std::span<const WorkerSnapshot> workers, size_t overflow_depth,
                            const SupervisorFigures& supervisor) const {
  std::string out;
  {
    std::lock_guard lock(mutex_);
    gauge_header(out, "wsup_requests_total",
                 "HTTP requests answered, by script, worker and status.", "counter");
    for (const auto& [key, count] : requests_) {
      const auto& [script, worker, status] = key;
      out += "wsup_requests_total{script=\"" + prometheus_label(script) + "\",worker=\"" +
             (worker < 0 ? std::string("none") : std::to_string(worker)) + "\",status=\"" +
             std::to_string(status) + "\"} " + std::to_string(count) + "\n";
    }
    gauge_header(out, "wsup_scheduled_runs_total",
                 "Runs of scripts' scheduled handlers (cron triggers and wsup trigger), by "
                 "script and outcome.",
                 "counter");
    for (const auto& [key, count] : scheduled_runs_)
      out += "wsup_scheduled_runs_total{script=\"" + prometheus_label(key.first) + "\",outcome=\"" +
             prometheus_label(key.second) + "\"} " + std::to_string(count) + "\n";
    gauge_header(out, "wsup_request_duration_seconds",
                 "Time from request read to response ready, in the supervisor.", "histogram");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      cumulative += bucket_counts_[i];
      out += "wsup_request_duration_seconds_bucket{le=\"" + full_precision(kLatencyBuckets[i]) +
             "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "wsup_request_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(latency_count_) +
           "\n";
    out += "wsup_request_duration_seconds_sum " + exact_decimal(latency_sum_us_, 6) + "\n";
    out += "wsup_request_duration_seconds_count " + std::to_string(latency_count_) + "\n";
  }
  gauge_header(out, "wsup_request_stage_seconds_total",
               "Supervisor time of worker-answered requests, summed per stage.", "counter");
  for (size_t i = 0; i < kStageCount; ++i)
    out += std::string("wsup_request_stage_seconds_total{stage=\"") + kStageNames[i] + "\"} " +
           seconds_from_ns(stage_ns_[i].load(std::memory_order_relaxed)) + "\n";
  gauge_header(out, "wsup_request_stage_requests_total",
               "Requests summed in wsup_request_stage_seconds_total.", "counter");
  out += "wsup_request_stage_requests_total " +
         std::to_string(staged_requests_.load(std::memory_order_relaxed)) + "\n";
  gauge_header(out, "wsup_overflow_queue_depth",
               "Requests waiting in the supervisor for a free worker slot.", "gauge");
  out += "wsup_overflow_queue_depth " + std::to_string(overflow_depth) + "\n";

  struct Column {
    const char* name;
    const char* help;
    const char* type;
    std::string (*value)(const WorkerSnapshot&);
  };
  static const Column columns[] = {
      {"wsup_worker_up", "1 while the worker is ready to serve.", "gauge",
       [](const WorkerSnapshot& w) { return std::string(w.state == "ready" ? "1" : "0"); }},
      {"wsup_worker_in_flight", "Requests held by the worker process.", "gauge",
       [](const WorkerSnapshot& w) { return std::to_string(w.in_flight); }},
      {"wsup_worker_queue_depth", "Requests in the worker's ring not taken yet.", "gauge",
       [](const WorkerSnapshot& w) { return std::to_string(w.queue_depth); }},
      {"wsup_worker_heap_bytes", "V8 heap in use in the worker's isolates.", "gauge",
       [](const WorkerSnapshot& w) { return std::to_string(w.heap_bytes); }},
      {"wsup_worker_context_seconds_total",
       "Worker time making fresh contexts for requests that found none made ahead.", "counter",
       [](const WorkerSnapshot& w) { return seconds_from_ns(w.times.context_ns); }},
      {"wsup_worker_spare_context_seconds_total",
       "Worker time making contexts ahead of requests, on its spare-context thread.", "counter",
       [](const WorkerSnapshot& w) { return seconds_from_ns(w.times.spare_context_ns); }},
      {"wsup_worker_script_seconds_total",
       "Worker time running requests' JavaScript (script, handler, microtasks, timers).", "counter",
       [](const WorkerSnapshot& w) { return seconds_from_ns(w.times.script_ns); }},
      {"wsup_worker_spare_context_hits_total",
       "Requests that started in a context made ahead of them.", "counter",
       [](const WorkerSnapshot& w) { return std::to_string(w.times.spare_hits); }},
  };
  for (const Column& c : columns) {
    gauge_header(out, c.name, c.help, c.type);
    for (const WorkerSnapshot& w : workers)
      out += std::string(c.name) + "{worker=\"" + std::to_string(w.id) + "\"} " + c.value(w) + "\n";
  }
  render_egress_metrics(out, workers);
  render_restarts(out, workers);
  render_processes(out, workers, supervisor);
  render_build_info(out);
  return out;
}

}  // namespace wsup::supervisor

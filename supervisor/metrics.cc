#include "supervisor/metrics.h"

#include <algorithm>
#include <cstdio>

namespace wsup::supervisor {

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
  latency_sum_seconds_ += seconds;
}

uint64_t Metrics::served_by(int worker) const {
  std::lock_guard lock(mutex_);
  auto it = served_by_worker_.find(worker);
  return it == served_by_worker_.end() ? 0 : it->second;
}

namespace {
std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
// Nanosecond sums keep growing: print enough digits that rate() still sees microseconds.
std::string seconds_from_ns(uint64_t ns) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", static_cast<double>(ns) / 1e9);
  return buf;
}
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
}  // namespace

void Metrics::record_stages(const std::array<std::chrono::nanoseconds, kStageCount>& stages) {
  // Relaxed: independent statistics; a scrape may see one request's stages half added.
  for (size_t i = 0; i < kStageCount; ++i)
    stage_ns_[i].fetch_add(static_cast<uint64_t>(std::max<int64_t>(0, stages[i].count())),
                           std::memory_order_relaxed);
  staged_requests_.fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render(std::span<const WorkerSnapshot> workers, size_t overflow_depth) const {
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
    gauge_header(out, "wsup_request_duration_seconds",
                 "Time from request read to response ready, in the supervisor.", "histogram");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      cumulative += bucket_counts_[i];
      out += "wsup_request_duration_seconds_bucket{le=\"" + number(kLatencyBuckets[i]) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "wsup_request_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(latency_count_) +
           "\n";
    out += "wsup_request_duration_seconds_sum " + number(latency_sum_seconds_) + "\n";
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
      {"wsup_worker_restarts_total", "Times the worker process was replaced.", "counter",
       [](const WorkerSnapshot& w) { return std::to_string(w.restarts); }},
      {"wsup_worker_cpu_seconds_total", "User+system CPU of the current worker process.", "counter",
       [](const WorkerSnapshot& w) { return number(w.cpu_seconds); }},
      {"wsup_worker_rss_bytes", "Resident memory of the worker process.", "gauge",
       [](const WorkerSnapshot& w) { return std::to_string(w.rss_bytes); }},
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
      {"wsup_worker_subrequests_total", "fetch() calls the worker's scripts made.", "counter",
       [](const WorkerSnapshot& w) { return std::to_string(w.egress.subrequests); }},
      {"wsup_worker_subrequest_errors_total",
       "fetch() calls that failed (refused by the outbound policy, DNS, connect, TLS, timeout, "
       "broken connection or response).",
       "counter", [](const WorkerSnapshot& w) { return std::to_string(w.egress.errors); }},
  };
  for (const Column& c : columns) {
    gauge_header(out, c.name, c.help, c.type);
    for (const WorkerSnapshot& w : workers)
      out += std::string(c.name) + "{worker=\"" + std::to_string(w.id) + "\"} " + c.value(w) + "\n";
  }
  return out;
}

}  // namespace wsup::supervisor

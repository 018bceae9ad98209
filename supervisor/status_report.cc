#include "supervisor/status_report.h"

#include <cstdio>

#include "supervisor/access_log.h"

namespace wsup::supervisor {
namespace {
std::string uptime(double seconds) {
  char buf[32];
  long s = static_cast<long>(seconds);
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%lds", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  return buf;
}
std::string mebibytes(uint64_t bytes) {
  if (bytes == 0) return "-";  // not reported
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fMiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}
}  // namespace

std::string render_status_table(std::span<const WorkerSnapshot> workers) {
  std::string out;
  char line[320];
  std::snprintf(line, sizeof line, "%-3s %-8s %-12s %-8s %10s %9s %6s %9s %9s %9s\n", "ID", "PID",
                "STATE", "UPTIME", "SERVED", "IN-FLIGHT", "QUEUE", "RESTARTS", "HEAP", "RSS");
  out += line;
  for (const WorkerSnapshot& w : workers) {
    std::snprintf(line, sizeof line, "%-3d %-8s %-12s %-8s %10llu %9zu %6zu %9llu %9s %9s\n", w.id,
                  w.pid > 0 ? std::to_string(w.pid).c_str() : "-", w.state.c_str(),
                  w.pid > 0 ? uptime(w.uptime_seconds).c_str() : "-",
                  static_cast<unsigned long long>(w.requests_served), w.in_flight, w.queue_depth,
                  static_cast<unsigned long long>(w.restarts), mebibytes(w.heap_bytes).c_str(),
                  mebibytes(w.rss_bytes).c_str());
    out += line;
  }
  return out;
}

std::string render_status_json(std::span<const WorkerSnapshot> workers) {
  std::string out = "{\"workers\":[";
  for (size_t i = 0; i < workers.size(); ++i) {
    const WorkerSnapshot& w = workers[i];
    char numbers[512];
    std::snprintf(numbers, sizeof numbers,
                  "\"uptime_s\":%.3f,\"requests_served\":%llu,\"in_flight\":%zu,"
                  "\"queue_depth\":%zu,\"restarts\":%llu,\"heap_bytes\":%llu,\"rss_bytes\":%llu,"
                  "\"cpu_s\":%.3f,\"heartbeat_age_ms\":%llu",
                  w.uptime_seconds, static_cast<unsigned long long>(w.requests_served), w.in_flight,
                  w.queue_depth, static_cast<unsigned long long>(w.restarts),
                  static_cast<unsigned long long>(w.heap_bytes),
                  static_cast<unsigned long long>(w.rss_bytes), w.cpu_seconds,
                  static_cast<unsigned long long>(w.heartbeat_age_ms));
    out += i ? "," : "";
    out += "{\"id\":" + std::to_string(w.id) + ",\"pid\":" + std::to_string(w.pid) +
           ",\"state\":\"" + json_escape(w.state) + "\"," + numbers + "}";
  }
  out += "]}\n";
  return out;
}

}  // namespace wsup::supervisor

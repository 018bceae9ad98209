#include "supervisor/status_report.h"

#include <cstdio>

#include "config/cron.h"
#include "shared/json_escape.h"

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

std::vector<ScriptMode> script_modes(const config::ClusterConfig& config) {
  std::vector<ScriptMode> modes;
  for (const config::Script& script : config.scripts) {
    ScriptMode mode;
    mode.name = script.name;
    mode.isolate = script.isolation == config::Isolation::isolate;
    mode.snapshot = script.snapshot;
    mode.warm_up = script.warm_up.size();
    if (mode.isolate) {
      mode.recycle_requests = script.recycle.requests;
      // The worker's default: half the heap limit (worker/runtime.cc, RuntimeOptions).
      mode.recycle_heap_mib = script.recycle.heap_mib.value_or(config.limits.heap_mib / 2);
    }
    for (const std::string& cron : script.crons) mode.crons.push_back(ScriptCron{cron, {}});
    modes.push_back(std::move(mode));
  }
  return modes;
}

void set_next_cron_ticks(std::vector<ScriptMode>& scripts,
                         std::chrono::system_clock::time_point now) {
  const auto after = std::chrono::floor<std::chrono::seconds>(now);
  for (ScriptMode& script : scripts) {
    for (ScriptCron& cron : script.crons) {
      config::CronError error;
      std::optional<config::CronSchedule> schedule = config::parse_cron(cron.expression, error);
      cron.next = schedule ? config::next_cron_time(*schedule, after) : std::nullopt;
    }
  }
}

std::string render_crons(const ScriptMode& script) {
  std::string out;
  for (const ScriptCron& cron : script.crons) {
    out += (out.empty() ? "\"" : ", \"") + cron.expression + "\"";
    if (cron.next) out += " next " + config::format_cron_time(*cron.next);
  }
  return out;
}

std::string render_status_table(std::span<const WorkerSnapshot> workers,
                                std::span<const ScriptMode> scripts,
                                const std::optional<SupervisorInfo>& supervisor) {
  std::string out;
  char line[320];
  if (supervisor) {
    std::string listen;
    for (const std::string& address : supervisor->listen)
      listen += (listen.empty() ? "" : ",") + address;
    out += "supervisor pid " + std::to_string(supervisor->pid) + "  version " +
           supervisor->version + "  uptime " + uptime(supervisor->uptime_seconds) + "  listen " +
           (listen.empty() ? "-" : listen) + "  admin " +
           (supervisor->admin.empty() ? "off" : supervisor->admin) + "\n\n";
  }
  std::snprintf(line, sizeof line, "%-3s %-8s %-12s %-8s %10s %9s %6s %9s %9s %9s\n", "ID", "PID",
                "STATE", "UPTIME", "SERVED", "IN-FLIGHT", "QUEUE", "RESTARTS", "HEAP", "RSS");
  out += line;
  for (const WorkerSnapshot& w : workers) {
    std::snprintf(line, sizeof line, "%-3d %-8s %-12s %-8s %10llu %9zu %6zu %9llu %9s %9s\n", w.id,
                  w.pid > 0 ? std::to_string(w.pid).c_str() : "-", w.state.c_str(),
                  w.pid > 0 ? uptime(w.uptime_seconds).c_str() : "-",
                  static_cast<unsigned long long>(w.requests_served), w.in_flight, w.queue_depth,
                  static_cast<unsigned long long>(w.restarts), mebibytes(w.heap_bytes).c_str(),
                  mebibytes(w.process.rss_bytes).c_str());
    out += line;
  }
  if (scripts.empty()) return out;
  std::snprintf(line, sizeof line, "\n%-20s %-9s %-8s %7s %s\n", "SCRIPT", "ISOLATION", "SNAPSHOT",
                "WARM-UP", "RECYCLE");
  out += line;
  for (const ScriptMode& s : scripts) {
    std::string recycle = "-";
    if (s.isolate) {
      recycle = s.recycle_requests ? std::to_string(s.recycle_requests) + " requests" : "";
      if (s.recycle_heap_mib) {
        recycle += (recycle.empty() ? "" : ", ") + std::to_string(s.recycle_heap_mib) + " MiB";
      }
      if (recycle.empty()) recycle = "never";
    }
    std::snprintf(line, sizeof line, "%-20s %-9s %-8s %7zu %s\n", s.name.c_str(),
                  s.isolate ? "isolate" : "request", s.snapshot ? "on" : "off", s.warm_up,
                  recycle.c_str());
    out += line;
  }
  bool header = false;
  for (const ScriptMode& s : scripts) {
    if (s.crons.empty()) continue;
    if (!header) out += "\nSCRIPT               CRONS (UTC)\n";
    header = true;
    std::snprintf(line, sizeof line, "%-20s ", s.name.c_str());
    out += line + render_crons(s) + "\n";
  }
  return out;
}

std::string render_status_json(std::span<const WorkerSnapshot> workers,
                               std::span<const ScriptMode> scripts,
                               const std::optional<SupervisorInfo>& supervisor) {
  std::string out = "{";
  if (supervisor) {
    char uptime_s[32];
    std::snprintf(uptime_s, sizeof uptime_s, "%.3f", supervisor->uptime_seconds);
    out += "\"supervisor\":{\"pid\":" + std::to_string(supervisor->pid) + ",\"version\":\"" +
           json_escape(supervisor->version) + "\",\"uptime_s\":" + uptime_s + ",\"listen\":[";
    for (size_t i = 0; i < supervisor->listen.size(); ++i)
      out += (i ? ",\"" : "\"") + json_escape(supervisor->listen[i]) + "\"";
    out += "],\"admin\":\"" + json_escape(supervisor->admin) + "\"},";
  }
  out += "\"workers\":[";
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
                  static_cast<unsigned long long>(w.process.rss_bytes), w.process.cpu_seconds,
                  static_cast<unsigned long long>(w.heartbeat_age_ms));
    out += i ? "," : "";
    out += "{\"id\":" + std::to_string(w.id) + ",\"pid\":" + std::to_string(w.pid) +
           ",\"state\":\"" + json_escape(w.state) + "\"," + numbers + "}";
  }
  out += "],\"scripts\":[";
  for (size_t i = 0; i < scripts.size(); ++i) {
    const ScriptMode& s = scripts[i];
    out += i ? "," : "";
    out += "{\"name\":\"" + json_escape(s.name) + "\",\"isolation\":\"" +
           (s.isolate ? "isolate" : "request") +
           "\",\"snapshot\":" + (s.snapshot ? "true" : "false") +
           ",\"warm_up\":" + std::to_string(s.warm_up) +
           ",\"recycle_requests\":" + std::to_string(s.recycle_requests) +
           ",\"recycle_heap_mib\":" + std::to_string(s.recycle_heap_mib) + ",\"crons\":[";
    for (size_t c = 0; c < s.crons.size(); ++c) {
      const ScriptCron& cron = s.crons[c];
      out += (c ? ",{\"cron\":\"" : "{\"cron\":\"") + json_escape(cron.expression) +
             "\",\"next\":" +
             (cron.next ? "\"" + config::format_cron_time(*cron.next) + "\"" : "null") + "}";
    }
    out += "]}";
  }
  out += "]}\n";
  return out;
}

}  // namespace wsup::supervisor

// `wsup status` output: a fixed-width table for people, JSON for scripts.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/cluster_config.h"
#include "supervisor/metrics.h"

namespace wsup::supervisor {

// One of a script's cron triggers (cluster.yaml `crons:`, or its wrangler file's
// `triggers.crons`).
struct ScriptCron {
  std::string expression;                        // as written
  std::optional<std::chrono::sys_seconds> next;  // its next tick (UTC); unset: not computed
};

// How a script's requests get their context, as its config says (cluster.yaml `isolation`,
// `snapshot`, `warm_up`, `recycle`), and its cron triggers. A script whose top level cannot be
// snapshotted is evaluated per request anyway: its workers log why, and `wsup check` prints it.
struct ScriptMode {
  std::string name;
  bool isolate = false;  // isolation: isolate
  bool snapshot = true;
  size_t warm_up = 0;
  uint32_t recycle_requests = 0;
  uint32_t recycle_heap_mib = 0;
  std::vector<ScriptCron> crons;
};
std::vector<ScriptMode> script_modes(const config::ClusterConfig& config);
// Sets each cron's next tick: the first minute after `now` that it matches, as the supervisor's
// CronScheduler computes it (a tick due at `now` but not yet fired shows the one after it).
void set_next_cron_ticks(std::vector<ScriptMode>& scripts,
                         std::chrono::system_clock::time_point now);
// A script's crons for one line: `"*/5 * * * *" next 2026-12-07T22:05:00Z, "0 3 * * 1" next ...`,
// without `next ...` where it is not computed (`wsup check`).
std::string render_crons(const ScriptMode& script);

// The supervisor process itself, the first line of `wsup status`.
struct SupervisorInfo {
  int pid = 0;
  std::string version;
  double uptime_seconds = 0;
  std::vector<std::string> listen;  // "host:port" as bound (a port 0 in the config resolved)
  std::string admin;                // admin.http's "host:port", "" when off
};

// The supervisor's line (when given), the workers' table, then the scripts' (when `scripts` is
// not empty) and, for the scripts that have crons, one line each (render_crons).
std::string render_status_table(std::span<const WorkerSnapshot> workers,
                                std::span<const ScriptMode> scripts = {},
                                const std::optional<SupervisorInfo>& supervisor = std::nullopt);
// {"supervisor":{"pid":42,"version":"0.1.0","uptime_s":9.5,"listen":["127.0.0.1:8080"],
//  "admin":""}, (when given)
//  "workers":[{"id":0,"pid":123,"state":"ready","uptime_s":1.5,...}],
//  "scripts":[{"name":"api","isolation":"request","snapshot":true,"warm_up":2,...,
//   "crons":[{"cron":"*/5 * * * *","next":"2026-12-07T22:05:00Z"}]}]}  (next: null if unset)
std::string render_status_json(std::span<const WorkerSnapshot> workers,
                               std::span<const ScriptMode> scripts = {},
                               const std::optional<SupervisorInfo>& supervisor = std::nullopt);

}  // namespace wsup::supervisor

// `wsup status` output: a fixed-width table for people, JSON for scripts.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/cluster_config.h"
#include "supervisor/metrics.h"

namespace wsup::supervisor {

// How a script's requests get their context, as its config says (cluster.yaml `isolation`,
// `snapshot`, `warm_up`, `recycle`). A script whose top level cannot be snapshotted is
// evaluated per request anyway: its workers log why, and `wsup check` prints it.
struct ScriptMode {
  std::string name;
  bool isolate = false;  // isolation: isolate
  bool snapshot = true;
  size_t warm_up = 0;
  uint32_t recycle_requests = 0;
  uint32_t recycle_heap_mib = 0;
};
std::vector<ScriptMode> script_modes(const config::ClusterConfig& config);

// The supervisor process itself, the first line of `wsup status`.
struct SupervisorInfo {
  int pid = 0;
  std::string version;
  double uptime_seconds = 0;
  std::vector<std::string> listen;  // "host:port" as bound (a port 0 in the config resolved)
  std::string admin;                // admin.http's "host:port", "" when off
};

// The supervisor's line (when given), the workers' table, then the scripts' (when `scripts` is
// not empty).
std::string render_status_table(std::span<const WorkerSnapshot> workers,
                                std::span<const ScriptMode> scripts = {},
                                const std::optional<SupervisorInfo>& supervisor = std::nullopt);
// {"supervisor":{"pid":42,"version":"0.1.0","uptime_s":9.5,"listen":["127.0.0.1:8080"],
//  "admin":""}, (when given)
//  "workers":[{"id":0,"pid":123,"state":"ready","uptime_s":1.5,...}],
//  "scripts":[{"name":"api","isolation":"request","snapshot":true,"warm_up":2,...}]}
std::string render_status_json(std::span<const WorkerSnapshot> workers,
                               std::span<const ScriptMode> scripts = {},
                               const std::optional<SupervisorInfo>& supervisor = std::nullopt);

}  // namespace wsup::supervisor

// `wsup status` output: a fixed-width table for people, JSON for scripts.
#pragma once

#include <cstdint>
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

// The workers' table, then the scripts' (when `scripts` is not empty).
std::string render_status_table(std::span<const WorkerSnapshot> workers,
                                std::span<const ScriptMode> scripts = {});
// {"workers":[{"id":0,"pid":123,"state":"ready","uptime_s":1.5,...}],
//  "scripts":[{"name":"api","isolation":"request","snapshot":true,"warm_up":2,...}]}
std::string render_status_json(std::span<const WorkerSnapshot> workers,
                               std::span<const ScriptMode> scripts = {});

}  // namespace wsup::supervisor

// `wsup status` output: a fixed-width table for people, JSON for scripts.
#pragma once

#include <span>
#include <string>

#include "supervisor/metrics.h"

namespace wsup::supervisor {

std::string render_status_table(std::span<const WorkerSnapshot> workers);
// {"workers":[{"id":0,"pid":123,"state":"ready","uptime_s":1.5,...}]}
std::string render_status_json(std::span<const WorkerSnapshot> workers);

}  // namespace wsup::supervisor

// The /metrics families of the workers' subrequests (fetch()): every figure of WorkerEgress
// (shared/channel.h), as each worker last reported it, labelled by worker. Metrics::render calls
// it; the names are listed in docs/OPERATIONS.md ("Outbound requests").
#pragma once

#include <span>
#include <string>

#include "supervisor/metrics.h"

namespace wsup::supervisor {

void render_egress_metrics(std::string& out, std::span<const WorkerSnapshot> workers);

}  // namespace wsup::supervisor

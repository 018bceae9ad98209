// What /proc says about one process: resident memory, CPU time, open descriptors. For /metrics
// (wsup_process_*) and `wsup status`, of the supervisor and of each worker.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace wsup::supervisor {

struct ProcessStats {
  uint64_t rss_bytes = 0;  // resident set size (/proc/PID/statm)
  double cpu_seconds = 0;  // user + system (/proc/PID/stat), in clock ticks' resolution
  uint64_t open_fds = 0;   // entries of /proc/PID/fd
};

// All zero for a process that is gone (or a /proc that cannot be read).
ProcessStats read_process_stats(pid_t pid);

}  // namespace wsup::supervisor

// Why a worker slot's process was replaced: the label of wsup_worker_restarts_total{reason}.
// One enum, counted in one place (WorkerSlot's transitions, supervisor/worker_slot.cc): a new
// reason is a new enumerator plus its name below.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace wsup::supervisor {

enum class RestartReason {
  crash,           // the process exited on its own (or was killed as corrupt, or not ready in time)
  reload,          // `wsup reload` / SIGHUP replaced it
  restart,         // `wsup restart-worker` replaced it
  recycle,         // the worker asked to be replaced (replace_me: it lost an isolate to V8)
  cpu_hard_limit,  // it ended itself at limits.cpu_hard_ms (exit status 75): not a crash
  unresponsive,    // killed past stuck_worker_timeout: its loop had not turned
};
inline constexpr size_t kRestartReasonCount = 6;

inline constexpr std::array<const char*, kRestartReasonCount> kRestartReasonNames = {
    "crash", "reload", "restart", "recycle", "cpu_hard_limit", "unresponsive"};

// Restarts of one slot, by reason.
using RestartCounts = std::array<uint64_t, kRestartReasonCount>;

inline constexpr size_t index_of(RestartReason reason) {
  return static_cast<size_t>(reason);
}

}  // namespace wsup::supervisor

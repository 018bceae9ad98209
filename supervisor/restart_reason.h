// Why a worker slot's process was replaced: the label of wsup_worker_restarts_total{reason}.
// One enum, counted in one place (WorkerSlot's transitions, supervisor/worker_slot.cc): a new
// reason is a new enumerator plus its name below.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace wsup::supervisor {

enum class RestartReason {
  crash,    // the process exited on its own (or was killed as stuck or corrupt); restarted
  reload,   // `wsup reload` / SIGHUP replaced it
  restart,  // `wsup restart-worker` replaced it
  recycle,  // replaced on wsup's own initiative while healthy (nothing does this yet)
};
inline constexpr size_t kRestartReasonCount = 4;

inline constexpr std::array<const char*, kRestartReasonCount> kRestartReasonNames = {
    "crash", "reload", "restart", "recycle"};

// Restarts of one slot, by reason.
using RestartCounts = std::array<uint64_t, kRestartReasonCount>;

inline constexpr size_t index_of(RestartReason reason) {
  return static_cast<size_t>(reason);
}

}  // namespace wsup::supervisor

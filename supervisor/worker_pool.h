// The cluster's worker slots and their lifecycle: start, readiness, crash -> 502/re-dispatch ->
// restart with backoff (or failed), operator restarts and reloads as surge replacements (start
// the new process, route to it when ready, drain the old one), and shutdown. Also the worker's
// own requests: a worker that asks to be replaced (WorkerState::replace_me) gets a surge
// replacement; one that ended itself at the hard CPU limit (kWorkerExitHardLimit) restarts
// without counting as a crash. Health: a worker whose heartbeat is older than
// `unresponsive_after` is reported unresponsive; past `stuck_timeout` it is killed, and what it
// had not taken goes to other workers.
//
// Driven by the supervisor's main loop: tick() after every wake-up (pidfd readable, control
// command, timer). All public methods lock one mutex, so status snapshots from other threads are
// consistent.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "supervisor/control.h"
#include "supervisor/dispatcher.h"
#include "supervisor/metrics.h"
#include "supervisor/restart_policy.h"
#include "supervisor/worker_process.h"

namespace wsup::supervisor {

struct PoolSettings {
  std::string worker_binary;
  std::string config_path;
  std::string instance_id;  // names this run's segments
  uint32_t workers = 1;
  ChannelOptions channel;  // sizes; worker_id and epoch are filled per process
  std::chrono::milliseconds drain_timeout{10'000};
  std::chrono::milliseconds ready_timeout{30'000};
  std::chrono::milliseconds stop_grace{5'000};  // SIGTERM -> SIGKILL
  // ClusterConfig::unresponsive_after() and stuck_worker_timeout_or_auto().
  std::chrono::milliseconds unresponsive_after{2'000};
  std::chrono::milliseconds stuck_timeout{10'000};
  RestartPolicy::Options restart;
};

class WorkerPool {
 public:
  using Clock = std::chrono::steady_clock;
  using Done = std::function<void(ControlReply)>;

  WorkerPool(PoolSettings settings, Dispatcher& dispatcher, Metrics& metrics);
  ~WorkerPool();  // kills and reaps every process still running
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void start_all();
  void tick(Clock::time_point now);
  std::vector<int> pidfds() const;  // the main loop polls them: readable = a process exited

  // Queue an operation; `done` runs (on the main loop thread) when it finished or failed.
  void restart_worker(int id, Done done);
  void replace_all(PoolSettings settings, Done done);  // reload: new settings, rolling replace
  // Shutdown: terminate everything, restart nothing. Pending operations fail.
  void stop_all();
  bool all_exited() const;

  size_t ready_count() const;
  // Ready workers whose heartbeat is recent (what /healthz calls healthy), and a line for each
  // ready one that is not ("worker 1: no heartbeat for 3.2 s").
  struct Health {
    size_t responsive = 0;
    std::vector<std::string> unresponsive;
  };
  Health health() const;
  size_t failed_count() const;
  // Every slot is ready or failed (used to decide that start-up is over).
  bool settled() const;
  std::vector<WorkerSnapshot> snapshot() const;
  // Why workers exited, newest last (for start-up failure messages).
  std::string last_exit_reasons() const;

 private:
  enum class State { starting, ready, draining, restarting, failed, stopped };
  struct Retiring {
    std::unique_ptr<WorkerProcess> process;
    Clock::time_point drain_deadline;
    std::optional<Clock::time_point> terminated_at;
  };
  struct Slot {
    int id = 0;
    State state = State::starting;
    std::unique_ptr<WorkerProcess> current;
    bool current_routed = false;
    std::unique_ptr<WorkerProcess> next;  // surge replacement being started
    std::vector<Retiring> retiring;
    uint32_t epoch = 0;
    uint64_t restarts = 0;
    RestartPolicy policy;
    Clock::time_point restart_at;
    std::string last_exit;
    int replaced_pid = 0;  // the process a surge replacement was started for on its own request
  };
  struct Operation {
    std::vector<int> slots;
    size_t index = 0;
    bool step_started = false;
    Done done;
    std::string what;  // "restart-worker 2", "reload"
  };

  std::unique_ptr<WorkerProcess> spawn_locked(Slot& slot);
  void tick_slot_locked(Slot& slot, Clock::time_point now);
  // The current process, running and routed: replace it if it asks, kill it if stuck.
  void watch_routed_locked(Slot& slot);
  // The current process exited: restart it (with backoff, or not if it crashed too often).
  void restart_after_exit_locked(Slot& slot, Clock::time_point now);
  bool unresponsive_locked(const Slot& slot) const;
  void tick_operation_locked();
  // The process exited: settle its requests with the dispatcher.
  void settle_exit_locked(WorkerProcess& process, int slot_id);
  void retire_locked(Slot& slot, std::unique_ptr<WorkerProcess> process, Clock::time_point now);
  static const char* name(State state);

  mutable std::mutex mutex_;
  PoolSettings settings_;
  Dispatcher& dispatcher_;
  Metrics& metrics_;
  std::vector<Slot> slots_;
  std::deque<Operation> operations_;
  EndpointId next_endpoint_ = 1;
  bool stopping_ = false;
  std::deque<std::string> exit_reasons_;
};

}  // namespace wsup::supervisor

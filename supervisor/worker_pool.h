// The cluster's worker slots (each one's lifecycle is a WorkerSlot: supervisor/worker_slot.h),
// the operator's operations on them (restart-worker, reload: one slot at a time, each a surge
// replacement), shutdown, and status snapshots. It is the slots' SlotHost: it starts WorkerProcess
// children and tells the dispatcher about them. Health: /healthz asks which serving workers'
// loops turn (health()).
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
#include "supervisor/worker_slot.h"

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
  // ClusterConfig::unresponsive_after() and stuck_worker_timeout_or_auto() (SlotTimings).
  std::chrono::milliseconds unresponsive_after{2'000};
  std::chrono::milliseconds stuck_timeout{10'000};
  RestartPolicy::Options restart;
};

class WorkerPool : private SlotHost {
 public:
  using Clock = std::chrono::steady_clock;
  using Done = std::function<void(ControlReply)>;

  WorkerPool(PoolSettings settings, Dispatcher& dispatcher, Metrics& metrics);
  ~WorkerPool() override;  // kills and reaps every process still running
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void start_all();
  void tick(Clock::time_point now);
  std::vector<int> pidfds() const;  // the main loop polls them: readable = a process exited

  // Queue an operation; `done` runs (on the main loop thread) when it finished or failed.
  void restart_worker(int id, Done done);
  void replace_all(PoolSettings settings, Done done);  // reload: new settings, rolling replace
  // The supervisor began to drain: workers serve on, but none that exits is restarted.
  void begin_drain();
  // Shutdown: terminate everything, restart nothing. Pending operations fail.
  void stop_all();
  bool all_exited() const;
  // Sends `signal` to every worker process (through its pidfd: never a recycled pid).
  void signal_all(int signal) const;

  size_t ready_count() const;
  // Serving workers whose heartbeat is recent (what /healthz calls healthy), and a line for each
  // serving one that is unresponsive ("worker 1: no heartbeat for 3.2 s").
  struct Health {
    size_t responsive = 0;
    std::vector<std::string> unresponsive;
  };
  Health health() const;
  // Every slot is ready or failed (used to decide that start-up is over).
  bool settled() const;
  std::vector<WorkerSnapshot> snapshot() const;
  // Why workers exited, newest last (for start-up failure messages).
  std::string last_exit_reasons() const;

 private:
  // An operator's restart-worker or reload: the slots it replaces, one at a time.
  struct Operation {
    std::vector<int> slots;
    size_t index = 0;
    bool step_started = false;
    Done done;
    std::string what;  // "restart-worker 2", "reload"
    RestartReason reason = RestartReason::restart;
  };

  void tick_operation_locked(Clock::time_point now);
  void finish_operation_locked(bool ok, const std::string& message);

  // SlotHost: called by the slots, with mutex_ held.
  std::unique_ptr<SlotProcess> spawn(int id, uint32_t epoch) override;
  void route(SlotProcess& process, int id) override;
  void stop_routing(SlotProcess& process) override;
  size_t outstanding(const SlotProcess& process) const override;
  void settle_exit(SlotProcess& process, int id) override;
  void note_exit(int id, const std::string& how) override;
  SlotTimings timings() const override;

  mutable std::mutex mutex_;
  PoolSettings settings_;
  Dispatcher& dispatcher_;
  Metrics& metrics_;
  std::vector<WorkerSlot> slots_;
  std::deque<Operation> operations_;
  EndpointId next_endpoint_ = 1;
  bool stopping_ = false;
  std::deque<std::string> exit_reasons_;
};

}  // namespace wsup::supervisor

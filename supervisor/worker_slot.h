// One worker slot's lifecycle: the state machine behind `wsup status`'s STATE column. Each
// transition is one function of worker_slot.cc:
//
//   from             event                                to          function
//   starting         its process is ready (routed to)     ready       on_current_ready
//   starting, ready  its process exits (a crash)          restarting  on_current_exit
//                      or failed, after max_crashes crashes within the restart policy's window;
//                      an exit at the hard CPU limit (status 75) restarts at once, not a crash
//   restarting       the backoff is over                  starting    restart
//   ready            operator's restart-worker or reload  replacing   begin_replacement
//   ready            the worker asks to be replaced       replacing   on_replacement_request
//   ready, replacing its heartbeat is older than          (same)      kill_as_stuck
//                      stuck_timeout: SIGKILL; its exit is then on_current_exit (a crash) or
//                      on_old_exit_while_replacing
//   the others       operator's restart-worker or reload  starting    begin_replacement
//   replacing        the new process is ready             ready       on_replacement_ready
//                      (routed to; the old one retires)
//   replacing        the new process exits before ready   ready       on_replacement_exit
//   replacing        the old process exits                starting    on_old_exit_while_replacing
//   starting, ready  its process exits once the supervisor  stopped     on_current_exit
//                      drains (begin_drain): a signal to the whole process group (Ctrl-C,
//                      kill -TERM -PGID) reaches the workers too; nothing restarts
//   restarting       the supervisor drains                stopped     tick
//   any              shutdown                             stopped     stop
//
// - starting: the slot's process was started and is not routed to yet.
// - ready: its process is routed to.
// - replacing (shown as "draining"): an operator's restart-worker or reload, or the worker's own
//   request (it lost an isolate to V8: worker/loop_rescue.h), started a surge replacement beside
//   the process that still serves; once the new one is ready it is routed to and the old one
//   retires. The worker's request is honoured once per process: if its replacement fails to
//   start, it keeps serving.
// - restarting: its process exited; a new one starts when the restart policy's backoff is over.
// - failed: it crashed too often (RestartPolicy); only an operator's restart or reload starts it.
// - stopped: the supervisor is shutting down.
//
// Not a phase but a flag: a serving process whose heartbeat is older than unresponsive_after is
// `unresponsive()` (status shows that instead of its phase, /healthz counts it unhealthy), still
// routed to; past stuck_timeout it is killed, and what it had not taken goes to other workers
// (settle_exit, as for any exit).
//
// Retiring processes (replaced, or stopped) live beside the slot's phase, each on its own:
// routed off, SIGTERM once it holds no request (or at the drain deadline), SIGKILL after the stop
// grace, settled once reaped.
//
// Restarts are counted by reason (supervisor/restart_reason.h) at two transitions only: restart
// (a crash's replacement starts) and on_replacement_ready (an operator's replacement serves, as
// the reason begin_replacement was given).
//
// The slot does no I/O of its own: it asks its SlotHost (the WorkerPool) to start processes,
// route to them and settle what they held, so its unit tests need no process.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "supervisor/restart_policy.h"
#include "supervisor/restart_reason.h"
#include "supervisor/slot_process.h"

namespace wsup::supervisor {

struct SlotTimings {
  std::chrono::milliseconds ready_timeout{30'000};  // start -> ready, else killed
  std::chrono::milliseconds drain_timeout{10'000};  // a retiring process's requests get this long
  std::chrono::milliseconds stop_grace{5'000};      // SIGTERM -> SIGKILL
  std::chrono::milliseconds spawn_retry{10'000};    // after a failed fork/exec
  // ClusterConfig::unresponsive_after() and stuck_worker_timeout_or_auto().
  std::chrono::milliseconds unresponsive_after{2'000};  // heartbeat age: unresponsive
  std::chrono::milliseconds stuck_timeout{10'000};      // heartbeat age: killed
};

// What a slot asks of the pool that owns it.
class SlotHost {
 public:
  virtual ~SlotHost() = default;
  // Starts a process for slot `id` (its segment named with `epoch`). Throws on failure.
  virtual std::unique_ptr<SlotProcess> spawn(int id, uint32_t epoch) = 0;
  virtual void route(SlotProcess& process, int id) = 0;  // send it requests from now on
  virtual void stop_routing(SlotProcess& process) = 0;   // no new requests; it finishes its own
  virtual size_t outstanding(const SlotProcess& process) const = 0;
  // `process` was reaped: hand what it held back to the dispatcher (502 or re-dispatch).
  virtual void settle_exit(SlotProcess& process, int id) = 0;
  // A slot's serving process exited unexpectedly (kept for start-up failure messages).
  virtual void note_exit(int id, const std::string& how) = 0;
  virtual SlotTimings timings() const = 0;
};

class WorkerSlot {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Phase { starting, ready, replacing, restarting, failed, stopped };
  // The operator's replacement of this slot's process (restart-worker, or one step of reload).
  enum class Replacement { none, in_progress, done, failed };

  WorkerSlot(int id, SlotHost& host, RestartPolicy policy);
  WorkerSlot(WorkerSlot&&) = default;

  int id() const { return id_; }
  Phase phase() const { return phase_; }
  static const char* name(Phase phase);  // as `wsup status` shows it
  uint64_t restarts() const;             // over every reason
  const RestartCounts& restarts_by_reason() const { return restarts_; }
  uint64_t restarts(RestartReason reason) const { return restarts_[index_of(reason)]; }
  // Its serving process's heartbeat is older than unresponsive_after (read now).
  bool unresponsive() const;
  // The process that serves or is starting in the slot (not a replacement, not a retiring one).
  SlotProcess* current() const { return current_.get(); }
  bool serving() const { return phase_ == Phase::ready || phase_ == Phase::replacing; }
  bool has_processes() const { return current_ || next_ || !retiring_.empty(); }
  void for_each_process(const std::function<void(SlotProcess&)>& visit) const;

  void start();  // the first process
  // Reaps what exited, then takes the transitions that are due at `now`.
  void tick(Clock::time_point now);
  // The operator asked for a new process: a surge replacement while one serves, an immediate
  // start when none does. The crash history is forgotten. False (replacement() failed) when no
  // process could be started. `reason` is what the new process counts as, once it serves.
  bool begin_replacement(Clock::time_point now, RestartReason reason);
  Replacement replacement() const { return replacement_; }
  const std::string& replacement_error() const { return replacement_error_; }
  void forget_replacement() { replacement_ = Replacement::none; }
  // The supervisor began to drain: its processes serve on, but one that exits is not restarted.
  void begin_drain() { draining_ = true; }
  // Shutdown: every process retires (SIGTERM now), nothing starts again.
  void stop(Clock::time_point now);
  // Destruction of the pool: SIGKILL, reap (blocking) and settle every process.
  void kill_all();

 private:
  struct Retiring {
    std::unique_ptr<SlotProcess> process;
    Clock::time_point drain_deadline;
    std::optional<Clock::time_point> terminated_at;
  };

  // Transitions, one per event.
  void restart(Clock::time_point now);
  void on_current_ready();
  void on_current_exit(Clock::time_point now);
  void on_replacement_ready(Clock::time_point now);
  void on_replacement_exit();
  void on_old_exit_while_replacing(Clock::time_point now);
  void on_replacement_request(const std::string& why);
  void kill_as_stuck(std::chrono::milliseconds heartbeat_age);
  void kill_if_stuck(SlotProcess& process, Clock::time_point now, const char* what);
  // Why current_ exited: exit status 75 is the hard CPU limit, a kill of ours is unresponsive.
  RestartReason exit_reason() const;
  void count_restart(RestartReason reason);
  // A serving process: its heartbeat and its own request for a replacement.
  void watch_serving();
  // Per phase: which events apply.
  void tick_current(Clock::time_point now);
  void tick_replacement(Clock::time_point now);
  void tick_retiring(Clock::time_point now);
  void retire(std::unique_ptr<SlotProcess> process, Clock::time_point now);
  void fail_replacement(std::string why);

  int id_;
  SlotHost* host_;
  RestartPolicy policy_;
  Phase phase_ = Phase::starting;
  std::unique_ptr<SlotProcess> current_;  // starting (phase starting) or routed (ready, replacing)
  std::unique_ptr<SlotProcess> next_;     // the surge replacement (phase replacing only)
  std::vector<Retiring> retiring_;
  uint32_t epoch_ = 0;
  RestartCounts restarts_{};
  Clock::time_point restart_at_;  // phase restarting: when the next process starts
  RestartReason restart_reason_ = RestartReason::crash;  // phase restarting: why
  RestartReason next_reason_ = RestartReason::restart;   // phase replacing: why next_ starts
  // The process ids this slot killed as stuck, and whose own request for a replacement it
  // honoured: each happens once per process (a kill is reaped on a later tick).
  int killed_as_stuck_pid_ = 0;
  int replacement_requested_pid_ = 0;
  std::string last_exit_;
  Replacement replacement_ = Replacement::none;
  std::string replacement_error_;
  bool draining_ = false;  // begin_drain: no process starts again
};

}  // namespace wsup::supervisor

#include "supervisor/worker_slot.h"

#include <thread>

#include "shared/channel.h"
#include "shared/log.h"

namespace wsup::supervisor {

const char* WorkerSlot::name(Phase phase) {
  switch (phase) {
    case Phase::starting:
      return "starting";
    case Phase::ready:
      return "ready";
    case Phase::replacing:
      return "draining";  // the old process serves (and will be drained) while the new one starts
    case Phase::restarting:
      return "restarting";
    case Phase::failed:
      return "failed";
    case Phase::stopped:
      return "stopped";
  }
  return "?";
}

namespace {
// A replacement the operator asked for (restart-worker, reload), as opposed to the worker's own.
bool by_operator(RestartReason reason) {
  return reason == RestartReason::reload || reason == RestartReason::restart;
}
}  // namespace

WorkerSlot::WorkerSlot(int id, SlotHost& host, RestartPolicy policy)
    : id_(id), host_(&host), policy_(policy) {}

void WorkerSlot::for_each_process(const std::function<void(SlotProcess&)>& visit) const {
  if (current_) visit(*current_);
  if (next_) visit(*next_);
  for (const Retiring& r : retiring_) visit(*r.process);
}

void WorkerSlot::start() {
  current_ = host_->spawn(id_, ++epoch_);
  phase_ = Phase::starting;
}

void WorkerSlot::tick(Clock::time_point now) {
  tick_retiring(now);
  switch (phase_) {
    case Phase::replacing:
      tick_replacement(now);
      if (phase_ == Phase::replacing) tick_current(now);
      break;
    case Phase::starting:
    case Phase::ready:
      tick_current(now);
      break;
    case Phase::restarting:
      if (draining_) {
        phase_ = Phase::stopped;
      } else if (now >= restart_at_) {
        restart(now);
      }
      break;
    case Phase::failed:
    case Phase::stopped:
      break;
  }
}

// The slot's own process, starting or routed.
void WorkerSlot::tick_current(Clock::time_point now) {
  SlotProcess& p = *current_;
  if (p.try_reap()) {
    if (phase_ == Phase::replacing) {
      on_old_exit_while_replacing(now);
    } else {
      on_current_exit(now);
    }
  } else if (p.broken()) {
    // A ring cursor out of range or a corrupt response record: the worker cannot be trusted
    // with more requests. What it had taken gets 502 once it is reaped; the rest moves on.
    log::error("worker corrupted its channel; killing it", {{"worker", id_}, {"pid", p.pid()}});
    p.kill();
  } else if (phase_ == Phase::starting) {
    if (p.ready()) {
      on_current_ready();
    } else {
      kill_if_stuck(p, now, "worker not ready in time; killing it");
    }
  } else {
    watch_serving();
  }
}

bool WorkerSlot::unresponsive() const {
  return serving() && current_ && current_->heartbeat_age() > host_->timings().unresponsive_after;
}

// ready or replacing, the process alive: kill it if its loop has stopped turning; replace it if
// it asks (ready only: a replacement is already starting otherwise).
void WorkerSlot::watch_serving() {
  SlotProcess& p = *current_;
  if (killed_as_stuck_pid_ == p.pid()) return;  // its exit is reaped on a coming tick
  const std::chrono::milliseconds age = p.heartbeat_age();
  if (age > host_->timings().stuck_timeout) {
    kill_as_stuck(age);
    return;
  }
  if (phase_ != Phase::ready || replacement_requested_pid_ == p.pid()) return;
  if (std::optional<std::string> why = p.replacement_request()) on_replacement_request(*why);
}

// ready or replacing: SIGKILL. What it had taken gets 502 once it is reaped, what waited in its
// ring goes to other workers (settle_exit), and the exit counts as a crash.
void WorkerSlot::kill_as_stuck(std::chrono::milliseconds heartbeat_age) {
  const std::string why = "no heartbeat for " + std::to_string(heartbeat_age.count()) +
                          " ms (stuck_worker_timeout " +
                          std::to_string(host_->timings().stuck_timeout.count()) + " ms)";
  log::error(
      "worker stuck: its loop has not turned; killing it, its queued requests go to other workers",
      {{"worker", id_}, {"pid", current_->pid()}, {"why", why}});
  killed_as_stuck_pid_ = current_->pid();
  current_->kill_because("stuck, " + why);
}

// ready -> replacing: the worker serves on but asked for a new process (it lost an isolate to
// V8 and keeps that memory mapped). Once per process: if the new one cannot start, this one
// keeps serving.
void WorkerSlot::on_replacement_request(const std::string& why) {
  replacement_requested_pid_ = current_->pid();
  log::warn("worker asks to be replaced; starting its replacement",
            {{"worker", id_}, {"pid", current_->pid()}, {"why", why}});
  try {
    next_ = host_->spawn(id_, ++epoch_);
    next_reason_ = RestartReason::recycle;
    phase_ = Phase::replacing;
  } catch (const std::exception& e) {
    log::error("cannot start a replacement worker", {{"worker", id_}, {"error", e.what()}});
  }
}

RestartReason WorkerSlot::exit_reason() const {
  if (current_->exit_status() == kWorkerExitHardLimit) return RestartReason::cpu_hard_limit;
  if (killed_as_stuck_pid_ == current_->pid()) return RestartReason::unresponsive;
  return RestartReason::crash;
}

void WorkerSlot::count_restart(RestartReason reason) {
  ++restarts_[index_of(reason)];
}

// The surge replacement, starting beside the process that serves.
void WorkerSlot::tick_replacement(Clock::time_point now) {
  SlotProcess& p = *next_;
  if (p.try_reap()) {
    on_replacement_exit();
  } else if (p.ready()) {
    on_replacement_ready(now);
  } else {
    kill_if_stuck(p, now, "replacement worker not ready in time; killing it");
  }
}

void WorkerSlot::kill_if_stuck(SlotProcess& process, Clock::time_point now, const char* what) {
  if (now - process.started_at() <= host_->timings().ready_timeout) return;
  log::error(what, {{"worker", id_}, {"pid", process.pid()}});
  process.kill();  // reaped, and handled as an exit, on a later tick
}

// restarting -> starting, once the backoff is over. A failed fork/exec is retried later.
void WorkerSlot::restart(Clock::time_point now) {
  try {
    current_ = host_->spawn(id_, ++epoch_);
    phase_ = Phase::starting;
    count_restart(restart_reason_);
  } catch (const std::exception& e) {
    log::error("cannot restart worker", {{"worker", id_}, {"error", e.what()}});
    restart_at_ = now + host_->timings().spawn_retry;
  }
}

// starting -> ready
void WorkerSlot::on_current_ready() {
  host_->route(*current_, id_);
  phase_ = Phase::ready;
  log::info("worker ready", {{"worker", id_}, {"pid", current_->pid()}});
  if (replacement_ == Replacement::in_progress) replacement_ = Replacement::done;
}

// starting or ready -> restarting, or failed once it crashed too often. An exit at the hard CPU
// limit is one request's doing, not the worker's: it restarts at once and is not a crash.
void WorkerSlot::on_current_exit(Clock::time_point now) {
  last_exit_ = current_->exit_description();
  restart_reason_ = exit_reason();
  host_->note_exit(id_, last_exit_);
  host_->settle_exit(*current_, id_);
  current_.reset();
  if (replacement_ == Replacement::in_progress)
    fail_replacement("worker " + std::to_string(id_) + " exited before it was ready (" +
                     last_exit_ + ")");
  if (draining_) {
    phase_ = Phase::stopped;
    log::info("worker exited while the supervisor drains; not restarting",
              {{"worker", id_}, {"how", last_exit_}});
    return;
  }
  if (restart_reason_ == RestartReason::cpu_hard_limit) {
    phase_ = Phase::restarting;  // restart() retries later if no process can be started now
    log::error("worker ended a request past the hard CPU limit; restarting",
               {{"worker", id_}, {"how", last_exit_}});
    restart(now);
    return;
  }
  const RestartPolicy::Decision d = policy_.on_crash(now);
  if (d.give_up) {
    phase_ = Phase::failed;
    log::error("worker failed: crashed too often, not restarting",
               {{"worker", id_}, {"how", last_exit_}, {"crashes", policy_.recent_crashes()}});
    return;
  }
  phase_ = Phase::restarting;
  restart_at_ = now + d.delay;
  log::error(
      "worker exited; restarting",
      {{"worker", id_}, {"how", last_exit_}, {"delay_ms", static_cast<int64_t>(d.delay.count())}});
}

// replacing -> ready: the new process is routed to, the old one retires.
void WorkerSlot::on_replacement_ready(Clock::time_point now) {
  host_->route(*next_, id_);
  log::info("worker ready", {{"worker", id_}, {"pid", next_->pid()}});
  retire(std::move(current_), now);
  current_ = std::move(next_);
  phase_ = Phase::ready;
  count_restart(next_reason_);
  if (by_operator(next_reason_)) replacement_ = Replacement::done;
}

// replacing -> ready: the old process keeps serving.
void WorkerSlot::on_replacement_exit() {
  last_exit_ = next_->exit_description();
  log::error("replacement worker exited before it was ready",
             {{"worker", id_}, {"how", last_exit_}});
  host_->settle_exit(*next_, id_);
  next_.reset();
  phase_ = Phase::ready;
  if (!by_operator(next_reason_)) return;  // the worker's request: honoured once
  fail_replacement("worker " + std::to_string(id_) + "'s new process exited before it was ready (" +
                   last_exit_ + "); the old process keeps serving");
}

// replacing -> starting: the replacement, not routed yet, becomes the slot's process. The exit
// still counts as a crash (unless at the hard CPU limit), so a slot whose processes keep dying
// ends up failed.
void WorkerSlot::on_old_exit_while_replacing(Clock::time_point now) {
  last_exit_ = current_->exit_description();
  const RestartReason reason = exit_reason();
  host_->note_exit(id_, last_exit_);
  host_->settle_exit(*current_, id_);
  if (reason != RestartReason::cpu_hard_limit) policy_.on_crash(now);
  log::error("worker exited while its replacement starts",
             {{"worker", id_}, {"how", last_exit_}, {"replacement_pid", next_->pid()}});
  current_ = std::move(next_);
  phase_ = Phase::starting;
}

uint64_t WorkerSlot::restarts() const {
  uint64_t total = 0;
  for (uint64_t n : restarts_) total += n;
  return total;
}

bool WorkerSlot::begin_replacement(Clock::time_point now, RestartReason reason) {
  policy_.reset();
  replacement_ = Replacement::in_progress;
  replacement_error_.clear();
  try {
    std::unique_ptr<SlotProcess> process = host_->spawn(id_, ++epoch_);
    if (serving()) {
      // A replacement the worker asked for, not routed yet, gives way: this one starts with the
      // operator's settings (a reload's).
      if (next_) retire(std::move(next_), now);
      next_ = std::move(process);  // surge: the old process serves until the new one is ready
      next_reason_ = reason;
      phase_ = Phase::replacing;
    } else {
      // starting (a process not ready yet is replaced too), restarting or failed: start now.
      if (current_) retire(std::move(current_), now);
      current_ = std::move(process);
      phase_ = Phase::starting;
    }
  } catch (const std::exception& e) {
    fail_replacement(e.what());
    return false;
  }
  return true;
}

void WorkerSlot::fail_replacement(std::string why) {
  replacement_ = Replacement::failed;
  replacement_error_ = std::move(why);
}

void WorkerSlot::retire(std::unique_ptr<SlotProcess> process, Clock::time_point now) {
  host_->stop_routing(*process);
  retiring_.push_back({std::move(process), now + host_->timings().drain_timeout, std::nullopt});
}

// Each retiring process: SIGTERM once idle (or at the drain deadline), SIGKILL after the grace,
// settled and forgotten once reaped.
void WorkerSlot::tick_retiring(Clock::time_point now) {
  const SlotTimings timings = host_->timings();
  for (auto it = retiring_.begin(); it != retiring_.end();) {
    SlotProcess& p = *it->process;
    if (p.try_reap()) {
      log::info("worker retired",
                {{"worker", id_}, {"pid", p.pid()}, {"how", p.exit_description()}});
      host_->settle_exit(p, id_);
      it = retiring_.erase(it);
      continue;
    }
    if (!it->terminated_at && (host_->outstanding(p) == 0 || now >= it->drain_deadline)) {
      p.terminate();
      it->terminated_at = now;
    } else if (it->terminated_at && now - *it->terminated_at > timings.stop_grace) {
      p.kill();
    }
    ++it;
  }
}

void WorkerSlot::stop(Clock::time_point now) {
  if (next_) retire(std::move(next_), now);
  if (current_) retire(std::move(current_), now);
  for (Retiring& r : retiring_) {
    r.process->terminate();
    r.terminated_at = now;
  }
  phase_ = Phase::stopped;
}

void WorkerSlot::kill_all() {
  auto kill_and_settle = [this](SlotProcess& p) {
    p.kill();
    while (!p.try_reap()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    host_->settle_exit(p, id_);
  };
  for_each_process(kill_and_settle);
}

}  // namespace wsup::supervisor

#include "supervisor/worker_slot.h"

#include <thread>

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
      if (now >= restart_at_) restart(now);
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
  }
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
    ++restarts_[index_of(RestartReason::crash)];
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

// starting or ready -> restarting, or failed once it crashed too often.
void WorkerSlot::on_current_exit(Clock::time_point now) {
  last_exit_ = current_->exit_description();
  host_->note_exit(id_, last_exit_);
  host_->settle_exit(*current_, id_);
  current_.reset();
  if (replacement_ == Replacement::in_progress)
    fail_replacement("worker " + std::to_string(id_) + " exited before it was ready (" +
                     last_exit_ + ")");
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
  ++restarts_[index_of(replacement_reason_)];
  replacement_ = Replacement::done;
}

// replacing -> ready: the old process keeps serving.
void WorkerSlot::on_replacement_exit() {
  last_exit_ = next_->exit_description();
  log::error("replacement worker exited before it was ready",
             {{"worker", id_}, {"how", last_exit_}});
  host_->settle_exit(*next_, id_);
  next_.reset();
  phase_ = Phase::ready;
  fail_replacement("worker " + std::to_string(id_) + "'s new process exited before it was ready (" +
                   last_exit_ + "); the old process keeps serving");
}

// replacing -> starting: the replacement, not routed yet, becomes the slot's process. The exit
// still counts as a crash, so a slot whose processes keep dying ends up failed.
void WorkerSlot::on_old_exit_while_replacing(Clock::time_point now) {
  last_exit_ = current_->exit_description();
  host_->note_exit(id_, last_exit_);
  host_->settle_exit(*current_, id_);
  policy_.on_crash(now);
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
  replacement_reason_ = reason;
  policy_.reset();
  replacement_ = Replacement::in_progress;
  replacement_error_.clear();
  try {
    std::unique_ptr<SlotProcess> process = host_->spawn(id_, ++epoch_);
    if (serving()) {
      next_ = std::move(process);  // surge: the old process serves until the new one is ready
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

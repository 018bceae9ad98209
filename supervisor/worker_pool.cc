#include "supervisor/worker_pool.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "shared/log.h"

namespace wsup::supervisor {

const char* WorkerPool::name(State state) {
  switch (state) {
    case State::starting:
      return "starting";
    case State::ready:
      return "ready";
    case State::draining:
      return "draining";
    case State::restarting:
      return "restarting";
    case State::failed:
      return "failed";
    case State::stopped:
      return "stopped";
  }
  return "?";
}

WorkerPool::WorkerPool(PoolSettings settings, Dispatcher& dispatcher, Metrics& metrics)
    : settings_(std::move(settings)), dispatcher_(dispatcher), metrics_(metrics) {
  slots_.resize(settings_.workers);
  for (size_t i = 0; i < slots_.size(); ++i) {
    slots_[i].id = static_cast<int>(i);
    slots_[i].policy = RestartPolicy(settings_.restart);
  }
}

WorkerPool::~WorkerPool() {
  std::lock_guard lock(mutex_);
  for (Operation& op : operations_) op.done({false, "the supervisor is stopping"});
  // WorkerProcess destructors SIGKILL and reap; settle first so no HTTP thread waits forever.
  for (Slot& slot : slots_) {
    for (auto* p : {slot.current.get(), slot.next.get()}) {
      if (p == nullptr) continue;
      p->kill();
      while (!p->try_reap()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      settle_exit_locked(*p, slot.id);
    }
    for (Retiring& r : slot.retiring) {
      r.process->kill();
      while (!r.process->try_reap()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      settle_exit_locked(*r.process, slot.id);
    }
  }
}

std::unique_ptr<WorkerProcess> WorkerPool::spawn_locked(Slot& slot) {
  WorkerSpawnSpec spec;
  spec.worker_binary = settings_.worker_binary;
  spec.config_path = settings_.config_path;
  spec.worker_id = slot.id;
  spec.channel = settings_.channel;
  spec.channel.instance_id = settings_.instance_id;
  spec.channel.worker_id = static_cast<uint32_t>(slot.id);
  spec.channel.epoch = ++slot.epoch;
  auto process = std::make_unique<WorkerProcess>(spec, next_endpoint_++);
  EndpointId endpoint = process->endpoint();
  process->start_reader(
      [this, endpoint](ResponseEvent&& e) { deliver_to(dispatcher_, endpoint, std::move(e)); });
  return process;
}

void WorkerPool::start_all() {
  std::lock_guard lock(mutex_);
  for (Slot& slot : slots_) {
    slot.current = spawn_locked(slot);
    slot.state = State::starting;
  }
}

std::vector<int> WorkerPool::pidfds() const {
  std::lock_guard lock(mutex_);
  std::vector<int> fds;
  for (const Slot& slot : slots_) {
    if (slot.current) fds.push_back(slot.current->pidfd());
    if (slot.next) fds.push_back(slot.next->pidfd());
    for (const Retiring& r : slot.retiring) fds.push_back(r.process->pidfd());
  }
  return fds;
}

void WorkerPool::settle_exit_locked(WorkerProcess& process, int slot_id) {
  SupervisorChannel::Reaped reaped = process.reap_channel();
  // Finished answers first, so a stream whose end was written is not cut below.
  for (ResponseEvent& e : reaped.completed)
    deliver_to(dispatcher_, process.endpoint(), std::move(e));
  std::set<uint64_t> taken(reaped.taken.begin(), reaped.taken.end());
  if (!taken.empty() || !reaped.not_taken.empty())
    log::warn("worker requests settled after exit", {{"worker", slot_id},
                                                     {"failed_or_cut", taken.size()},
                                                     {"redispatched", reaped.not_taken.size()}});
  dispatcher_.endpoint_died(process.endpoint(), taken);
}

void WorkerPool::retire_locked(Slot& slot, std::unique_ptr<WorkerProcess> process,
                               Clock::time_point now) {
  dispatcher_.drain_endpoint(process->endpoint());
  slot.retiring.push_back({std::move(process), now + settings_.drain_timeout, std::nullopt});
}

void WorkerPool::tick(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  for (Slot& slot : slots_) tick_slot_locked(slot, now);
  tick_operation_locked();
  dispatcher_.set_no_worker_expected(std::all_of(
      slots_.begin(), slots_.end(), [](const Slot& s) { return s.state == State::failed; }));
}

void WorkerPool::tick_slot_locked(Slot& slot, Clock::time_point now) {
  // Old processes being drained: SIGTERM once idle (or at the drain deadline), SIGKILL after grace.
  for (auto it = slot.retiring.begin(); it != slot.retiring.end();) {
    WorkerProcess& p = *it->process;
    if (p.try_reap()) {
      log::info("worker retired",
                {{"worker", slot.id}, {"pid", p.pid()}, {"how", p.exit_description()}});
      settle_exit_locked(p, slot.id);
      it = slot.retiring.erase(it);
      continue;
    }
    if (!it->terminated_at &&
        (dispatcher_.outstanding(p.endpoint()) == 0 || now >= it->drain_deadline)) {
      p.terminate();
      it->terminated_at = now;
    } else if (it->terminated_at && now - *it->terminated_at > settings_.stop_grace) {
      p.kill();
    }
    ++it;
  }

  // The replacement being started.
  if (slot.next) {
    if (slot.next->try_reap()) {
      slot.last_exit = slot.next->exit_description();
      log::error("replacement worker exited before it was ready",
                 {{"worker", slot.id}, {"how", slot.last_exit}});
      settle_exit_locked(*slot.next, slot.id);
      slot.next.reset();
      if (slot.current && slot.current_routed) slot.state = State::ready;
      if (!operations_.empty() && operations_.front().step_started &&
          operations_.front().slots[operations_.front().index] == slot.id) {
        operations_.front().done(
            {false, operations_.front().what + " failed: worker " + std::to_string(slot.id) +
                        "'s new process exited before it was ready (" + slot.last_exit +
                        "); the old process keeps serving\n"});
        operations_.pop_front();
      }
    } else if (slot.next->ready()) {
      dispatcher_.add_endpoint(slot.next->endpoint(), slot.id, settings_.channel.slots,
                               slot.next->request_channel());
      log::info("worker ready", {{"worker", slot.id}, {"pid", slot.next->pid()}});
      if (slot.current) retire_locked(slot, std::move(slot.current), now);
      slot.current = std::move(slot.next);
      slot.current_routed = true;
      slot.state = State::ready;
      ++slot.restarts;
    } else if (now - slot.next->started_at() > settings_.ready_timeout) {
      log::error("replacement worker not ready in time; killing it", {{"worker", slot.id}});
      slot.next->kill();
    }
  }

  if (slot.current) {
    WorkerProcess& p = *slot.current;
    if (p.try_reap()) {
      restart_after_exit_locked(slot, now);
    } else if (p.channel().broken()) {
      // A ring cursor out of range or a corrupt response record: the worker cannot be trusted
      // with more requests. What it had taken gets 502 once it is reaped; the rest moves on.
      log::error("worker corrupted its channel; killing it",
                 {{"worker", slot.id}, {"pid", p.pid()}});
      p.kill();
    } else if (slot.current_routed) {
      watch_routed_locked(slot);
    } else if (p.ready()) {
      dispatcher_.add_endpoint(p.endpoint(), slot.id, settings_.channel.slots, p.request_channel());
      slot.current_routed = true;
      slot.state = State::ready;
      log::info("worker ready", {{"worker", slot.id}, {"pid", p.pid()}});
    } else if (now - p.started_at() > settings_.ready_timeout) {
      log::error("worker not ready in time; killing it", {{"worker", slot.id}});
      p.kill();
    }
  } else if (slot.state == State::restarting && now >= slot.restart_at && !stopping_) {
    try {
      slot.current = spawn_locked(slot);
      slot.state = State::starting;
      ++slot.restarts;
    } catch (const std::exception& e) {
      log::error("cannot restart worker", {{"worker", slot.id}, {"error", e.what()}});
      slot.restart_at = now + settings_.restart.max_delay;
    }
  }
}

void WorkerPool::restart_after_exit_locked(Slot& slot, Clock::time_point now) {
  WorkerProcess& p = *slot.current;
  slot.last_exit = p.exit_description();
  // One request's doing (it ran past limits.cpu_hard_ms), not the worker's: not a crash.
  const bool hard_limit = p.exit_status() == kWorkerExitHardLimit;
  exit_reasons_.push_back("worker " + std::to_string(slot.id) + ": " + slot.last_exit);
  if (exit_reasons_.size() > 16) exit_reasons_.pop_front();
  settle_exit_locked(p, slot.id);
  slot.current.reset();
  slot.current_routed = false;
  if (stopping_) {
    slot.state = State::stopped;
    return;
  }
  RestartPolicy::Decision d = hard_limit
                                  ? RestartPolicy::Decision{false, std::chrono::milliseconds(0)}
                                  : slot.policy.on_crash(now);
  if (d.give_up) {
    slot.state = State::failed;
    log::error(
        "worker failed: crashed too often, not restarting",
        {{"worker", slot.id}, {"how", slot.last_exit}, {"crashes", slot.policy.recent_crashes()}});
  } else {
    slot.state = State::restarting;
    slot.restart_at = now + d.delay;
    log::error(hard_limit ? "worker ended a request past the hard CPU limit; restarting"
                          : "worker exited; restarting",
               {{"worker", slot.id},
                {"how", slot.last_exit},
                {"delay_ms", static_cast<int64_t>(d.delay.count())}});
  }
}

void WorkerPool::watch_routed_locked(Slot& slot) {
  WorkerProcess& p = *slot.current;
  const std::chrono::milliseconds age = p.channel().heartbeat_age();
  if (p.killed_because()) return;  // killed as stuck; its exit is reaped on a coming tick
  if (age > settings_.stuck_timeout) {
    const std::string why = "no heartbeat for " + std::to_string(age.count()) +
                            " ms (stuck_worker_timeout " +
                            std::to_string(settings_.stuck_timeout.count()) + " ms)";
    log::error(
        "worker stuck: its loop has not turned; killing it, its queued requests go to "
        "other workers",
        {{"worker", slot.id}, {"pid", p.pid()}, {"why", why}});
    p.kill_because("stuck, " + why);
    return;
  }
  // On its own request (it lost an isolate to V8 and serves on with that memory mapped): a new
  // process beside it, routed once ready, and this one drained. Once per process: if the new one
  // fails to start, this one keeps serving.
  if (!slot.next && !stopping_ && slot.replaced_pid != p.pid() &&
      p.channel().worker_state() == WorkerState::replace_me) {
    slot.replaced_pid = p.pid();
    log::warn(
        "worker asks to be replaced; starting its replacement",
        {{"worker", slot.id}, {"pid", p.pid()}, {"why", p.channel().fatal_reason().value_or("")}});
    try {
      slot.next = spawn_locked(slot);
      slot.state = State::draining;
    } catch (const std::exception& e) {
      log::error("cannot start a replacement worker", {{"worker", slot.id}, {"error", e.what()}});
    }
  }
}

bool WorkerPool::unresponsive_locked(const Slot& slot) const {
  return slot.current && slot.current_routed &&
         slot.current->channel().heartbeat_age() > settings_.unresponsive_after;
}

void WorkerPool::tick_operation_locked() {
  while (!operations_.empty() && !stopping_) {
    Operation& op = operations_.front();
    if (op.index >= op.slots.size()) {
      op.done({true, op.what + ": done\n"});
      operations_.pop_front();
      continue;
    }
    Slot& slot = slots_[static_cast<size_t>(op.slots[op.index])];
    if (!op.step_started) {
      op.step_started = true;
      slot.policy.reset();
      try {
        if (slot.next) {
          // A replacement the worker asked for is already starting: this step waits for it.
        } else if (slot.current) {
          slot.next = spawn_locked(slot);  // surge: the old one serves until the new one is ready
          slot.state = State::draining;
        } else {
          slot.current = spawn_locked(slot);  // failed or waiting to restart: start it now
          slot.current_routed = false;
          slot.state = State::starting;
        }
      } catch (const std::exception& e) {
        op.done({false, op.what + " failed: " + e.what() + "\n"});
        operations_.pop_front();
        continue;
      }
      return;
    }
    bool step_done = !slot.next && slot.current && slot.current_routed;
    if (!step_done) {
      // A restarted slot that crashed again before ready ends the operation.
      if (!slot.next && !slot.current) {
        op.done({false, op.what + " failed: worker " + std::to_string(slot.id) +
                            " exited before it was ready (" + slot.last_exit + ")\n"});
        operations_.pop_front();
      }
      return;
    }
    ++op.index;
    op.step_started = false;
  }
}

void WorkerPool::restart_worker(int id, Done done) {
  std::lock_guard lock(mutex_);
  if (id < 0 || static_cast<size_t>(id) >= slots_.size()) {
    done({false, "no worker " + std::to_string(id) + " (workers are 0.." +
                     std::to_string(slots_.size() - 1) + ")\n"});
    return;
  }
  operations_.push_back({{id}, 0, false, std::move(done), "restart-worker " + std::to_string(id)});
}

void WorkerPool::replace_all(PoolSettings settings, Done done) {
  std::lock_guard lock(mutex_);
  if (settings.workers != settings_.workers)
    log::warn("reload: a new worker count takes effect at the next start",
              {{"running", settings_.workers}, {"configured", settings.workers}});
  settings.workers = settings_.workers;
  settings_ = std::move(settings);
  Operation op{{}, 0, false, std::move(done), "reload"};
  for (const Slot& slot : slots_) op.slots.push_back(slot.id);
  operations_.push_back(std::move(op));
}

void WorkerPool::stop_all() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  for (Operation& op : operations_) op.done({false, op.what + ": the supervisor is stopping\n"});
  operations_.clear();
  auto now = Clock::now();
  for (Slot& slot : slots_) {
    if (slot.next) retire_locked(slot, std::move(slot.next), now);
    if (slot.current) retire_locked(slot, std::move(slot.current), now);
    slot.current_routed = false;
    for (Retiring& r : slot.retiring) {
      r.process->terminate();
      r.terminated_at = now;
    }
    slot.state = State::stopped;
  }
}

bool WorkerPool::all_exited() const {
  std::lock_guard lock(mutex_);
  for (const Slot& slot : slots_)
    if (slot.current || slot.next || !slot.retiring.empty()) return false;
  return true;
}

size_t WorkerPool::ready_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(std::count_if(
      slots_.begin(), slots_.end(), [](const Slot& s) { return s.current && s.current_routed; }));
}

WorkerPool::Health WorkerPool::health() const {
  std::lock_guard lock(mutex_);
  Health health;
  for (const Slot& slot : slots_) {
    if (!slot.current || !slot.current_routed) continue;
    if (!unresponsive_locked(slot)) {
      ++health.responsive;
      continue;
    }
    char age[32];
    std::snprintf(age, sizeof age, "%.1f",
                  static_cast<double>(slot.current->channel().heartbeat_age().count()) / 1000.0);
    health.unresponsive.push_back("worker " + std::to_string(slot.id) + ": no heartbeat for " +
                                  age + " s");
  }
  return health;
}

size_t WorkerPool::failed_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(),
                                           [](const Slot& s) { return s.state == State::failed; }));
}

bool WorkerPool::settled() const {
  std::lock_guard lock(mutex_);
  return std::all_of(slots_.begin(), slots_.end(), [](const Slot& s) {
    return (s.current && s.current_routed) || s.state == State::failed;
  });
}

std::string WorkerPool::last_exit_reasons() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const std::string& r : exit_reasons_) out += "  " + r + "\n";
  return out;
}

std::vector<WorkerSnapshot> WorkerPool::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<WorkerSnapshot> out;
  auto now = Clock::now();
  for (const Slot& slot : slots_) {
    WorkerSnapshot w;
    w.id = slot.id;
    w.state = unresponsive_locked(slot) ? "unresponsive" : name(slot.state);
    w.restarts = slot.restarts;
    w.requests_served = metrics_.served_by(slot.id);
    if (slot.current) {
      WorkerProcess& p = *slot.current;
      w.pid = p.pid();
      w.uptime_seconds = std::chrono::duration<double>(now - p.started_at()).count();
      w.in_flight = dispatcher_.outstanding(p.endpoint());
      ChannelCounters c = p.channel().counters();
      size_t running = c.taken > c.responded ? static_cast<size_t>(c.taken - c.responded) : 0;
      size_t slots_used = p.channel().in_flight();
      w.queue_depth = slots_used > running ? slots_used - running : 0;
      w.cpu_seconds = p.cpu_seconds();
      w.rss_bytes = p.rss_bytes();
      w.heap_bytes = p.channel().heap_used_bytes();
      w.times = p.channel().worker_times();
      w.heartbeat_age_ms = static_cast<uint64_t>(p.channel().heartbeat_age().count());
    }
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace wsup::supervisor

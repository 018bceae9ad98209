#include "supervisor/worker_pool.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "shared/log.h"
#include "supervisor/worker_process.h"

namespace wsup::supervisor {

WorkerPool::WorkerPool(PoolSettings settings, Dispatcher& dispatcher, Metrics& metrics)
    : settings_(std::move(settings)), dispatcher_(dispatcher), metrics_(metrics) {
  SlotHost& host = *this;  // a private base: converted here, where it is accessible
  slots_.reserve(settings_.workers);
  for (uint32_t i = 0; i < settings_.workers; ++i)
    slots_.emplace_back(static_cast<int>(i), host, RestartPolicy(settings_.restart));
}

WorkerPool::~WorkerPool() {
  std::lock_guard lock(mutex_);
  for (Operation& op : operations_) op.done({false, "the supervisor is stopping"});
  // WorkerProcess destructors SIGKILL and reap; settle first so no HTTP thread waits forever.
  for (WorkerSlot& slot : slots_) slot.kill_all();
}

void WorkerPool::start_all() {
  std::lock_guard lock(mutex_);
  for (WorkerSlot& slot : slots_) slot.start();
}

std::vector<int> WorkerPool::pidfds() const {
  std::lock_guard lock(mutex_);
  std::vector<int> fds;
  for (const WorkerSlot& slot : slots_)
    slot.for_each_process([&](SlotProcess& p) { fds.push_back(p.pidfd()); });
  return fds;
}

void WorkerPool::tick(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  for (WorkerSlot& slot : slots_) slot.tick(now);
  tick_operation_locked(now);
  dispatcher_.set_no_worker_expected(std::all_of(slots_.begin(), slots_.end(), [](auto& s) {
    return s.phase() == WorkerSlot::Phase::failed;
  }));
}

// The front operation replaces its slots one at a time: each step begins a slot's replacement
// and ends when that slot serves from its new process (or the replacement failed).
void WorkerPool::tick_operation_locked(Clock::time_point now) {
  while (!operations_.empty() && !stopping_) {
    Operation& op = operations_.front();
    if (op.index >= op.slots.size()) {
      finish_operation_locked(true, op.what + ": done\n");
      continue;
    }
    WorkerSlot& slot = slots_[static_cast<size_t>(op.slots[op.index])];
    if (!op.step_started) {
      op.step_started = true;
      if (slot.begin_replacement(now, op.reason)) return;
    }
    switch (slot.replacement()) {
      case WorkerSlot::Replacement::in_progress:
        return;
      case WorkerSlot::Replacement::failed:
        finish_operation_locked(false, op.what + " failed: " + slot.replacement_error() + "\n");
        slot.forget_replacement();
        continue;
      case WorkerSlot::Replacement::done:
      case WorkerSlot::Replacement::none:
        slot.forget_replacement();
        ++op.index;
        op.step_started = false;
        continue;
    }
  }
}

void WorkerPool::finish_operation_locked(bool ok, const std::string& message) {
  Operation op = std::move(operations_.front());
  operations_.pop_front();
  op.done({ok, message});
}

void WorkerPool::restart_worker(int id, Done done) {
  std::lock_guard lock(mutex_);
  if (id < 0 || static_cast<size_t>(id) >= slots_.size()) {
    done({false, "no worker " + std::to_string(id) + " (workers are 0.." +
                     std::to_string(slots_.size() - 1) + ")\n"});
    return;
  }
  operations_.push_back({{id},
                         0,
                         false,
                         std::move(done),
                         "restart-worker " + std::to_string(id),
                         RestartReason::restart});
}

void WorkerPool::replace_all(PoolSettings settings, Done done) {
  std::lock_guard lock(mutex_);
  if (settings.workers != settings_.workers)
    log::warn("reload: a new worker count takes effect at the next start",
              {{"running", settings_.workers}, {"configured", settings.workers}});
  settings.workers = settings_.workers;
  settings_ = std::move(settings);
  Operation op{{}, 0, false, std::move(done), "reload", RestartReason::reload};
  for (const WorkerSlot& slot : slots_) op.slots.push_back(slot.id());
  operations_.push_back(std::move(op));
}

void WorkerPool::begin_drain() {
  std::lock_guard lock(mutex_);
  for (WorkerSlot& slot : slots_) slot.begin_drain();
}

void WorkerPool::stop_all() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  for (Operation& op : operations_) op.done({false, op.what + ": the supervisor is stopping\n"});
  operations_.clear();
  const auto now = Clock::now();
  for (WorkerSlot& slot : slots_) slot.stop(now);
}

bool WorkerPool::all_exited() const {
  std::lock_guard lock(mutex_);
  return std::none_of(slots_.begin(), slots_.end(), [](auto& s) { return s.has_processes(); });
}

size_t WorkerPool::ready_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(
      std::count_if(slots_.begin(), slots_.end(), [](auto& s) { return s.serving(); }));
}

WorkerPool::Health WorkerPool::health() const {
  std::lock_guard lock(mutex_);
  Health health;
  for (const WorkerSlot& slot : slots_) {
    if (!slot.serving()) continue;
    if (!slot.unresponsive()) {
      ++health.responsive;
      continue;
    }
    char age[32];
    std::snprintf(age, sizeof age, "%.1f",
                  static_cast<double>(slot.current()->heartbeat_age().count()) / 1000.0);
    health.unresponsive.push_back("worker " + std::to_string(slot.id()) + ": no heartbeat for " +
                                  age + " s");
  }
  return health;
}

bool WorkerPool::settled() const {
  std::lock_guard lock(mutex_);
  return std::all_of(slots_.begin(), slots_.end(),
                     [](auto& s) { return s.serving() || s.phase() == WorkerSlot::Phase::failed; });
}

std::string WorkerPool::last_exit_reasons() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const std::string& r : exit_reasons_) out += "  " + r + "\n";
  return out;
}

void WorkerPool::signal_all(int signal) const {
  std::lock_guard lock(mutex_);
  for (const WorkerSlot& slot : slots_)
    slot.for_each_process([signal](SlotProcess& p) {
      if (p.pidfd() >= 0) ::syscall(SYS_pidfd_send_signal, p.pidfd(), signal, nullptr, 0);
    });
}

std::vector<WorkerSnapshot> WorkerPool::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<WorkerSnapshot> out;
  const auto now = Clock::now();
  for (const WorkerSlot& slot : slots_) {
    WorkerSnapshot w;
    w.id = slot.id();
    w.state = slot.unresponsive() ? "unresponsive" : WorkerSlot::name(slot.phase());
    w.restarts = slot.restarts();
    w.restarts_by_reason = slot.restarts_by_reason();
    w.requests_served = metrics_.served_by(slot.id());
    if (SlotProcess* p = slot.current()) {
      p->describe(w, now);
      w.in_flight = dispatcher_.outstanding(p->endpoint());
    }
    out.push_back(std::move(w));
  }
  return out;
}

// SlotHost

std::unique_ptr<SlotProcess> WorkerPool::spawn(int id, uint32_t epoch) {
  WorkerSpawnSpec spec;
  spec.worker_binary = settings_.worker_binary;
  spec.config_path = settings_.config_path;
  spec.worker_id = id;
  spec.channel = settings_.channel;
  spec.channel.instance_id = settings_.instance_id;
  spec.channel.worker_id = static_cast<uint32_t>(id);
  spec.channel.epoch = epoch;
  auto process = std::make_unique<WorkerProcess>(spec, next_endpoint_++);
  EndpointId endpoint = process->endpoint();
  process->start_reader(
      [this, endpoint](ResponseEvent&& e) { deliver_to(dispatcher_, endpoint, std::move(e)); });
  return process;
}

void WorkerPool::route(SlotProcess& process, int id) {
  dispatcher_.add_endpoint(process.endpoint(), id, settings_.channel.slots,
                           process.request_channel());
}

void WorkerPool::stop_routing(SlotProcess& process) {
  dispatcher_.drain_endpoint(process.endpoint());
}

size_t WorkerPool::outstanding(const SlotProcess& process) const {
  return dispatcher_.outstanding(process.endpoint());
}

void WorkerPool::settle_exit(SlotProcess& process, int id) {
  SupervisorChannel::Reaped reaped = process.reap_channel();
  // Finished answers first, so a stream whose end was written is not cut below.
  for (ResponseEvent& e : reaped.completed)
    deliver_to(dispatcher_, process.endpoint(), std::move(e));
  std::set<uint64_t> taken(reaped.taken.begin(), reaped.taken.end());
  if (!taken.empty() || !reaped.not_taken.empty())
    log::warn("worker requests settled after exit", {{"worker", id},
                                                     {"failed_or_cut", taken.size()},
                                                     {"redispatched", reaped.not_taken.size()}});
  dispatcher_.endpoint_died(process.endpoint(), taken);
}

void WorkerPool::note_exit(int id, const std::string& how) {
  exit_reasons_.push_back("worker " + std::to_string(id) + ": " + how);
  if (exit_reasons_.size() > 16) exit_reasons_.pop_front();
}

SlotTimings WorkerPool::timings() const {
  return {settings_.ready_timeout,     settings_.drain_timeout,      settings_.stop_grace,
          settings_.restart.max_delay, settings_.unresponsive_after, settings_.stuck_timeout};
}

}  // namespace wsup::supervisor

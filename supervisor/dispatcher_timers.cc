// The dispatcher's timer thread: wall-time deadlines and steal-back checks of pending requests.
// One thread for all requests instead of a timed wait per request: it sleeps until the earliest
// due check, and is woken only when a request files a check earlier than that.
#include <algorithm>

#include "supervisor/dispatcher.h"
#include "supervisor/dispatcher_pending.h"

namespace wsup::supervisor {

void Dispatcher::schedule_locked(Pending& pending) {
  Clock::time_point due = pending.deadline;
  if (pending.may_steal && pending.endpoint) due = std::min(due, pending.next_steal_check);
  if (pending.timer) {
    if ((*pending.timer)->first == due) return;
    timers_.erase(*pending.timer);
  }
  pending.timer = timers_.emplace(due, pending.request.id);
  if (due < timer_wakes_at_) {
    timer_wakes_at_ = Clock::time_point::min();  // one notification is enough
    timer_cv_.notify_one();
  }
}

void Dispatcher::on_timer_locked(const std::shared_ptr<Pending>& pending, Clock::time_point now) {
  if (now >= pending->deadline) {
    withdraw_locked(pending, Outcome::timed_out);
    return;
  }
  if (pending->may_steal && pending->endpoint && now >= pending->next_steal_check) {
    pending->may_steal = steal_back_locked(pending);
    // Every kStealCheckFirst for the first few checks (when it matters), then backing off: a
    // long-running request must not be looked at every millisecond.
    if (++pending->steal_checks >= kStealChecksAtFirstInterval)
      pending->steal_interval = std::min(2 * pending->steal_interval, kStealCheckMax);
    pending->next_steal_check = now + pending->steal_interval;
  }
  if (pending_.count(pending->request.id) != 0) schedule_locked(*pending);
}

void Dispatcher::run_timers() {
  std::vector<Settled> settled;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const Clock::time_point now = Clock::now();
    if (timers_.empty() || timers_.begin()->first > now) {
      timer_wakes_at_ = timers_.empty() ? Clock::time_point::max() : timers_.begin()->first;
      if (timers_.empty())
        timer_cv_.wait(lock);
      else
        timer_cv_.wait_until(lock, timer_wakes_at_);
      timer_wakes_at_ = Clock::time_point::min();  // awake: nobody needs to notify
      continue;
    }
    // Everything due within kTimerSlack is handled in this pass, as if it were due now: under
    // load the thread wakes at most once per kTimerSlack instead of once per request.
    const Clock::time_point horizon = now + kTimerSlack;
    while (!timers_.empty() && timers_.begin()->first <= horizon) {
      auto p = pending_.find(timers_.begin()->second);
      timers_.erase(timers_.begin());
      if (p == pending_.end()) continue;  // cannot happen: settling removes the entry
      std::shared_ptr<Pending> pending = p->second;
      pending->timer.reset();
      on_timer_locked(pending, horizon);  // reschedules past the horizon, or settles
    }
    if (settled_.empty()) continue;
    settled.swap(settled_);
    lock.unlock();
    run_settled(settled);
    lock.lock();
  }
}

}  // namespace wsup::supervisor

#include "supervisor/dispatcher.h"

#include <algorithm>
#include <utility>

namespace wsup::supervisor {

std::optional<size_t> pick_least_outstanding(std::span<const EndpointLoad> endpoints) {
  std::optional<size_t> best;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const EndpointLoad& e = endpoints[i];
    if (!e.routable || e.outstanding >= e.capacity) continue;
    if (!best) {
      best = i;
      continue;
    }
    const EndpointLoad& b = endpoints[*best];
    if (e.busy != b.busy ? !e.busy : e.outstanding < b.outstanding) best = i;
  }
  return best;
}

namespace {
DispatchResult refused(Outcome outcome) {
  DispatchResult result;
  result.outcome = outcome;
  return result;
}
}  // namespace

struct Dispatcher::Pending {
  explicit Pending(HttpRequest r) : request(std::move(r)) {}
  HttpRequest request;
  std::condition_variable settled_cv;
  bool settled = false;
  std::optional<EndpointId> endpoint;  // set while a worker's ring holds it
  DispatchResult result;
};

void Dispatcher::add_endpoint(EndpointId id, int worker, size_t capacity,
                              std::shared_ptr<RequestChannel> channel) {
  std::lock_guard lock(mutex_);
  Endpoint& e = endpoints_[id];
  e.worker = worker;
  e.capacity = capacity;
  e.routable = true;
  e.channel = std::move(channel);
  pump_overflow_locked();
}

void Dispatcher::drain_endpoint(EndpointId id) {
  std::lock_guard lock(mutex_);
  if (auto it = endpoints_.find(id); it != endpoints_.end()) it->second.routable = false;
}

void Dispatcher::endpoint_died(EndpointId id, const std::set<uint64_t>& taken) {
  std::lock_guard lock(mutex_);
  auto it = endpoints_.find(id);
  if (it == endpoints_.end()) return;
  std::set<uint64_t> held = std::move(it->second.in_flight);
  int worker = it->second.worker;
  endpoints_.erase(it);
  // Walk backwards so that re-queued requests keep their arrival order at the queue's front.
  for (auto rid = held.rbegin(); rid != held.rend(); ++rid) {
    auto p = pending_.find(*rid);
    if (p == pending_.end() || p->second->settled) continue;  // abandoned by its client
    if (taken.count(*rid) != 0) {
      settle_locked(*p->second, Outcome::worker_died, worker);
    } else {
      p->second->endpoint.reset();
      overflow_.push_front(p->second);
    }
  }
  pump_overflow_locked();
}

size_t Dispatcher::outstanding(EndpointId id) const {
  std::lock_guard lock(mutex_);
  auto it = endpoints_.find(id);
  return it == endpoints_.end() ? 0 : it->second.in_flight.size();
}

size_t Dispatcher::total_pending() const {
  std::lock_guard lock(mutex_);
  size_t n = overflow_.size();
  for (const auto& [id, e] : endpoints_) n += e.in_flight.size();
  return n;
}

size_t Dispatcher::routable_count() const {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const auto& [id, e] : endpoints_) n += e.routable ? 1 : 0;
  return n;
}

size_t Dispatcher::overflow_depth() const {
  std::lock_guard lock(mutex_);
  return overflow_.size();
}

void Dispatcher::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
}

void Dispatcher::set_no_worker_expected(bool value) {
  std::lock_guard lock(mutex_);
  no_worker_expected_ = value;
}

void Dispatcher::abandon_all() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  overflow_.clear();
  for (auto& [id, pending] : pending_)
    if (!pending->settled) settle_locked(*pending, Outcome::shutting_down, -1);
}

void Dispatcher::complete(EndpointId id, HttpResponse response) {
  std::lock_guard lock(mutex_);
  auto e = endpoints_.find(id);
  if (e == endpoints_.end() || e->second.in_flight.erase(response.id) == 0) return;  // stale
  auto p = pending_.find(response.id);
  if (p != pending_.end() && !p->second->settled && p->second->endpoint == id) {
    p->second->result.answered = std::chrono::steady_clock::now();
    p->second->result.response = std::move(response);
    settle_locked(*p->second, Outcome::response, e->second.worker);
  }
  pump_overflow_locked();
}

DispatchResult Dispatcher::handle(HttpRequest request,
                                  std::chrono::steady_clock::time_point deadline,
                                  const std::function<bool()>& client_gone) {
  std::unique_lock lock(mutex_);
  if (closed_) return refused(Outcome::shutting_down);
  if (no_worker_expected_ && endpoints_.empty()) return refused(Outcome::no_worker);
  auto pending = std::make_shared<Pending>(std::move(request));
  const uint64_t rid = pending->request.id;
  SubmitResult submitted = submit_locked(pending);
  if (submitted == SubmitResult::too_large) return refused(Outcome::too_large);
  if (submitted != SubmitResult::accepted) {
    if (overflow_.size() >= options_.overflow_limit) return refused(Outcome::overloaded);
    overflow_.push_back(pending);
  }
  pending_[rid] = pending;
  bool gone = false;
  auto now = std::chrono::steady_clock::now();
  auto next_client_check = now + kClientCheckInterval;
  std::chrono::milliseconds steal_interval = kStealCheckFirst;
  auto next_steal_check = now + steal_interval;
  int steal_checks = 0;
  bool may_steal = true;  // until its worker is known to have taken it
  for (;;) {
    auto until = deadline;
    if (client_gone) until = std::min(until, next_client_check);
    if (may_steal && pending->endpoint) until = std::min(until, next_steal_check);
    pending->settled_cv.wait_until(lock, until, [&] { return pending->settled; });
    now = std::chrono::steady_clock::now();
    if (pending->settled || now >= deadline) break;
    if (may_steal && pending->endpoint && now >= next_steal_check) {
      may_steal = steal_back_locked(pending);
      // Every kStealCheckFirst for the first few checks (when it matters), then backing off: a
      // long-running request must not wake its thread every millisecond.
      if (++steal_checks >= kStealChecksAtFirstInterval)
        steal_interval = std::min(2 * steal_interval, kStealCheckMax);
      next_steal_check = now + steal_interval;
    }
    if (client_gone && now >= next_client_check) {
      lock.unlock();  // the check makes system calls; responses must not wait for it
      gone = client_gone();
      lock.lock();
      if (gone) break;
      next_client_check = std::chrono::steady_clock::now() + kClientCheckInterval;
    }
  }
  if (!pending->settled) {
    int worker = -1;
    if (pending->endpoint) {
      auto e = endpoints_.find(*pending->endpoint);
      if (e != endpoints_.end()) {
        worker = e->second.worker;
        // Withdrawn before the worker took it: the slot is free again. Otherwise the worker still
        // runs it; its late response is dropped by complete().
        if (e->second.channel->try_cancel(rid)) e->second.in_flight.erase(rid);
      }
    } else {
      std::erase(overflow_, pending);
    }
    bool nothing_routable = worker < 0 && endpoints_.empty();
    Outcome outcome = gone               ? Outcome::client_gone
                      : nothing_routable ? Outcome::no_worker
                                         : Outcome::timed_out;
    settle_locked(*pending, outcome, worker);
    pump_overflow_locked();
  }
  pending_.erase(rid);
  return std::move(pending->result);
}

bool Dispatcher::steal_back_locked(const std::shared_ptr<Pending>& pending) {
  auto e = endpoints_.find(*pending->endpoint);
  if (e == endpoints_.end()) return true;
  const std::chrono::nanoseconds away = e->second.channel->busy_for();
  if (away < kBusyAfter) return true;
  bool elsewhere = std::any_of(endpoints_.begin(), endpoints_.end(), [&](const auto& other) {
    const Endpoint& o = other.second;
    return other.first != e->first && o.routable && o.in_flight.size() < o.capacity &&
           stuck_compared_to(away, o.channel->busy_for());
  });
  if (!elsewhere) return true;
  const uint64_t rid = pending->request.id;
  if (!e->second.channel->try_cancel(rid)) return false;  // taken: it runs there
  e->second.in_flight.erase(rid);
  pending->endpoint.reset();
  // At the queue's front: it has waited longest. submit_locked prefers the worker that is free.
  overflow_.push_front(pending);
  pump_overflow_locked();
  return true;
}

SubmitResult Dispatcher::submit_locked(const std::shared_ptr<Pending>& pending) {
  std::vector<EndpointLoad> loads;
  std::vector<Endpoint*> by_index;
  std::vector<std::chrono::nanoseconds> away;
  auto least_away = std::chrono::nanoseconds::max();
  for (auto& [id, e] : endpoints_) {
    away.push_back(e.routable ? e.channel->busy_for() : std::chrono::nanoseconds::max());
    least_away = std::min(least_away, away.back());
    loads.push_back({id, e.routable, e.in_flight.size(), e.capacity, false});
    by_index.push_back(&e);
  }
  for (size_t i = 0; i < loads.size(); ++i)
    loads[i].busy = loads[i].routable && stuck_compared_to(away[i], least_away);
  bool any_too_large = false;
  bool any_other = false;  // full, at capacity or closed: waiting may help
  for (const EndpointLoad& l : loads) any_other |= l.routable && l.outstanding >= l.capacity;
  while (auto index = pick_least_outstanding(loads)) {
    Endpoint& e = *by_index[*index];
    switch (e.channel->try_submit(pending->request)) {
      case SubmitResult::accepted:
        e.in_flight.insert(pending->request.id);
        pending->endpoint = loads[*index].id;
        pending->result.submitted = std::chrono::steady_clock::now();
        return SubmitResult::accepted;
      case SubmitResult::too_large:
        any_too_large = true;
        break;
      case SubmitResult::full:
      case SubmitResult::closed:
        any_other = true;
        break;
    }
    loads[*index].routable = false;  // not this one again for this request
  }
  // Only when every routable worker refused it as too large can it never be served.
  return any_too_large && !any_other ? SubmitResult::too_large : SubmitResult::full;
}

void Dispatcher::pump_overflow_locked() {
  while (!overflow_.empty()) {
    std::shared_ptr<Pending> next = overflow_.front();
    SubmitResult r = submit_locked(next);
    if (r == SubmitResult::full) return;
    overflow_.pop_front();
    if (r == SubmitResult::too_large) settle_locked(*next, Outcome::too_large, -1);
  }
}

void Dispatcher::settle_locked(Pending& pending, Outcome outcome, int worker) {
  pending.settled = true;
  pending.endpoint.reset();
  pending.result.outcome = outcome;
  pending.result.worker = worker;
  pending.settled_cv.notify_one();
}

}  // namespace wsup::supervisor

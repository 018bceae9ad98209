#include "supervisor/dispatcher.h"

#include <algorithm>
#include <utility>

#include "supervisor/dispatcher_pending.h"

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

Dispatcher::Dispatcher(Options options) : options_(options) {
  timer_thread_ = std::thread([this] { run_timers(); });
}

Dispatcher::~Dispatcher() {
  abandon_all();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  timer_cv_.notify_one();
  timer_thread_.join();
}

void Dispatcher::run_settled(std::vector<Settled>& settled) {
  for (Settled& s : settled) s.done(std::move(s.result));
  settled.clear();
}

void Dispatcher::add_endpoint(EndpointId id, int worker, size_t capacity,
                              std::shared_ptr<RequestChannel> channel) {
  std::vector<Settled> settled;
  {
    std::lock_guard lock(mutex_);
    Endpoint& e = endpoints_[id];
    e.worker = worker;
    e.capacity = capacity;
    e.routable = true;
    e.channel = std::move(channel);
    pump_overflow_locked();
    settled.swap(settled_);
  }
  run_settled(settled);
}

void Dispatcher::drain_endpoint(EndpointId id) {
  std::lock_guard lock(mutex_);
  if (auto it = endpoints_.find(id); it != endpoints_.end()) it->second.routable = false;
}

void Dispatcher::endpoint_died(EndpointId id, const std::set<uint64_t>& taken) {
  std::vector<Settled> settled;
  std::vector<std::shared_ptr<ResponseStream>> cut;
  {
    std::lock_guard lock(mutex_);
    auto it = endpoints_.find(id);
    if (it == endpoints_.end()) return;
    take_streams(it->second, cut);  // settled already: their clients see the body break off
    std::set<uint64_t> held = std::move(it->second.in_flight);
    int worker = it->second.worker;
    endpoints_.erase(it);
    // Walk backwards so that re-queued requests keep their arrival order at the queue's front.
    for (auto rid = held.rbegin(); rid != held.rend(); ++rid) {
      auto p = pending_.find(*rid);
      if (p == pending_.end()) continue;  // settled already (timed out, client gone)
      std::shared_ptr<Pending> pending = p->second;
      pending->endpoint.reset();
      if (taken.count(*rid) != 0) {
        settle_locked(*pending, Outcome::worker_died, worker);
      } else {
        overflow_.push_front(pending);
        schedule_locked(*pending);  // no steal-back checks while it waits in the queue
      }
    }
    pump_overflow_locked();
    settled.swap(settled_);
  }
  run_settled(settled);
  for (auto& stream : cut) stream->finish(true, "worker_died");
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

size_t Dispatcher::overflow_depth() const {
  std::lock_guard lock(mutex_);
  return overflow_.size();
}

void Dispatcher::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
}

void Dispatcher::set_no_worker_expected(bool value) {
  std::vector<Settled> settled;
  {
    std::lock_guard lock(mutex_);
    no_worker_expected_ = value;
    // What waits for a worker (the last one's untaken requests, re-queued when it died) would
    // wait its whole wall time for none: answered now, as new requests are.
    if (value && endpoints_.empty()) {
      while (!overflow_.empty()) {
        std::shared_ptr<Pending> pending = std::move(overflow_.front());
        overflow_.pop_front();
        settle_locked(*pending, Outcome::no_worker, -1);
      }
    }
    settled.swap(settled_);
  }
  run_settled(settled);
}

void Dispatcher::abandon_all() {
  std::vector<Settled> settled;
  std::vector<std::shared_ptr<ResponseStream>> cut;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    overflow_.clear();
    std::vector<std::shared_ptr<Pending>> all;
    for (auto& [id, pending] : pending_) all.push_back(pending);
    for (auto& pending : all) settle_locked(*pending, Outcome::shutting_down, -1);
    for (auto& [id, e] : endpoints_) {
      // Their workers are stopped next: tell them now, the ends they answer with are dropped.
      for (auto& [rid, stream] : e.streams) e.channel->abandon(rid);
      take_streams(e, cut);
    }
    settled.swap(settled_);
  }
  run_settled(settled);
  for (auto& stream : cut) stream->finish(true, "shutdown");
}

void Dispatcher::complete(EndpointId id, HttpResponse response) {
  const Clock::time_point answered = Clock::now();
  std::vector<Settled> settled;
  {
    std::lock_guard lock(mutex_);
    auto e = endpoints_.find(id);
    if (e == endpoints_.end() || e->second.in_flight.erase(response.id) == 0) return;  // stale
    auto p = pending_.find(response.id);
    if (p != pending_.end() && p->second->endpoint == id) {
      std::shared_ptr<Pending> pending = p->second;  // settling erases the map's reference
      pending->result.answered = answered;
      pending->result.response = std::move(response);
      settle_locked(*pending, Outcome::response, e->second.worker);
    }
    pump_overflow_locked();
    settled.swap(settled_);
  }
  run_settled(settled);
}

void Dispatcher::dispatch(HttpRequest request, Clock::time_point deadline, DispatchDone on_done) {
  DispatchResult refused;
  {
    std::lock_guard lock(mutex_);
    if (closed_) {
      refused.outcome = Outcome::shutting_down;
    } else if (no_worker_expected_ && endpoints_.empty()) {
      refused.outcome = Outcome::no_worker;
    } else {
      const uint64_t rid = request.id;
      auto pending = std::make_shared<Pending>(std::move(request), deadline, std::move(on_done));
      SubmitResult submitted = submit_locked(*pending);
      if (submitted == SubmitResult::too_large) {
        refused.outcome = Outcome::too_large;
      } else if (submitted != SubmitResult::accepted &&
                 overflow_.size() >= options_.overflow_limit) {
        refused.outcome = Outcome::overloaded;
      } else {
        if (submitted != SubmitResult::accepted) overflow_.push_back(pending);
        pending_[rid] = pending;
        schedule_locked(*pending);
        return;
      }
      on_done = std::move(pending->on_done);
    }
  }
  on_done(std::move(refused));
}

void Dispatcher::cancel(uint64_t request_id) {
  std::vector<Settled> settled;
  {
    std::lock_guard lock(mutex_);
    auto p = pending_.find(request_id);
    if (p == pending_.end()) return;
    std::shared_ptr<Pending> pending = p->second;  // settling erases the map's reference
    withdraw_locked(pending, Outcome::client_gone);
    settled.swap(settled_);
  }
  run_settled(settled);
}

void Dispatcher::withdraw_locked(const std::shared_ptr<Pending>& pending, Outcome outcome) {
  const uint64_t rid = pending->request.id;
  int worker = -1;
  if (pending->endpoint) {
    auto e = endpoints_.find(*pending->endpoint);
    if (e != endpoints_.end()) {
      worker = e->second.worker;
      // Withdrawn before the worker took it: the slot is free again. Otherwise the worker is
      // told to stop; whatever it still answers is dropped by complete() or end_stream().
      if (e->second.channel->abandon(rid)) e->second.in_flight.erase(rid);
    }
  } else {
    std::erase(overflow_, pending);
  }
  if (outcome == Outcome::timed_out && worker < 0 && endpoints_.empty())
    outcome = Outcome::no_worker;
  settle_locked(*pending, outcome, worker);
  pump_overflow_locked();
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

SubmitResult Dispatcher::submit_locked(Pending& pending) {
  // Scratch space kept between calls (the lock is held): no allocation per request.
  std::vector<EndpointLoad>& loads = scratch_loads_;
  std::vector<Endpoint*>& by_index = scratch_endpoints_;
  std::vector<std::chrono::nanoseconds>& away = scratch_away_;
  loads.clear();
  by_index.clear();
  away.clear();
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
    switch (e.channel->try_submit(pending.request)) {
      case SubmitResult::accepted:
        e.in_flight.insert(pending.request.id);
        pending.endpoint = loads[*index].id;
        pending.result.submitted = Clock::now();
        pending.next_steal_check = pending.result.submitted + pending.steal_interval;
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
    SubmitResult r = submit_locked(*next);
    if (r == SubmitResult::full) return;
    overflow_.pop_front();
    if (r == SubmitResult::too_large)
      settle_locked(*next, Outcome::too_large, -1);
    else
      schedule_locked(*next);  // its steal-back checks start now
  }
}

void Dispatcher::settle_locked(Pending& pending, Outcome outcome, int worker) {
  pending.endpoint.reset();
  if (pending.timer) {
    timers_.erase(*pending.timer);
    pending.timer.reset();
  }
  pending.result.outcome = outcome;
  pending.result.worker = worker;
  settled_.push_back({std::move(pending.on_done), std::move(pending.result)});
  const uint64_t rid = pending.request.id;
  pending_.erase(rid);  // may drop the last reference to `pending`: its last use
}

}  // namespace wsup::supervisor

// One request the dispatcher holds until it is settled: shared by dispatcher.cc and
// dispatcher_timers.cc, private to them. Every field is guarded by the dispatcher's mutex.
#pragma once

#include <utility>

#include "supervisor/dispatcher.h"

namespace wsup::supervisor {

struct Dispatcher::Pending {
  Pending(HttpRequest r, Clock::time_point d, DispatchDone done)
      : request(std::move(r)), deadline(d), on_done(std::move(done)) {}
  HttpRequest request;
  const Clock::time_point deadline;
  DispatchDone on_done;                // moved out when settled
  std::optional<EndpointId> endpoint;  // set while a worker's ring holds it
  DispatchResult result;
  // Steal-back checks: due at next_steal_check while a ring holds it and may_steal.
  bool may_steal = true;  // until its worker is known to have taken it
  std::chrono::milliseconds steal_interval = kStealCheckFirst;
  int steal_checks = 0;
  Clock::time_point next_steal_check;
  std::optional<TimerQueue::iterator> timer;  // its entry in timers_
};

}  // namespace wsup::supervisor

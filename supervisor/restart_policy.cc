#include "supervisor/restart_policy.h"

#include <algorithm>

namespace wsup::supervisor {

RestartPolicy::Decision RestartPolicy::on_crash(Clock::time_point now) {
  while (!crashes_.empty() && now - crashes_.front() > options_.window) crashes_.pop_front();
  crashes_.push_back(now);
  Decision decision;
  if (crashes_.size() >= options_.max_crashes) {
    decision.give_up = true;
    return decision;
  }
  // 1st crash in the window -> initial_delay, then doubling, capped.
  auto delay = options_.initial_delay;
  for (size_t i = 1; i < crashes_.size() && delay < options_.max_delay; ++i) delay *= 2;
  decision.delay = std::min(delay, options_.max_delay);
  return decision;
}

}  // namespace wsup::supervisor

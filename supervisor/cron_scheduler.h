// Which cron triggers are due, and the clock they are judged by.
//
// One trigger per (script, cron) of the running config, each with its next tick. The supervisor's
// main loop asks for the due ones on every pass (every 20 ms at most) and hands each to
// ScheduledRuns, which runs it on one worker. Ticks are computed forward from the moment a trigger
// appears (start or reload): a tick that passed while the cluster was down is not replayed, and a
// loop that stalled across several ticks of one trigger fires it once, for the first of them.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/cluster_config.h"
#include "config/cron.h"

namespace wsup::supervisor {

// The time cron triggers follow: the system clock (UTC). For tests only, the environment
// variable WSUP_TEST_CRON_SPEEDUP=N makes it run N times faster from the moment it is made (30:
// an every-minute cron ticks every 2 s), so a test sees ticks of a real schedule without waiting
// minutes; the supervisor logs a warning when it is set.
class CronClock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  CronClock();
  explicit CronClock(double speedup);
  time_point now() const;
  double speedup() const { return speedup_; }

 private:
  double speedup_ = 1;
  time_point origin_;
  std::chrono::steady_clock::time_point origin_steady_;
};

struct CronTick {
  std::string script;
  std::string cron;  // as written in cluster.yaml
  std::chrono::sys_seconds time;
};

class CronScheduler {
 public:
  // Takes the triggers of `config`'s scripts. One that was already there (same script, same
  // cron) keeps its next tick, so a reload neither repeats nor skips it; a new one ticks first
  // after `now`.
  void set_config(const config::ClusterConfig& config, CronClock::time_point now);
  // The ticks due at `now`, each once; every trigger that fired moves to its first tick after now.
  std::vector<CronTick> take_due(CronClock::time_point now);
  size_t size() const { return triggers_.size(); }

 private:
  struct Trigger {
    std::string script;
    config::CronSchedule schedule;
    std::chrono::sys_seconds next;
  };
  std::vector<Trigger> triggers_;
};

}  // namespace wsup::supervisor

#include "supervisor/cron_scheduler.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "shared/log.h"

namespace wsup::supervisor {
namespace {

double speedup_from_environment() {
  const char* text = std::getenv("WSUP_TEST_CRON_SPEEDUP");
  if (text == nullptr || *text == '\0') return 1;
  char* end = nullptr;
  double value = std::strtod(text, &end);
  return *end == '\0' && value >= 1 && value <= 3600 ? value : 1;
}

std::chrono::sys_seconds whole_seconds(CronClock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t);
}

}  // namespace

CronClock::CronClock() : CronClock(speedup_from_environment()) {}

CronClock::CronClock(double speedup)
    : speedup_(speedup),
      origin_(std::chrono::system_clock::now()),
      origin_steady_(std::chrono::steady_clock::now()) {}

CronClock::time_point CronClock::now() const {
  if (speedup_ == 1) return std::chrono::system_clock::now();
  auto elapsed = std::chrono::steady_clock::now() - origin_steady_;
  return origin_ +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(elapsed * speedup_);
}

void CronScheduler::set_config(const config::ClusterConfig& config, CronClock::time_point now) {
  std::vector<Trigger> next;
  for (const config::Script& script : config.scripts) {
    for (const std::string& cron : script.crons) {
      auto kept = std::find_if(triggers_.begin(), triggers_.end(), [&](const Trigger& t) {
        return t.script == script.name && t.schedule.text == cron;
      });
      if (kept != triggers_.end()) {
        next.push_back(std::move(*kept));
        continue;
      }
      // The config's readers check every cron; one that slipped through (a reader that forgot)
      // is logged and left out rather than taking the supervisor down.
      config::CronError error;
      std::optional<config::CronSchedule> schedule = config::parse_cron(cron, error);
      std::optional<std::chrono::sys_seconds> first;
      if (schedule) first = config::next_cron_time(*schedule, whole_seconds(now));
      if (!first) {
        log::error("cron trigger left out: not a valid cron expression",
                   {{"script", script.name}, {"cron", cron}, {"error", error.message}});
        continue;
      }
      next.push_back(Trigger{script.name, std::move(*schedule), *first});
    }
  }
  triggers_ = std::move(next);
}

std::vector<CronTick> CronScheduler::take_due(CronClock::time_point now) {
  std::vector<CronTick> due;
  for (Trigger& t : triggers_) {
    if (t.next > now) continue;
    due.push_back(CronTick{t.script, t.schedule.text, t.next});
    // A parsed schedule always has a next tick (parse_cron refuses those that never fire).
    t.next = config::next_cron_time(t.schedule, whole_seconds(now))
                 .value_or(std::chrono::sys_seconds::max());
  }
  return due;
}

}  // namespace wsup::supervisor

#include "supervisor/scheduled_runs.h"

#include <chrono>
#include <future>
#include <memory>
#include <utility>

#include "config/cron.h"
#include "shared/log.h"
#include "supervisor/request_ids.h"

namespace wsup::supervisor {
namespace {

// The first line of a worker's error answer ("Internal Server Error: the worker script threw
// ..."), at most 300 bytes: it goes into a log line and the `wsup trigger` reply.
std::string first_line(const std::string& body) {
  std::string line = body.substr(0, body.find('\n'));
  if (line.size() > 300) line.resize(300);
  return line;
}

}  // namespace

ScheduledRunResult classify_scheduled_run(const DispatchResult& result) {
  ScheduledRunResult r;
  r.worker = result.worker;
  switch (result.outcome) {
    case Outcome::response: {
      const HttpResponse& response = result.response;
      r.detail = response.status == 200 ? "" : first_line(response.body);
      if (response.status == 200)
        r.outcome = "ok";
      else if (response.status == 504)
        r.outcome = "timed_out";
      else if (response.status == 503 && r.detail.find("CPU time") != std::string::npos)
        r.outcome = "exceeded_cpu";
      else if (response.status == 503 && r.detail.find("memory") != std::string::npos)
        r.outcome = "exceeded_memory";
      else
        r.outcome = "exception";
      break;
    }
    case Outcome::worker_died:
      r.outcome = "worker_died";
      r.detail = "the worker died while running it";
      break;
    case Outcome::timed_out:
      r.outcome = "timed_out";
      r.detail = "no answer within the wall time (limits.wall_ms)";
      break;
    case Outcome::overloaded:
    case Outcome::no_worker:
    case Outcome::too_large:
    case Outcome::client_gone:
      r.outcome = "not_run";
      r.detail = "no worker could take it";
      break;
    case Outcome::shutting_down:
      r.outcome = "not_run";
      r.detail = "the supervisor is shutting down";
      break;
  }
  return r;
}

std::string ScheduledRunResult::summary(const std::string& script) const {
  return outcome + ": script " + script + ", worker " +
         (worker < 0 ? std::string("none") : std::to_string(worker)) + ", " +
         std::to_string(duration.count()) + " ms" + (detail.empty() ? "" : ": " + detail);
}

ScheduledRunResult ScheduledRuns::run_and_wait(const std::string& script, const std::string& cron) {
  auto settled = std::make_shared<std::promise<ScheduledRunResult>>();
  std::future<ScheduledRunResult> result = settled->get_future();
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  fire(script, cron, now.count(),
       [settled](const ScheduledRunResult& r) { settled->set_value(r); });
  return result.get();
}

void ScheduledRuns::fire(const std::string& script, const std::string& cron,
                         int64_t scheduled_time_ms, Done done) {
  HttpRequest request;
  request.id = next_request_id();
  request.script = script;
  request.scheduled = HttpRequest::Scheduled{cron, scheduled_time_ms};
  const auto started = Dispatcher::Clock::now();
  const auto deadline =
      started + std::chrono::milliseconds(wall_ms_.load(std::memory_order_relaxed));
  const uint64_t id = request.id;
  dispatcher_.dispatch(std::move(request), deadline,
                       [this, script, cron, scheduled_time_ms, started, id,
                        done = std::move(done)](DispatchResult settled) {
                         // A run's answer is one small record; a stream (which no run makes) is let
                         // go at once.
                         if (settled.stream) settled.stream->cancel();
                         ScheduledRunResult r = classify_scheduled_run(settled);
                         r.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
                             Dispatcher::Clock::now() - started);
                         metrics_.record_scheduled_run(script, r.outcome);
                         const std::string when =
                             config::format_cron_time(std::chrono::floor<std::chrono::seconds>(
                                 std::chrono::sys_time<std::chrono::milliseconds>(
                                     std::chrono::milliseconds(scheduled_time_ms))));
                         const auto ms = static_cast<int64_t>(r.duration.count());
                         if (r.ok()) {
                           log::info("scheduled run", {{"script", script},
                                                       {"cron", cron},
                                                       {"scheduled_time", when},
                                                       {"worker", r.worker},
                                                       {"outcome", r.outcome},
                                                       {"duration_ms", ms},
                                                       {"req", id}});
                         } else {
                           log::error("scheduled run failed", {{"script", script},
                                                               {"cron", cron},
                                                               {"scheduled_time", when},
                                                               {"worker", r.worker},
                                                               {"outcome", r.outcome},
                                                               {"duration_ms", ms},
                                                               {"req", id},
                                                               {"error", r.detail}});
                         }
                         if (done) done(r);
                       });
}

}  // namespace wsup::supervisor

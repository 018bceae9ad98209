// supervisor/cron_scheduler.h: which triggers are due when, across reloads and stalls; the test
// clock; and what a dispatcher's settlement means for a scheduled run (scheduled_runs.h).
#include "supervisor/cron_scheduler.h"

#include <gtest/gtest.h>

#include "supervisor/scheduled_runs.h"
#include "tests/support/eventually.h"

namespace wsup::supervisor {
namespace {

using namespace std::chrono;

CronClock::time_point at(int h, int m, int s = 0) {
  return sys_days{year{2026} / December / 7} + hours{h} + minutes{m} + seconds{s};
}

config::ClusterConfig with_crons(std::vector<std::pair<std::string, std::vector<std::string>>> s) {
  config::ClusterConfig config;
  for (auto& [name, crons] : s) {
    config::Script script;
    script.name = name;
    script.crons = crons;
    config.scripts.push_back(script);
  }
  return config;
}

TEST(CronScheduler, EachTickIsDueOnceAndNothingBeforeIt) {
  CronScheduler cron;
  cron.set_config(with_crons({{"a", {"* * * * *"}}, {"b", {"*/5 * * * *"}}}), at(10, 0, 30));
  EXPECT_EQ(cron.size(), 2u);
  EXPECT_TRUE(cron.take_due(at(10, 0, 59)).empty());
  std::vector<CronTick> due = cron.take_due(at(10, 1, 0));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].script, "a");
  EXPECT_EQ(due[0].cron, "* * * * *");
  EXPECT_EQ(due[0].time, at(10, 1));
  // Asked again within the same minute: already taken.
  EXPECT_TRUE(cron.take_due(at(10, 1, 0) + milliseconds{20}).empty());
  EXPECT_TRUE(cron.take_due(at(10, 1, 59)).empty());
  due = cron.take_due(at(10, 5, 0) + milliseconds{5});
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].time, at(10, 2));  // "a" fell behind: one run, for its first missed tick
  EXPECT_EQ(due[1].script, "b");
  EXPECT_EQ(due[1].time, at(10, 5));
  // "a" then goes on from now, not through each minute it missed.
  EXPECT_TRUE(cron.take_due(at(10, 5, 30)).empty());
  EXPECT_EQ(cron.take_due(at(10, 6)).size(), 1u);
}

TEST(CronScheduler, ATickBeforeTheStartIsNotReplayed) {
  CronScheduler cron;
  // Started at 10:00:30: the 10:00 tick passed while the cluster was down.
  cron.set_config(with_crons({{"a", {"0 10 * * *"}}}), at(10, 0, 30));
  EXPECT_TRUE(cron.take_due(at(10, 0, 31)).empty());
  EXPECT_TRUE(cron.take_due(at(23, 59, 59)).empty());
  std::vector<CronTick> due = cron.take_due(sys_days{year{2026} / December / 8} + hours{10});
  ASSERT_EQ(due.size(), 1u);
}

TEST(CronScheduler, AReloadKeepsTheTriggersThatStayAndDropsTheOthers) {
  CronScheduler cron;
  cron.set_config(with_crons({{"a", {"* * * * *"}}, {"b", {"0 * * * *"}}}), at(10, 0, 10));
  ASSERT_EQ(cron.take_due(at(10, 1)).size(), 1u);
  // Reloaded at 10:01:59.5 with the same "a": its 10:02 tick comes once, neither skipped nor twice.
  cron.set_config(with_crons({{"a", {"* * * * *", "30 10 * * *"}}}), at(10, 1, 59));
  EXPECT_EQ(cron.size(), 2u);
  std::vector<CronTick> due = cron.take_due(at(10, 2));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].time, at(10, 2));
  // "b" is gone: nothing at 11:00 but "a".
  due = cron.take_due(at(11, 0));
  ASSERT_EQ(due.size(), 2u);  // "a" behind since 10:03, and the new 10:30
  EXPECT_EQ(due[1].time, at(10, 30));
  for (const CronTick& tick : due) EXPECT_EQ(tick.script, "a");
}

TEST(CronScheduler, AnExpressionThatSlippedPastTheConfigCheckIsLeftOut) {
  CronScheduler cron;
  cron.set_config(with_crons({{"a", {"61 * * * *", "* * * * *"}}}), at(10, 0));
  EXPECT_EQ(cron.size(), 1u);
  EXPECT_EQ(cron.take_due(at(10, 1)).size(), 1u);
}

TEST(CronClock, RunsFasterOnlyWhenAsked) {
  CronClock real(1);
  auto before = system_clock::now();
  auto now = real.now();
  EXPECT_GE(now, before);
  EXPECT_LE(now, system_clock::now());
  // An hour per second: whatever the box's load, it runs ahead of the real clock.
  CronClock fast(3600);
  EXPECT_TRUE(
      wsup::testing::eventually([&] { return fast.now() > system_clock::now() + minutes{1}; }));
}

DispatchResult answered(uint16_t status, std::string body) {
  DispatchResult r;
  r.worker = 1;
  r.response.status = status;
  r.response.body = std::move(body);
  return r;
}

TEST(ScheduledRunOutcome, FollowsTheWorkersAnswerAndTheDispatchersVerdict) {
  ScheduledRunResult r = classify_scheduled_run(answered(200, "ok"));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.worker, 1);
  EXPECT_EQ(r.detail, "");
  r = classify_scheduled_run(
      answered(500, "Internal Server Error: the worker script threw an exception\nmore\n"));
  EXPECT_EQ(r.outcome, "exception");
  EXPECT_EQ(r.detail, "Internal Server Error: the worker script threw an exception");
  EXPECT_EQ(r.summary("cron-app"),
            "exception: script cron-app, worker 1, 0 ms: Internal Server Error: the worker "
            "script threw an exception");
  EXPECT_EQ(classify_scheduled_run(
                answered(503, "Service Unavailable: the worker exceeded its CPU time limit\n"))
                .outcome,
            "exceeded_cpu");
  EXPECT_EQ(classify_scheduled_run(
                answered(503, "Service Unavailable: the worker exceeded its memory limit\n"))
                .outcome,
            "exceeded_memory");
  EXPECT_EQ(classify_scheduled_run(answered(504, "Gateway Timeout\n")).outcome, "timed_out");
  DispatchResult died;
  died.outcome = Outcome::worker_died;
  died.worker = 0;
  EXPECT_EQ(classify_scheduled_run(died).outcome, "worker_died");
  DispatchResult refused;
  refused.outcome = Outcome::no_worker;
  r = classify_scheduled_run(refused);
  EXPECT_EQ(r.outcome, "not_run");
  EXPECT_EQ(r.summary("a").rfind("not_run: script a, worker none", 0), 0u) << r.summary("a");
}

}  // namespace
}  // namespace wsup::supervisor

// WorkerSlot's lifecycle, transition by transition, with fake processes and a recording host: no
// fork, no clock (every tick gets its time from the test).
#include "supervisor/worker_slot.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace wsup::supervisor {
namespace {

using namespace std::chrono_literals;
using Phase = WorkerSlot::Phase;
using Replacement = WorkerSlot::Replacement;
using Clock = WorkerSlot::Clock;

// A process whose state the test sets; it records the signals it got.
class FakeProcess : public SlotProcess {
 public:
  FakeProcess(EndpointId endpoint, Clock::time_point started) : endpoint_(endpoint), at_(started) {}
  EndpointId endpoint() const override { return endpoint_; }
  int pid() const override { return static_cast<int>(1000 + endpoint_); }
  int pidfd() const override { return -1; }
  Clock::time_point started_at() const override { return at_; }
  std::shared_ptr<RequestChannel> request_channel() override { return nullptr; }
  bool ready() const override { return is_ready; }
  bool broken() const override { return is_broken; }
  void terminate() const override { ++terminated; }
  void kill() const override { ++killed; }
  void kill_because(std::string reason) override {
    kill_reason = std::move(reason);
    ++killed;
  }
  bool try_reap() override { return !exit_how.empty(); }
  const std::string& exit_description() const override { return exit_how; }
  std::optional<int> exit_status() const override { return status; }
  std::chrono::milliseconds heartbeat_age() const override { return age; }
  std::optional<std::string> replacement_request() const override { return asks_replacement; }
  SupervisorChannel::Reaped reap_channel() override { return {}; }
  void describe(WorkerSnapshot& row, Clock::time_point) override { row.pid = pid(); }

  bool is_ready = false;
  bool is_broken = false;
  std::string exit_how;  // non-empty: it exited, so
  std::optional<int> status;
  std::chrono::milliseconds age{0};  // of its heartbeat
  std::optional<std::string> asks_replacement;
  std::string kill_reason;
  mutable int terminated = 0;
  mutable int killed = 0;

 private:
  EndpointId endpoint_;
  Clock::time_point at_;
};

// Records what the slot asks for. The processes it hands out stay owned by the slot; the test
// keeps raw pointers to drive them (every one lives until the slot is destroyed or settles it,
// and the test never touches one after it was settled).
class RecordingHost : public SlotHost {
 public:
  std::unique_ptr<SlotProcess> spawn(int, uint32_t epoch) override {
    if (fail_spawn) throw std::runtime_error("fork failed: out of memory");
    epochs.push_back(epoch);
    auto p = std::make_unique<FakeProcess>(static_cast<EndpointId>(spawned.size() + 1), now);
    spawned.push_back(p.get());
    return p;
  }
  void route(SlotProcess& p, int) override { routed.push_back(p.endpoint()); }
  void stop_routing(SlotProcess& p) override { unrouted.push_back(p.endpoint()); }
  size_t outstanding(const SlotProcess&) const override { return held; }
  void settle_exit(SlotProcess& p, int) override { settled.push_back(p.endpoint()); }
  void note_exit(int, const std::string& how) override { exits.push_back(how); }
  // ready 1 s, drain 2 s, stop grace 500 ms, spawn retry 3 s, unresponsive 2 s, stuck 10 s.
  SlotTimings timings() const override { return {1s, 2s, 500ms, 3s, 2s, 10s}; }

  bool fail_spawn = false;
  size_t held = 0;        // what every process holds, for the drain
  Clock::time_point now;  // start time of the next spawned process
  std::vector<FakeProcess*> spawned;
  std::vector<uint32_t> epochs;
  std::vector<EndpointId> routed, unrouted, settled;
  std::vector<std::string> exits;
};

RestartPolicy policy() {
  return RestartPolicy({.initial_delay = 100ms, .max_delay = 3s, .max_crashes = 3, .window = 60s});
}

struct SlotTest : ::testing::Test {
  RecordingHost host;
  WorkerSlot slot{4, host, policy()};
  Clock::time_point t0 = Clock::time_point{} + 1h;

  // Starts the slot and makes its first process ready; returns it.
  FakeProcess& ready_slot() {
    host.now = t0;
    slot.start();
    host.spawned.back()->is_ready = true;
    slot.tick(t0);
    return *host.spawned.back();
  }
};

TEST_F(SlotTest, StartsThenIsRoutedOnceItsProcessIsReady) {
  host.now = t0;
  slot.start();
  EXPECT_EQ(slot.phase(), Phase::starting);
  slot.tick(t0 + 10ms);
  EXPECT_EQ(slot.phase(), Phase::starting);
  EXPECT_TRUE(host.routed.empty());
  host.spawned[0]->is_ready = true;
  slot.tick(t0 + 20ms);
  EXPECT_EQ(slot.phase(), Phase::ready);
  EXPECT_EQ(host.routed, std::vector<EndpointId>{1});
  EXPECT_TRUE(slot.serving());
  EXPECT_EQ(slot.restarts(), 0u);
  EXPECT_EQ(host.epochs, std::vector<uint32_t>{1});
}

TEST_F(SlotTest, ProcessNotReadyInTimeIsKilledAndThenRestartedLikeACrash) {
  host.now = t0;
  slot.start();
  slot.tick(t0 + 1s);
  EXPECT_EQ(host.spawned[0]->killed, 0);
  slot.tick(t0 + 1001ms);
  EXPECT_EQ(host.spawned[0]->killed, 1);
  host.spawned[0]->exit_how = "killed by signal 9 (Killed)";
  slot.tick(t0 + 1002ms);
  EXPECT_EQ(slot.phase(), Phase::restarting);
  EXPECT_EQ(host.settled, std::vector<EndpointId>{1});
}

TEST_F(SlotTest, CrashSettlesItsRequestsAndRestartsAfterTheBackoff) {
  FakeProcess& first = ready_slot();
  first.exit_how = "exit status 1";
  const auto crashed = t0 + 5s;
  slot.tick(crashed);
  EXPECT_EQ(slot.phase(), Phase::restarting);
  EXPECT_EQ(host.settled, std::vector<EndpointId>{1});
  EXPECT_EQ(host.exits, std::vector<std::string>{"exit status 1"});
  EXPECT_FALSE(slot.serving());
  slot.tick(crashed + 99ms);  // the backoff is 100 ms
  EXPECT_EQ(host.spawned.size(), 1u);
  slot.tick(crashed + 100ms);
  ASSERT_EQ(host.spawned.size(), 2u);
  EXPECT_EQ(slot.phase(), Phase::starting);
  EXPECT_EQ(slot.restarts(), 1u);
  EXPECT_EQ(slot.restarts_by_reason(), (RestartCounts{1, 0, 0, 0, 0, 0}));  // counted as a crash
  EXPECT_EQ(host.epochs, (std::vector<uint32_t>{1, 2}));                    // a fresh segment name
}

// A signal to the whole process group reaches the workers while the supervisor drains.
TEST_F(SlotTest, ExitWhileTheSupervisorDrainsStopsTheSlotWithoutARestart) {
  FakeProcess& first = ready_slot();
  slot.begin_drain();
  slot.tick(t0 + 1s);
  EXPECT_EQ(slot.phase(), Phase::ready);  // it serves on until it exits
  first.exit_how = "exit status 0";
  slot.tick(t0 + 2s);
  EXPECT_EQ(slot.phase(), Phase::stopped);
  EXPECT_EQ(host.settled, std::vector<EndpointId>{1});
  slot.tick(t0 + 10s);
  EXPECT_EQ(host.spawned.size(), 1u);
  EXPECT_EQ(slot.restarts(), 0u);
  EXPECT_FALSE(slot.has_processes());
}

TEST_F(SlotTest, ARestartDueAfterTheDrainBeganNeverStarts) {
  FakeProcess& first = ready_slot();
  first.exit_how = "exit status 1";
  slot.tick(t0 + 1s);
  ASSERT_EQ(slot.phase(), Phase::restarting);
  slot.begin_drain();
  slot.tick(t0 + 5s);  // past the 100 ms backoff
  EXPECT_EQ(slot.phase(), Phase::stopped);
  EXPECT_EQ(host.spawned.size(), 1u);
}

TEST_F(SlotTest, CrashLoopEndsInFailedAndOnlyTheOperatorStartsItAgain) {
  host.now = t0;
  slot.start();
  auto now = t0;
  for (int crash = 1; crash <= 3; ++crash) {
    host.spawned.back()->exit_how = "exit status 3";
    now += 1s;
    slot.tick(now);
    if (crash < 3) {
      EXPECT_EQ(slot.phase(), Phase::restarting) << crash;
      now += 10s;
      slot.tick(now);  // backoff over: a new process
      EXPECT_EQ(slot.phase(), Phase::starting) << crash;
    }
  }
  EXPECT_EQ(slot.phase(), Phase::failed);
  EXPECT_STREQ(WorkerSlot::name(slot.phase()), "failed");
  slot.tick(now + 1h);
  EXPECT_EQ(host.spawned.size(), 3u);  // left down
  ASSERT_TRUE(slot.begin_replacement(now + 1h, RestartReason::restart));
  EXPECT_EQ(slot.phase(), Phase::starting);
  host.spawned.back()->is_ready = true;
  slot.tick(now + 1h + 1ms);
  EXPECT_EQ(slot.phase(), Phase::ready);
  EXPECT_EQ(slot.replacement(), Replacement::done);
}

TEST_F(SlotTest, CorruptChannelGetsTheProcessKilled) {
  FakeProcess& first = ready_slot();
  first.is_broken = true;
  slot.tick(t0 + 1s);
  EXPECT_EQ(first.killed, 1);
  EXPECT_EQ(slot.phase(), Phase::ready);  // until it is reaped
  first.exit_how = "killed by signal 9 (Killed)";
  slot.tick(t0 + 2s);
  EXPECT_EQ(slot.phase(), Phase::restarting);
}

TEST_F(SlotTest, ReplacementStartsBesideTheServingProcessWhichThenDrainsAndStops) {
  FakeProcess& old = ready_slot();
  host.now = t0 + 1s;
  ASSERT_TRUE(slot.begin_replacement(t0 + 1s, RestartReason::reload));
  EXPECT_EQ(slot.phase(), Phase::replacing);
  EXPECT_STREQ(WorkerSlot::name(slot.phase()), "draining");
  EXPECT_TRUE(slot.serving());  // the old process serves meanwhile
  ASSERT_EQ(host.spawned.size(), 2u);
  FakeProcess& fresh = *host.spawned[1];
  slot.tick(t0 + 1100ms);
  EXPECT_EQ(host.routed, std::vector<EndpointId>{1});
  EXPECT_EQ(slot.replacement(), Replacement::in_progress);

  fresh.is_ready = true;
  host.held = 2;  // the old process still holds two requests
  slot.tick(t0 + 1200ms);
  EXPECT_EQ(slot.phase(), Phase::ready);
  EXPECT_EQ(host.routed, (std::vector<EndpointId>{1, 2}));
  EXPECT_EQ(host.unrouted, std::vector<EndpointId>{1});
  EXPECT_EQ(slot.current(), &fresh);
  EXPECT_EQ(slot.restarts(), 1u);
  EXPECT_EQ(slot.restarts_by_reason(), (RestartCounts{0, 1, 0, 0, 0, 0}));  // a reload, not a crash
  EXPECT_EQ(slot.replacement(), Replacement::done);
  EXPECT_EQ(old.terminated, 0);  // it finishes what it holds first

  host.held = 0;
  slot.tick(t0 + 1300ms);
  EXPECT_EQ(old.terminated, 1);
  slot.tick(t0 + 1800ms);  // within the 500 ms grace
  EXPECT_EQ(old.killed, 0);
  slot.tick(t0 + 1801ms);
  EXPECT_EQ(old.killed, 1);
  old.exit_how = "killed by signal 9 (Killed)";
  slot.tick(t0 + 1802ms);
  EXPECT_EQ(host.settled, std::vector<EndpointId>{1});
  EXPECT_TRUE(host.exits.empty());  // a retired process did not crash
  int processes = 0;
  slot.for_each_process([&](SlotProcess&) { ++processes; });
  EXPECT_EQ(processes, 1);
}

TEST_F(SlotTest, RetiringProcessStillBusyAtTheDrainDeadlineIsTerminated) {
  ready_slot();
  ASSERT_TRUE(slot.begin_replacement(t0, RestartReason::restart));
  host.spawned[1]->is_ready = true;
  host.held = 1;
  slot.tick(t0);
  slot.tick(t0 + 1999ms);  // the drain timeout is 2 s
  EXPECT_EQ(host.spawned[0]->terminated, 0);
  slot.tick(t0 + 2s);
  EXPECT_EQ(host.spawned[0]->terminated, 1);
}

TEST_F(SlotTest, ReplacementThatExitsBeforeReadyFailsAndTheOldProcessKeepsServing) {
  FakeProcess& old = ready_slot();
  ASSERT_TRUE(slot.begin_replacement(t0 + 1s, RestartReason::restart));
  host.spawned[1]->exit_how = "exit status 1: SyntaxError";
  slot.tick(t0 + 2s);
  EXPECT_EQ(slot.phase(), Phase::ready);
  EXPECT_EQ(slot.current(), &old);
  EXPECT_EQ(slot.replacement(), Replacement::failed);
  EXPECT_EQ(slot.replacement_error(),
            "worker 4's new process exited before it was ready (exit status 1: SyntaxError); the "
            "old process keeps serving");
  EXPECT_EQ(host.settled, std::vector<EndpointId>{2});
  EXPECT_TRUE(host.unrouted.empty());
  EXPECT_EQ(old.terminated, 0);
}

TEST_F(SlotTest, OldProcessDyingDuringItsReplacementHandsTheSlotToTheReplacement) {
  FakeProcess& old = ready_slot();
  ASSERT_TRUE(slot.begin_replacement(t0 + 1s, RestartReason::restart));
  old.exit_how = "killed by signal 11 (Segmentation fault)";
  slot.tick(t0 + 2s);
  EXPECT_EQ(slot.phase(), Phase::starting);
  EXPECT_EQ(slot.current(), host.spawned[1]);
  EXPECT_EQ(host.settled, std::vector<EndpointId>{1});
  EXPECT_EQ(host.spawned.size(), 2u);  // no restart of its own: the replacement takes over
  host.spawned[1]->is_ready = true;
  slot.tick(t0 + 3s);
  EXPECT_EQ(slot.phase(), Phase::ready);
  EXPECT_EQ(slot.replacement(), Replacement::done);
}

TEST_F(SlotTest, ReplacementOfAStartingProcessThatThenExitsFailsTheReplacement) {
  host.now = t0;
  slot.start();
  ASSERT_TRUE(slot.begin_replacement(t0 + 1ms, RestartReason::restart));
  EXPECT_EQ(slot.phase(), Phase::starting);
  EXPECT_EQ(host.unrouted, std::vector<EndpointId>{1});  // the first one retires
  host.spawned[1]->exit_how = "exit status 1";
  slot.tick(t0 + 2ms);
  EXPECT_EQ(slot.replacement(), Replacement::failed);
  EXPECT_EQ(slot.replacement_error(), "worker 4 exited before it was ready (exit status 1)");
  EXPECT_EQ(slot.phase(), Phase::restarting);
}

TEST_F(SlotTest, ReplacementThatCannotStartAProcessFailsAndChangesNothing) {
  FakeProcess& old = ready_slot();
  host.fail_spawn = true;
  EXPECT_FALSE(slot.begin_replacement(t0 + 1s, RestartReason::restart));
  EXPECT_EQ(slot.replacement(), Replacement::failed);
  EXPECT_EQ(slot.replacement_error(), "fork failed: out of memory");
  EXPECT_EQ(slot.phase(), Phase::ready);
  EXPECT_EQ(slot.current(), &old);
}

TEST_F(SlotTest, RestartThatCannotStartAProcessIsRetriedLater) {
  ready_slot().exit_how = "exit status 1";
  slot.tick(t0 + 1s);
  host.fail_spawn = true;
  slot.tick(t0 + 2s);
  EXPECT_EQ(slot.phase(), Phase::restarting);
  host.fail_spawn = false;
  slot.tick(t0 + 4999ms);  // spawn_retry is 3 s
  EXPECT_EQ(host.spawned.size(), 1u);
  slot.tick(t0 + 5s);
  EXPECT_EQ(slot.phase(), Phase::starting);
}

TEST_F(SlotTest, StopRetiresEveryProcessAndNothingStartsAgain) {
  FakeProcess& old = ready_slot();
  ASSERT_TRUE(slot.begin_replacement(t0 + 1s, RestartReason::restart));
  FakeProcess& fresh = *host.spawned[1];
  slot.stop(t0 + 2s);
  EXPECT_EQ(slot.phase(), Phase::stopped);
  EXPECT_FALSE(slot.serving());
  EXPECT_EQ(old.terminated, 1);
  EXPECT_EQ(fresh.terminated, 1);
  EXPECT_EQ(host.unrouted, (std::vector<EndpointId>{2, 1}));
  old.exit_how = fresh.exit_how = "exit status 0";
  slot.tick(t0 + 3s);
  EXPECT_FALSE(slot.has_processes());
  slot.tick(t0 + 1h);
  EXPECT_EQ(host.spawned.size(), 2u);
  EXPECT_TRUE(host.exits.empty());
}

// The worker's own events: its request for a replacement, an exit at the hard CPU limit, a loop
// that stops turning.

TEST_F(SlotTest, WorkerAskingToBeReplacedGetsASurgeReplacementOnce) {
  FakeProcess& old = ready_slot();
  old.asks_replacement = "lost an isolate: heap out of memory";
  slot.tick(t0 + 1s);
  EXPECT_EQ(slot.phase(), Phase::replacing);
  ASSERT_EQ(host.spawned.size(), 2u);
  EXPECT_EQ(slot.replacement(), WorkerSlot::Replacement::none);  // no operator waits on it
  host.spawned[1]->is_ready = true;
  slot.tick(t0 + 2s);
  EXPECT_EQ(slot.phase(), Phase::ready);
  EXPECT_EQ(host.routed, (std::vector<EndpointId>{1, 2}));
  EXPECT_EQ(host.unrouted, std::vector<EndpointId>{1});
  EXPECT_EQ(slot.restarts(RestartReason::recycle), 1u);
  EXPECT_EQ(slot.restarts(RestartReason::crash), 0u);
  EXPECT_EQ(slot.replacement(), WorkerSlot::Replacement::none);
}

TEST_F(SlotTest, ReplacementAWorkerAskedForThatExitsLeavesItServingAndIsNotRetried) {
  FakeProcess& old = ready_slot();
  old.asks_replacement = "lost an isolate";
  slot.tick(t0 + 1s);
  ASSERT_EQ(host.spawned.size(), 2u);
  host.spawned[1]->exit_how = "exit status 1";
  slot.tick(t0 + 2s);
  EXPECT_EQ(slot.phase(), Phase::ready);
  EXPECT_EQ(slot.current(), &old);
  EXPECT_EQ(slot.replacement(), WorkerSlot::Replacement::none);  // nothing failed for an operator
  slot.tick(t0 + 3s);
  slot.tick(t0 + 4s);
  EXPECT_EQ(host.spawned.size(), 2u);  // once per process
}

TEST_F(SlotTest, OperatorReplacementDuringAWorkersOwnStartsItsOwnProcess) {
  FakeProcess& old = ready_slot();
  old.asks_replacement = "lost an isolate";
  slot.tick(t0 + 1s);
  ASSERT_EQ(host.spawned.size(), 2u);
  ASSERT_TRUE(slot.begin_replacement(t0 + 1100ms, RestartReason::reload));
  ASSERT_EQ(host.spawned.size(), 3u);                    // with the operator's (reload's) settings
  EXPECT_EQ(host.unrouted, std::vector<EndpointId>{2});  // the worker's one retires, unrouted
  slot.tick(t0 + 1200ms);
  EXPECT_EQ(host.spawned[1]->terminated, 1);  // it held nothing
  host.spawned[2]->is_ready = true;
  slot.tick(t0 + 1300ms);
  EXPECT_EQ(slot.phase(), Phase::ready);
  EXPECT_EQ(slot.replacement(), WorkerSlot::Replacement::done);
  EXPECT_EQ(slot.restarts(RestartReason::reload), 1u);
}

TEST_F(SlotTest, ExitAtTheHardCpuLimitRestartsAtOnceAndNeverFails) {
  ready_slot();
  for (int i = 1; i <= 6; ++i) {  // twice max_crashes
    FakeProcess& p = *host.spawned.back();
    p.status = kWorkerExitHardLimit;
    p.exit_how = "exit status 75: cpu_hard_limit";
    slot.tick(t0 + std::chrono::seconds(i));
    ASSERT_EQ(slot.phase(), Phase::starting) << "exit " << i;
    host.spawned.back()->is_ready = true;
    slot.tick(t0 + std::chrono::seconds(i) + 1ms);
    ASSERT_EQ(slot.phase(), Phase::ready);
  }
  EXPECT_EQ(slot.restarts(RestartReason::cpu_hard_limit), 6u);
  EXPECT_EQ(slot.restarts(RestartReason::crash), 0u);
  EXPECT_EQ(host.settled.size(), 6u);
}

TEST_F(SlotTest, OtherExitStatusesStillCountAsCrashes) {
  ready_slot();
  for (int i = 1; i <= 3; ++i) {
    FakeProcess& p = *host.spawned.back();
    p.status = 1;
    p.exit_how = "exit status 1";
    slot.tick(t0 + std::chrono::seconds(i * 20));
    if (slot.phase() == Phase::failed) break;
    slot.tick(t0 + std::chrono::seconds(i * 20 + 10));
    host.spawned.back()->is_ready = true;
    slot.tick(t0 + std::chrono::seconds(i * 20 + 11));
  }
  EXPECT_EQ(slot.phase(), Phase::failed);  // max_crashes is 3
}

TEST_F(SlotTest, StaleHeartbeatShowsUnresponsiveThenIsKilledAsStuckAndRestarted) {
  FakeProcess& p = ready_slot();
  p.age = 2s;  // not past unresponsive_after
  EXPECT_FALSE(slot.unresponsive());
  p.age = 2001ms;
  EXPECT_TRUE(slot.unresponsive());
  slot.tick(t0 + 1s);
  EXPECT_EQ(p.killed, 0);  // unresponsive is a report; it is still routed to
  EXPECT_EQ(slot.phase(), Phase::ready);
  p.age = 10001ms;
  slot.tick(t0 + 2s);
  EXPECT_EQ(p.killed, 1);
  EXPECT_NE(p.kill_reason.find("no heartbeat for 10001 ms"), std::string::npos) << p.kill_reason;
  slot.tick(t0 + 3s);
  EXPECT_EQ(p.killed, 1);  // once
  p.exit_how = "killed by signal 9 (Killed): stuck, no heartbeat";
  slot.tick(t0 + 4s);
  EXPECT_EQ(slot.phase(), Phase::restarting);
  EXPECT_EQ(host.settled, std::vector<EndpointId>{1});  // its untaken requests re-dispatched
  slot.tick(t0 + 5s);
  EXPECT_EQ(slot.phase(), Phase::starting);
  EXPECT_EQ(slot.restarts(RestartReason::unresponsive), 1u);
  EXPECT_FALSE(slot.unresponsive());  // the new process is not serving yet
}

TEST_F(SlotTest, AStartingProcessIsNeverUnresponsiveNorKilledAsStuck) {
  host.now = t0;
  slot.start();
  host.spawned[0]->age = 20s;  // a process that never beat yet
  EXPECT_FALSE(slot.unresponsive());
  slot.tick(t0 + 500ms);
  EXPECT_EQ(host.spawned[0]->killed, 0);
}

TEST_F(SlotTest, NameOfEveryRestartReason) {
  using R = RestartReason;
  EXPECT_STREQ(kRestartReasonNames[index_of(R::crash)], "crash");
  EXPECT_STREQ(kRestartReasonNames[index_of(R::reload)], "reload");
  EXPECT_STREQ(kRestartReasonNames[index_of(R::restart)], "restart");
  EXPECT_STREQ(kRestartReasonNames[index_of(R::recycle)], "recycle");
  EXPECT_STREQ(kRestartReasonNames[index_of(R::cpu_hard_limit)], "cpu_hard_limit");
  EXPECT_STREQ(kRestartReasonNames[index_of(R::unresponsive)], "unresponsive");
}

}  // namespace
}  // namespace wsup::supervisor

// kill -9 of the worker: every request is classified taken / not taken / completed correctly,
// and a fresh worker on a fresh segment (epoch + 1) carries on with what was not taken.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "shared/channel.h"
#include "tests/shared/ipc_test_support.h"
#include "tests/support/eventually.h"

namespace wsup {
namespace {

using namespace std::chrono_literals;

ChannelOptions crash_options(uint32_t epoch) {
  ChannelOptions o;
  o.instance_id = "crash";
  o.worker_id = 7;
  o.epoch = epoch;
  o.slots = 16;
  o.slot_arena_bytes = 8192;
  return o;
}

HttpRequest request(uint64_t id, size_t body = 64) {
  HttpRequest r;
  r.id = id;
  r.method = "GET";
  r.url = "http://127.0.0.1/" + std::to_string(id);
  r.body = std::string(body, 'r');
  return r;
}

// A pipe the worker writes each taken id into (8 bytes each), right after taking it.
struct TakenLog {
  int fds[2] = {-1, -1};
  TakenLog() { EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0); }
  ~TakenLog() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
  std::vector<std::string> worker_args(const std::string& mode) {
    // The write end must survive exec: clear CLOEXEC in the parent just for the spawn.
    clear_close_on_exec(fds[1]);
    return {"--mode", mode, "--log-fd", std::to_string(fds[1])};
  }
  std::set<uint64_t> read_all() {
    ::close(fds[1]);
    fds[1] = -1;
    std::set<uint64_t> ids;
    uint64_t id = 0;
    while (::read(fds[0], &id, sizeof id) == sizeof id) ids.insert(id);
    return ids;
  }
};

void kill_and_wait(pid_t pid) {
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = testing::wait_exit_status(pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

// Runs `ids` on a fresh worker of epoch `epoch`; every one must come back answered.
void run_on_fresh_worker(uint32_t epoch, const std::vector<uint64_t>& ids) {
  auto channel = SupervisorChannel::create(crash_options(epoch));
  EXPECT_NE(channel.name().find("-e" + std::to_string(epoch)), std::string::npos);
  pid_t worker = testing::spawn_worker(WSUP_IPC_TEST_WORKER, channel, {"--mode", "bench:10"});
  std::set<uint64_t> waiting(ids.begin(), ids.end());
  size_t next = 0;
  EXPECT_TRUE(testing::eventually(
      [&] {
        while (next < ids.size() && channel.try_submit(request(ids[next])) == SubmitStatus::ok)
          ++next;
        channel.poll_responses([&](ResponseEvent&& c) {
          EXPECT_EQ(c.error, ChannelError::none);
          EXPECT_EQ(waiting.erase(c.request_id), 1u);
        });
        if (!waiting.empty()) channel.wait_for_responses(50ms);
        return waiting.empty();
      },
      30s))
      << waiting.size() << " requests never answered";
  kill_and_wait(worker);
}

TEST(ChannelCrash, KilledWorkerTakenRequestsGet502QueuedOnesAreRedispatched) {
  std::vector<uint64_t> not_taken;
  {
    auto channel = SupervisorChannel::create(crash_options(1));
    TakenLog log;
    pid_t worker = testing::spawn_worker(WSUP_IPC_TEST_WORKER, channel, log.worker_args("hang:5"));
    for (uint64_t id = 1; id <= 12; ++id)
      ASSERT_EQ(channel.try_submit(request(id)), SubmitStatus::ok);
    ASSERT_TRUE(testing::eventually([&] { return channel.counters().taken >= 5; }, 30s));
    ASSERT_EQ(channel.counters().taken, 5u);
    EXPECT_EQ(channel.worker_pid(), worker);
    EXPECT_EQ(channel.worker_state(), WorkerState::ready);
    kill_and_wait(worker);
    EXPECT_EQ(channel.poll_responses([](ResponseEvent&&) { FAIL() << "no response was written"; }),
              0u);
    SupervisorChannel::Reaped reaped = channel.reap_after_death();
    std::sort(reaped.taken.begin(), reaped.taken.end());
    std::sort(reaped.not_taken.begin(), reaped.not_taken.end());
    EXPECT_EQ(reaped.taken, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(reaped.not_taken, (std::vector<uint64_t>{6, 7, 8, 9, 10, 11, 12}));
    EXPECT_TRUE(reaped.completed.empty());
    EXPECT_EQ(log.read_all(), (std::set<uint64_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(channel.try_submit(request(13)), SubmitStatus::closed);
    not_taken = reaped.not_taken;
  }
  run_on_fresh_worker(2, not_taken);
}

TEST(ChannelCrash, KilledMidStreamEveryRequestIsClassifiedExactlyOnce) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 3; ++round) {
    auto channel = SupervisorChannel::create(crash_options(1));
    TakenLog log;
    pid_t worker =
        testing::spawn_worker(WSUP_IPC_TEST_WORKER, channel, log.worker_args("bench:2000"));
    std::set<uint64_t> submitted, answered;
    uint64_t next_id = 1;
    // The kill clock starts at the first answer: a slow start (sanitizers) must not make the
    // kill land before any traffic.
    auto kill_after = std::chrono::milliseconds(20 + rng() % 80);
    auto give_up = std::chrono::steady_clock::now() + 20s;
    std::optional<std::chrono::steady_clock::time_point> kill_at;
    while (!kill_at || std::chrono::steady_clock::now() < *kill_at) {
      if (!kill_at && !answered.empty()) kill_at = std::chrono::steady_clock::now() + kill_after;
      ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "the worker never answered";
      while (channel.try_submit(request(next_id, rng() % 20'000)) == SubmitStatus::ok) {
        submitted.insert(next_id++);
      }
      channel.poll_responses([&](ResponseEvent&& c) {
        EXPECT_EQ(c.error, ChannelError::none);
        answered.insert(c.request_id);
      });
    }
    kill_and_wait(worker);
    channel.poll_responses([&](ResponseEvent&& c) { answered.insert(c.request_id); });
    SupervisorChannel::Reaped reaped = channel.reap_after_death();
    std::set<uint64_t> seen_by_worker = log.read_all();
    std::set<uint64_t> classified = answered;
    auto add_once = [&](uint64_t id) { EXPECT_TRUE(classified.insert(id).second) << id; };
    for (uint64_t id : reaped.taken) add_once(id);
    for (uint64_t id : reaped.not_taken) {
      add_once(id);
      EXPECT_FALSE(seen_by_worker.contains(id)) << "worker took " << id << " yet it is not_taken";
    }
    for (const ResponseEvent& c : reaped.completed) add_once(c.request_id);
    EXPECT_EQ(classified, submitted);
    for (uint64_t id : seen_by_worker)
      EXPECT_TRUE(submitted.contains(id) &&
                  !std::count(reaped.not_taken.begin(), reaped.not_taken.end(), id));
    EXPECT_GT(answered.size(), 0u) << "kill came before any traffic: the test proved nothing";
    run_on_fresh_worker(2, reaped.not_taken);
  }
}

TEST(ChannelCrash, SegmentIsOwnerOnlyAndRemovedWithTheChannel) {
  std::string path;
  {
    auto channel = SupervisorChannel::create(crash_options(1));
    path = "/dev/shm/" + channel.name();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  struct stat st {};
  EXPECT_NE(::stat(path.c_str(), &st), 0);
}

TEST(ChannelCrash, StaleSegmentsOfDeadSupervisorsAreRemovedLiveOnesKept) {
  auto live = SupervisorChannel::create([] {
    auto o = crash_options(1);
    o.instance_id = "stale";
    return o;
  }());
  int name_pipe[2];
  ASSERT_EQ(::pipe(name_pipe), 0);
  pid_t child = ::fork();
  if (child == 0) {
    // A supervisor that dies without cleaning up: create, report the name, _exit.
    auto o = crash_options(1);
    o.instance_id = "stale";
    auto channel = SupervisorChannel::create(o);
    [[maybe_unused]] ssize_t n =
        ::write(name_pipe[1], channel.name().data(), channel.name().size());
    ::_exit(0);
  }
  ::close(name_pipe[1]);
  char buffer[256] = {};
  ssize_t n = ::read(name_pipe[0], buffer, sizeof buffer - 1);
  ::close(name_pipe[0]);
  ASSERT_GT(n, 0);
  ASSERT_EQ(testing::wait_exit_status(child), 0);
  std::string stale_path = std::string("/dev/shm/") + buffer;
  struct stat st {};
  ASSERT_EQ(::stat(stale_path.c_str(), &st), 0) << "the dead supervisor's segment should remain";
  EXPECT_EQ(remove_stale_segments("wsup-stale-"), 1u);
  EXPECT_NE(::stat(stale_path.c_str(), &st), 0);
  EXPECT_EQ(::stat(("/dev/shm/" + live.name()).c_str(), &st), 0) << "a live one must stay";
}

}  // namespace
}  // namespace wsup

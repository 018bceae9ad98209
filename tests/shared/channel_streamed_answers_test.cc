// Streamed answers between two real processes (ipc_test_worker answers through its
// ChannelResponseSinks): order and content, the one-chunk bound, cancels reaching the worker's
// sink, whole answers in one record or streamed, and a worker killed mid-stream.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <set>
#include <vector>

#include "shared/channel.h"
#include "tests/shared/ipc_test_support.h"
#include "tests/support/eventually.h"

namespace wsup {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using Kind = ResponseEvent::Kind;

ChannelOptions options(const char* instance) {
  ChannelOptions o;
  o.instance_id = instance;
  o.worker_id = 3;
  o.slots = 8;
  o.slot_arena_bytes = 16 * 1024;
  return o;
}

HttpRequest stream_request(uint64_t id, size_t chunks, size_t size, HeaderList extra = {}) {
  HttpRequest r;
  r.id = id;
  r.method = "GET";
  r.url = "http://127.0.0.1/stream/" + std::to_string(id);
  r.headers = {{"x-stream-chunks", std::to_string(chunks)}, {"x-chunk-size", std::to_string(size)}};
  r.headers.insert(r.headers.end(), extra.begin(), extra.end());
  return r;
}

// Answered whole by the worker's echo: a body of `size` bytes.
HttpRequest whole_request(uint64_t id, size_t size) {
  HttpRequest r;
  r.id = id;
  r.method = "GET";
  r.headers = {{"x-resp-size", std::to_string(size)}};
  return r;
}

std::string expected_body(uint64_t id, size_t chunks, size_t size) {
  std::string body;
  for (size_t k = 0; k < chunks; ++k) body += testing::stream_chunk(id, k, size);
  return body;
}

// The worker's stream events (--stream-log-fd): chunks written and cancels seen, per request.
struct StreamLog {
  int fds[2] = {-1, -1};
  std::map<uint64_t, std::vector<uint64_t>> events;
  StreamLog() { EXPECT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0); }
  ~StreamLog() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
  std::vector<std::string> worker_args() {
    clear_close_on_exec(fds[1]);  // the write end must survive exec
    return {"--stream-log-fd", std::to_string(fds[1])};
  }
  // Reads what the worker wrote so far.
  void read() {
    uint64_t event[2];
    while (::read(fds[0], event, sizeof event) == sizeof event)
      events[event[0]].push_back(event[1]);
  }
  size_t chunks_written(uint64_t id) {
    read();
    size_t n = 0;
    for (uint64_t e : events[id]) n += e != testing::kCancelledEvent ? 1 : 0;
    return n;
  }
  bool cancelled(uint64_t id) {
    read();
    for (uint64_t e : events[id])
      if (e == testing::kCancelledEvent) return true;
    return false;
  }
};

struct Worker {
  SupervisorChannel channel;
  pid_t pid;
  Worker(const char* instance, std::vector<std::string> args = {},
         std::chrono::microseconds spin = ChannelOptions{}.spin)
      : channel(SupervisorChannel::create([&] {
          ChannelOptions o = options(instance);
          o.spin = spin;
          return o;
        }())),
        pid(testing::spawn_worker(WSUP_IPC_TEST_WORKER, channel, args)) {}
  ~Worker() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      testing::wait_exit_status(pid);
    }
  }
  // Reads answers into `assembler` (waiting on the doorbell between polls) until `done`.
  bool assemble_until(testing::Assembler& assembler,
                      const std::function<void(testing::Answer&&)>& on_answer,
                      const std::function<bool()>& done) {
    // Not eventually(): its back-off between calls would stretch every record's round trip.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < deadline)
      if (assembler.poll(on_answer) == 0 && !done()) channel.wait_for_responses(20ms);
    return done();
  }
  // Polls (waiting up to the bound) until `want` events came; returns them. Each pass blocks on
  // the doorbell, as in assemble_until.
  std::vector<ResponseEvent> events(size_t want) {
    std::vector<ResponseEvent> got;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
      channel.poll_responses([&](ResponseEvent&& e) { got.push_back(std::move(e)); });
      if (got.size() < want) channel.wait_for_responses(20ms);
    }
    return got;
  }
};

TEST(ChannelStreamedAnswers, ChunksArriveInOrderIntactOnePerRelease) {
  StreamLog log;
  Worker w("sorder", log.worker_args());
  const std::vector<std::pair<size_t, size_t>> plans = {{1, 1}, {5, 1000}, {9, 16'000}, {40, 3}};
  testing::Assembler assembler(w.channel);
  std::map<uint64_t, testing::Answer> answers;
  uint64_t id = 1;
  for (auto [chunks, size] : plans) {
    HeaderList extra;
    if (id % 2 == 0) extra.emplace_back("x-stream-declare", "1");
    ASSERT_EQ(w.channel.try_submit(stream_request(id++, chunks, size, extra)), SubmitStatus::ok);
  }
  ASSERT_TRUE(w.assemble_until(
      assembler, [&](testing::Answer&& a) { answers[a.request_id] = std::move(a); },
      [&] { return answers.size() == plans.size(); }));
  id = 1;
  for (auto [chunks, size] : plans) {
    const testing::Answer& a = answers[id];
    EXPECT_TRUE(a.streamed);
    EXPECT_FALSE(a.aborted);
    EXPECT_EQ(a.response.status, 200);
    EXPECT_EQ(a.chunks, chunks);
    EXPECT_TRUE(a.response.body == expected_body(id, chunks, size)) << "request " << id;
    EXPECT_EQ(a.length, id % 2 == 0 ? std::optional<uint64_t>(chunks * size) : std::nullopt);
    ++id;
  }
  EXPECT_EQ(w.channel.in_flight(), 0u);
}

// No spinning and a 30 s heartbeat, and each release only once the worker sleeps: every release
// must ring it awake, or one stalled chunk blows the 10 s bound.
TEST(ChannelStreamedAnswers, EveryReleaseWakesASleepingWorker) {
  Worker w("swake", {"--heartbeat-ms", "30000"}, std::chrono::microseconds(0));
  constexpr size_t kChunks = 100;
  ASSERT_EQ(w.channel.try_submit(stream_request(1, kChunks, 10)), SubmitStatus::ok);
  size_t chunks = 0;
  for (;;) {
    std::vector<ResponseEvent> got = w.events(1);
    ASSERT_EQ(got.size(), 1u) << "stalled after " << chunks << " chunks";
    if (got[0].kind == Kind::end) break;
    chunks += got[0].kind == Kind::chunk ? 1 : 0;
    // worker_busy_for() is zero while the worker has announced sleep.
    ASSERT_TRUE(eventually([&] { return w.channel.worker_busy_for().count() == 0; }));
    w.channel.release(1);
  }
  EXPECT_EQ(chunks, kChunks);
  EXPECT_GE(w.channel.counters().worker_doorbells, kChunks);
}

TEST(ChannelStreamedAnswers, AWorkerNeverGetsMoreThanOneChunkAheadOfTheReleases) {
  StreamLog log;
  Worker w("sbound", log.worker_args());
  constexpr size_t kChunks = 20;
  ASSERT_EQ(w.channel.try_submit(stream_request(1, kChunks, 8000)), SubmitStatus::ok);
  size_t released = 0, received = 0;
  for (;;) {
    std::vector<ResponseEvent> got = w.events(1);
    ASSERT_EQ(got.size(), 1u);
    if (got[0].kind == Kind::end) break;
    if (got[0].kind == Kind::chunk) ++received;
    // The worker writes chunk k only once the record before it was released: never more.
    EXPECT_LE(log.chunks_written(1), released);
    EXPECT_EQ(received, released);
    if (received == 3) {
      // Not released: the stream stalls; nothing else comes while we hold it.
      w.channel.wait_for_responses(100ms);
      EXPECT_EQ(w.channel.poll_responses([](ResponseEvent&&) { FAIL() << "past the bound"; }), 0u);
      EXPECT_EQ(log.chunks_written(1), 3u);
    }
    w.channel.release(1);
    ++released;
  }
  EXPECT_EQ(received, kChunks);
  EXPECT_EQ(log.chunks_written(1), kChunks);
}

TEST(ChannelStreamedAnswers, ACancelReachesTheWorkersSinkWhetherItWritesOrWaits) {
  StreamLog log;
  Worker w("scancel", log.worker_args());
  // 1: the worker has the turn but writes nothing more (hangs after 2 chunks).
  ASSERT_EQ(w.channel.try_submit(stream_request(1, 10, 100, {{"x-stream-hang-after", "2"}})),
            SubmitStatus::ok);
  // 2: the supervisor holds its chunk and does not release it.
  ASSERT_EQ(w.channel.try_submit(stream_request(2, 10, 100)), SubmitStatus::ok);
  size_t chunks_of_1 = 0;
  bool holding_2 = false;
  ASSERT_TRUE(eventually([&] {
    w.channel.poll_responses([&](ResponseEvent&& e) {
      if (e.request_id == 1) {
        chunks_of_1 += e.kind == Kind::chunk ? 1 : 0;
        w.channel.release(1);
      }
      if (e.request_id == 2 && e.kind == Kind::chunk) holding_2 = true;
      if (e.request_id == 2 && e.kind == Kind::head) w.channel.release(2);
    });
    return chunks_of_1 == 2 && holding_2;
  }));
  EXPECT_FALSE(w.channel.abandon(1));
  EXPECT_FALSE(w.channel.abandon(2));
  std::vector<ResponseEvent> ends = w.events(2);
  ASSERT_EQ(ends.size(), 2u);
  for (const ResponseEvent& e : ends) {
    EXPECT_EQ(e.kind, Kind::end) << e.request_id;
    EXPECT_TRUE(e.aborted) << e.request_id;
  }
  EXPECT_TRUE(eventually([&] { return log.cancelled(1) && log.cancelled(2); }));
  EXPECT_EQ(log.chunks_written(2), 1u);  // nothing after the cancel
  EXPECT_EQ(w.channel.in_flight(), 0u);
  // The slots serve on.
  ASSERT_EQ(w.channel.try_submit(stream_request(3, 2, 10)), SubmitStatus::ok);
  testing::Assembler assembler(w.channel);
  bool done = false;
  EXPECT_TRUE(w.assemble_until(
      assembler, [&](testing::Answer&& a) { done = a.request_id == 3 && !a.aborted; },
      [&] { return done; }));
}

TEST(ChannelStreamedAnswers, AWholeAnswerIsOneRecordOrStreamedWithItsLengthWhenLarger) {
  Worker w("swhole");
  ASSERT_EQ(w.channel.try_submit(whole_request(1, 1000)), SubmitStatus::ok);
  ASSERT_EQ(w.channel.try_submit(whole_request(2, 1 << 20)), SubmitStatus::ok);
  testing::Assembler assembler(w.channel);
  std::map<uint64_t, testing::Answer> answers;
  ASSERT_TRUE(w.assemble_until(
      assembler, [&](testing::Answer&& a) { answers[a.request_id] = std::move(a); },
      [&] { return answers.size() == 2; }));
  EXPECT_FALSE(answers[1].streamed);
  EXPECT_EQ(answers[1].response.body.size(), 1000u);
  const testing::Answer& big = answers[2];
  EXPECT_TRUE(big.streamed);
  EXPECT_EQ(big.length, std::optional<uint64_t>(1 << 20));
  EXPECT_EQ(big.response.body.size(), size_t{1} << 20);
  EXPECT_EQ(testing::header_value(big.response.headers, "x-sum"),
            std::to_string(testing::fnv1a(big.response.body)));
  // As few chunks as the arena allows.
  const size_t per_chunk = options("x").slot_arena_bytes - 32;
  EXPECT_EQ(big.chunks, ((size_t{1} << 20) + per_chunk - 1) / per_chunk);
}

TEST(ChannelStreamedAnswers, AWorkerKilledMidStreamCutsThatStreamAndNothingElse) {
  StreamLog log;
  Worker w("skill", log.worker_args());
  ASSERT_EQ(w.channel.try_submit(stream_request(1, 10, 100, {{"x-stream-hang-after", "3"}})),
            SubmitStatus::ok);
  ASSERT_EQ(w.channel.try_submit(stream_request(2, 2, 100)), SubmitStatus::ok);
  testing::Assembler assembler(w.channel);
  std::map<uint64_t, testing::Answer> finished;
  ASSERT_TRUE(w.assemble_until(
      assembler, [&](testing::Answer&& a) { finished[a.request_id] = std::move(a); },
      [&] { return finished.count(2) == 1 && log.chunks_written(1) == 3; }));
  // 3: answered whole, its record not read before the worker dies.
  ASSERT_EQ(w.channel.try_submit(whole_request(3, 10)), SubmitStatus::ok);
  ASSERT_TRUE(eventually([&] { return w.channel.counters().responded >= 2; }));
  ::kill(w.pid, SIGKILL);
  testing::wait_exit_status(w.pid);
  w.pid = -1;
  SupervisorChannel::Reaped reaped = w.channel.reap_after_death();
  EXPECT_EQ(reaped.taken, (std::vector<uint64_t>{1}));  // mid-stream: its client's body is cut
  EXPECT_TRUE(reaped.not_taken.empty());
  ASSERT_EQ(reaped.completed.size(), 1u);
  EXPECT_EQ(reaped.completed[0].request_id, 3u);
  EXPECT_EQ(reaped.completed[0].kind, Kind::whole);
  EXPECT_FALSE(finished[2].aborted);  // the stream that had ended is intact
  EXPECT_EQ(finished[2].response.body, expected_body(2, 2, 100));
  EXPECT_EQ(assembler.open_streams(), 1u);  // 1 was never finished by the worker
}

}  // namespace
}  // namespace wsup

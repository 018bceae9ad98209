// Two real processes: a stream of records of random sizes both ways, checked end to end.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>

#include "shared/channel.h"
#include "tests/shared/ipc_test_support.h"
#include "tests/support/eventually.h"

namespace wsup {
namespace {

using testing::fnv1a;
using testing::header_value;
using testing::make_body;

uint64_t record_count() {
  if (const char* env = std::getenv("WSUP_IPC_RECORDS")) return std::strtoull(env, nullptr, 10);
#if defined(__SANITIZE_THREAD__)
  return 30'000;
#elif defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)
  return 1'000'000;
#else
  return 100'000;  // debug and sanitizer builds; WSUP_IPC_RECORDS=5000000 for a long run
#endif
}

// Mostly small, sometimes past one arena (16 KiB here), rarely far past it (a request's spill
// object; a response streamed in chunks).
size_t random_size(std::mt19937_64& rng) {
  uint64_t pick = rng() % 1000;
  if (pick < 950) return rng() % 256;
  if (pick < 998) return rng() % 24'000;
  return rng() % 300'000;
}

HttpRequest make_request(uint64_t seq, size_t body_size, size_t response_size) {
  HttpRequest r;
  r.id = seq + 1;
  r.script = "stream";
  r.method = "POST";
  r.url = "http://127.0.0.1/stream/" + std::to_string(seq);
  r.body = make_body(seq, body_size);
  r.headers = {{"x-seq", std::to_string(seq)},
               {"x-sum", std::to_string(fnv1a(r.body))},
               {"x-resp-size", std::to_string(response_size)}};
  return r;
}

ChannelOptions stream_options(const char* instance) {
  ChannelOptions o;
  o.instance_id = instance;
  o.worker_id = 1;
  o.slots = 32;
  o.slot_arena_bytes = 16 * 1024;
  return o;
}

TEST(ChannelStream, RandomSizedRecordsBothWaysArriveOnceIntactRequestsInOrder) {
  auto channel = SupervisorChannel::create(stream_options("stream"));
  pid_t worker = testing::spawn_worker(WSUP_IPC_TEST_WORKER, channel);
  const uint64_t total = record_count();
  std::mt19937_64 rng(42);
  uint64_t submitted = 0, received = 0, bad = 0, bytes = 0, streamed = 0;
  std::optional<HttpRequest> pending;
  testing::Assembler assembler(channel);
  std::vector<bool> answered(total, false);
  auto start = std::chrono::steady_clock::now();
  while (received < total) {
    while (submitted < total) {
      if (!pending) pending = make_request(submitted, random_size(rng), random_size(rng));
      SubmitStatus status = channel.try_submit(*pending);
      if (status == SubmitStatus::full) break;
      ASSERT_EQ(status, SubmitStatus::ok);
      bytes += pending->body.size();
      pending.reset();
      ++submitted;
    }
    size_t got = assembler.poll([&](testing::Answer&& c) {
      // The worker takes and checks the requests in order (x-seq); a streamed answer ends after
      // answers to later requests, so each is matched by its id, and each arrives once.
      ++received;
      const uint64_t seq = c.request_id - 1;
      bool ok = c.error == ChannelError::none && !c.aborted && seq < total && !answered[seq] &&
                c.response.status == 200 &&
                header_value(c.response.headers, "x-seq") == std::to_string(seq) &&
                header_value(c.response.headers, "x-sum") == std::to_string(fnv1a(c.response.body));
      if (seq < total) answered[seq] = true;
      bytes += c.response.body.size();
      streamed += c.streamed ? 1 : 0;
      if (!ok && bad++ < 5) {
        ADD_FAILURE() << "answer " << seq << " error=" << to_string(c.error)
                      << " id=" << c.request_id << " status=" << c.response.status;
      }
    });
    if (got == 0 && received < total) channel.wait_for_responses(std::chrono::milliseconds(200));
    ASSERT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(120));
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(bad, 0u);
  EXPECT_GT(streamed, 0u);  // the responses past one record came as streams
  EXPECT_EQ(channel.in_flight(), 0u);
  ChannelCounters counters = channel.counters();
  EXPECT_EQ(counters.submitted, total);
  EXPECT_EQ(counters.taken, total);
  EXPECT_EQ(counters.responded, total);
  EXPECT_EQ(counters.corrupt, 0u);
  std::printf("%llu records, %.1f MB, %.2f s; doorbells to worker %llu, to supervisor %llu\n",
              static_cast<unsigned long long>(total), static_cast<double>(bytes) / 1e6, seconds,
              static_cast<unsigned long long>(counters.worker_doorbells),
              static_cast<unsigned long long>(counters.supervisor_doorbells));

  HttpRequest quit;
  quit.id = total + 1;
  quit.method = "QUIT";
  ASSERT_EQ(channel.try_submit(quit), SubmitStatus::ok);
  int status = testing::wait_exit_status(worker);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// No spinning, so every exchange goes through announce-sleep-ring; the worker's timed wait is
// 30 s and ours is too, so a single lost wake-up would blow the time limit.
TEST(ChannelStream, SleepingConsumersAreAlwaysWokenWithoutTimeouts) {
  auto options = stream_options("wake");
  options.spin = std::chrono::microseconds(0);
  auto channel = SupervisorChannel::create(options);
  pid_t worker = testing::spawn_worker(WSUP_IPC_TEST_WORKER, channel,
                                       {"--mode", "bench:10", "--heartbeat-ms", "30000"});
  std::mt19937_64 rng(1);
  auto start = std::chrono::steady_clock::now();
  uint64_t id = 1, received = 0;
  constexpr uint64_t kExchanges = 3000;
  while (id <= kExchanges) {
    // Bursts of 1..3 requests, so both sides keep falling asleep and being rung.
    uint64_t burst = 1 + rng() % 3;
    uint64_t sent = 0;
    for (; sent < burst && id <= kExchanges; ++sent) {
      HttpRequest r;
      r.id = id++;
      r.method = "GET";
      ASSERT_EQ(channel.try_submit(r), SubmitStatus::ok);
    }
    uint64_t want = received + sent;
    while (received < want) {
      if (channel.poll_responses([&](ResponseEvent&&) { ++received; }) == 0) {
        channel.wait_for_responses(std::chrono::milliseconds(30'000));
      }
    }
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(20));
  ChannelCounters counters = channel.counters();
  EXPECT_GT(counters.worker_doorbells, 0u);
  EXPECT_GT(counters.supervisor_sleeps, 0u);
  HttpRequest quit;
  quit.id = id;
  quit.method = "QUIT";
  ASSERT_EQ(channel.try_submit(quit), SubmitStatus::ok);
  EXPECT_EQ(testing::wait_exit_status(worker), 0);
}

TEST(ChannelStream, ManySubmittingThreadsShareOneRing) {
  auto options = stream_options("threads");
  auto channel = SupervisorChannel::create(options);
  // The worker checks x-seq order, which concurrent submitters cannot keep: use bench mode.
  pid_t worker = testing::spawn_worker(WSUP_IPC_TEST_WORKER, channel, {"--mode", "bench:100"});
  constexpr int kThreads = 4;
  constexpr uint64_t kPerThread = 20'000;
  std::atomic<uint64_t> received{0};
  std::vector<uint8_t> seen(kThreads * kPerThread + 1, 0);
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      channel.poll_responses([&](ResponseEvent&& c) {
        if (c.error == ChannelError::none && c.request_id < seen.size()) ++seen[c.request_id];
        received.fetch_add(1);
      });
      channel.wait_for_responses(std::chrono::milliseconds(50));
    }
  });
  std::vector<std::thread> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&, t] {
      for (uint64_t i = 0; i < kPerThread; ++i) {
        HttpRequest r;
        r.id = t * kPerThread + i + 1;
        r.method = "GET";
        r.body = std::string(i % 300, 'x');
        while (channel.try_submit(r) == SubmitStatus::full) std::this_thread::yield();
      }
    });
  }
  for (auto& s : submitters) s.join();
  EXPECT_TRUE(testing::eventually([&] { return received.load() >= kThreads * kPerThread; },
                                  std::chrono::seconds(60)));
  stop.store(true);
  reader.join();
  EXPECT_EQ(received.load(), kThreads * kPerThread);
  for (uint64_t id = 1; id < seen.size(); ++id) ASSERT_EQ(seen[id], 1) << "id " << id;
  HttpRequest quit;
  quit.id = seen.size() + 1;
  quit.method = "QUIT";
  ASSERT_EQ(channel.try_submit(quit), SubmitStatus::ok);
  EXPECT_EQ(testing::wait_exit_status(worker), 0);
}

}  // namespace
}  // namespace wsup

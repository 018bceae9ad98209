// The dispatcher's callback path: on_done runs exactly once, on whichever thread settles the
// request (refusal, response, timer, cancel, worker death, shutdown), never under its lock.
#include <gtest/gtest.h>

#include <map>

#include "dispatcher_test_support.h"
#include "supervisor/dispatcher.h"

using namespace wsup;
using namespace wsup::supervisor;
using namespace wsup::supervisor::testing;
using namespace std::chrono_literals;

TEST(Dispatcher, ClientThatHangsUpGetsItsQueuedRequestWithdrawn) {
  Dispatcher d({});
  auto ch = std::make_shared<FakeChannel>(4);
  d.add_endpoint(1, 0, 4, ch);
  auto result = submit(d, request(5), far());
  ASSERT_TRUE(wait_queued(*ch, 1));
  d.cancel(5);
  ASSERT_EQ(result.wait_for(0s), std::future_status::ready);  // settled by cancel() itself
  EXPECT_EQ(result.get().outcome, Outcome::client_gone);
  EXPECT_EQ(ch->cancelled(), 1);
  EXPECT_EQ(d.outstanding(1), 0u);
  d.cancel(5);  // settled already: nothing happens
}

TEST(Dispatcher, ClientThatHangsUpAfterTheWorkerTookItsRequestFreesTheSlotOnlyWithTheResponse) {
  Dispatcher d({});
  auto ch = std::make_shared<FakeChannel>(4);
  d.add_endpoint(1, 0, 4, ch);
  auto result = submit(d, request(5), far());
  ch->take(5);
  d.cancel(5);
  EXPECT_EQ(result.get().outcome, Outcome::client_gone);
  EXPECT_EQ(d.outstanding(1), 1u);  // the worker still runs it
  d.complete(1, response(5, 200));  // dropped
  EXPECT_EQ(d.outstanding(1), 0u);
}

TEST(Dispatcher, RefusedRequestIsSettledBeforeDispatchReturns) {
  Dispatcher d({});
  d.close();
  auto result = submit(d, request(1), far());
  ASSERT_EQ(result.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(result.get().outcome, Outcome::shutting_down);
}

TEST(Dispatcher, OnDoneRunsWithoutTheDispatchersLock) {
  Dispatcher d({});
  auto ch = std::make_shared<FakeChannel>(4);
  d.add_endpoint(1, 0, 4, ch);
  std::promise<size_t> pending_seen;
  // Calling back into the dispatcher from on_done would deadlock if the lock were held.
  d.dispatch(request(1), far(), [&](DispatchResult) { pending_seen.set_value(d.total_pending()); });
  d.complete(1, response(1, 200));
  EXPECT_EQ(pending_seen.get_future().get(), 0u);
}

TEST(Dispatcher, DestroyingTheDispatcherSettlesWhatIsStillPending) {
  auto ch = std::make_shared<FakeChannel>(4);
  std::future<DispatchResult> result;
  {
    Dispatcher d({});
    d.add_endpoint(1, 0, 4, ch);
    result = submit(d, request(1), far());
  }
  EXPECT_EQ(result.get().outcome, Outcome::shutting_down);
}

TEST(Dispatcher, TimedOutRequestsAreSettledByTheTimerWithoutAnyoneWaiting) {
  Dispatcher d({});
  auto ch = std::make_shared<FakeChannel>(64);
  d.add_endpoint(1, 0, 64, ch);
  std::vector<std::future<DispatchResult>> results;
  auto start = std::chrono::steady_clock::now();
  for (uint64_t id = 1; id <= 50; ++id)  // deadlines in reverse order of submission
    results.push_back(submit(d, request(id), start + std::chrono::milliseconds(100 - id)));
  for (auto& r : results) {
    ASSERT_EQ(r.wait_for(2s), std::future_status::ready);
    EXPECT_EQ(r.get().outcome, Outcome::timed_out);
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  EXPECT_EQ(d.outstanding(1), 0u);
  EXPECT_EQ(d.total_pending(), 0u);
}

// Every way a request can end, racing on four threads: each request's on_done runs exactly once,
// and nothing is left pending or in a ring.
TEST(Dispatcher, EachRequestIsSettledExactlyOnceWhenResponseTimeoutCancelAndDeathRace) {
  constexpr int kRounds = 200;
  constexpr uint64_t kPerRound = 8;
  std::atomic<int> calls{0};
  std::map<uint64_t, int> per_request;
  std::mutex per_request_mutex;
  Dispatcher d({});
  uint64_t next_id = 1;
  for (int round = 0; round < kRounds; ++round) {
    auto dying = std::make_shared<FakeChannel>(kPerRound);
    const EndpointId endpoint = static_cast<EndpointId>(round + 1);
    d.add_endpoint(endpoint, 0, kPerRound, dying);
    const uint64_t first = next_id;
    for (uint64_t i = 0; i < kPerRound; ++i, ++next_id) {
      // Half of them time out around the moment the others race.
      auto deadline = std::chrono::steady_clock::now() + (i % 2 ? 10s : 1ms);
      d.dispatch(request(next_id), deadline, [&, id = next_id](DispatchResult) {
        calls.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard lock(per_request_mutex);
        ++per_request[id];
      });
      if (i % 3 == 0) dying->take(next_id);
    }
    std::thread responder([&] {
      for (uint64_t id = first; id < first + kPerRound; id += 2)
        d.complete(endpoint, response(id, 200));
    });
    std::thread canceller([&] {
      for (uint64_t id = first; id < first + kPerRound; ++id) d.cancel(id);
    });
    std::thread killer([&] {
      std::set<uint64_t> taken;
      for (uint64_t id = first; id < first + kPerRound; id += 3) taken.insert(id);
      d.endpoint_died(endpoint, taken);
    });
    responder.join();
    canceller.join();
    killer.join();
  }
  // Requests re-queued by endpoint_died and not cancelled would wait: there are none, since the
  // canceller visits every id after dispatch. The timer settles the 1 ms deadlines on its own
  // thread: wait for it.
  EXPECT_TRUE(wsup::testing::eventually(
      [&] { return calls.load() >= kRounds * static_cast<int>(kPerRound); }));
  EXPECT_EQ(calls.load(), kRounds * static_cast<int>(kPerRound));
  std::lock_guard lock(per_request_mutex);
  for (const auto& [id, n] : per_request) EXPECT_EQ(n, 1) << "request " << id;
  EXPECT_EQ(d.total_pending(), 0u);
}

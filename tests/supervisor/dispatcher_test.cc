#include "supervisor/dispatcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

using namespace wsup;
using namespace wsup::supervisor;
using namespace std::chrono_literals;

namespace {

// An in-memory worker ring: holds up to `capacity` submitted requests.
class FakeChannel : public RequestChannel {
 public:
  explicit FakeChannel(size_t capacity) : capacity_(capacity) {}
  SubmitResult try_submit(const HttpRequest& r) override {
    std::lock_guard lock(mutex_);
    if (r.body.size() > 1000) return SubmitResult::too_large;
    if (queued_.size() >= capacity_) return SubmitResult::full;
    queued_.push_back(r.id);
    return SubmitResult::accepted;
  }
  bool try_cancel(uint64_t id) override {
    std::lock_guard lock(mutex_);
    if (taken_.count(id)) return false;
    std::erase(queued_, id);
    ++cancelled_;
    return true;
  }
  void take(uint64_t id) {
    std::lock_guard lock(mutex_);
    taken_.insert(id);
  }
  void answered(uint64_t id) {
    std::lock_guard lock(mutex_);
    std::erase(queued_, id);
  }
  std::vector<uint64_t> queued() {
    std::lock_guard lock(mutex_);
    return queued_;
  }
  int cancelled() {
    std::lock_guard lock(mutex_);
    return cancelled_;
  }
  // As if the worker's thread had been running one request for a long time.
  std::chrono::nanoseconds busy_for() const override { return busy ? 10ms : 0ms; }
  std::atomic<bool> busy{false};

 private:
  std::mutex mutex_;
  size_t capacity_;
  std::vector<uint64_t> queued_;
  std::set<uint64_t> taken_;
  int cancelled_ = 0;
};

HttpRequest request(uint64_t id, size_t body = 0) {
  HttpRequest r;
  r.id = id;
  r.method = "GET";
  r.body.assign(body, 'x');
  return r;
}

HttpResponse response(uint64_t id, uint16_t status) {
  HttpResponse r;
  r.id = id;
  r.status = status;
  r.body = "from worker";
  return r;
}

auto far() {
  return std::chrono::steady_clock::now() + 10s;
}

// dispatch() with a future for its settlement, as a front would await it. A second call of
// on_done would throw std::future_error (promise already satisfied) and fail the test.
std::future<DispatchResult> submit(Dispatcher& d, HttpRequest r,
                                   std::chrono::steady_clock::time_point deadline) {
  auto promise = std::make_shared<std::promise<DispatchResult>>();
  std::future<DispatchResult> settled = promise->get_future();
  d.dispatch(std::move(r), deadline,
             [promise](DispatchResult result) { promise->set_value(std::move(result)); });
  return settled;
}

// Blocks until the settlement, as the blocking handle() of the threaded front did.
DispatchResult settle(Dispatcher& d, HttpRequest r,
                      std::chrono::steady_clock::time_point deadline) {
  return submit(d, std::move(r), deadline).get();
}

// Waits (bounded) until `channel` holds `n` requests.
bool wait_queued(FakeChannel& channel, size_t n) {
  for (int i = 0; i < 1000; ++i) {
    if (channel.queued().size() >= n) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

}  // namespace

TEST(PickLeastOutstanding, SkipsUnroutableAndFullEndpoints) {
  std::vector<EndpointLoad> loads = {
      {1, false, 0, 4},  // draining
      {2, true, 4, 4},   // full
      {3, true, 2, 4},
      {4, true, 1, 4},
  };
  EXPECT_EQ(pick_least_outstanding(loads), 3u);
  loads[3].routable = false;
  EXPECT_EQ(pick_least_outstanding(loads), 2u);
  loads[2].outstanding = 4;
  EXPECT_EQ(pick_least_outstanding(loads), std::nullopt);
}

TEST(PickLeastOutstanding, TiesGoToTheFirstListed) {
  std::vector<EndpointLoad> loads = {{7, true, 1, 4}, {8, true, 1, 4}};
  EXPECT_EQ(pick_least_outstanding(loads), 0u);
}

TEST(PickLeastOutstanding, BusyWorkersComeLastEvenWithFewerOutstanding) {
  std::vector<EndpointLoad> loads = {{7, true, 0, 4, true}, {8, true, 2, 4, false}};
  EXPECT_EQ(pick_least_outstanding(loads), 1u);
  loads[1].outstanding = 4;  // full: the busy one is better than nothing
  EXPECT_EQ(pick_least_outstanding(loads), 0u);
}

TEST(Dispatcher, QueuedRequestIsTakenBackFromAWorkerThatBecameBusyAndServedElsewhere) {
  Dispatcher d({});
  auto a = std::make_shared<FakeChannel>(8);
  auto b = std::make_shared<FakeChannel>(8);
  d.add_endpoint(1, 0, 8, a);
  d.add_endpoint(2, 1, 8, b);
  auto result = submit(d, request(7), far());
  ASSERT_TRUE(wait_queued(*a, 1));  // both idle: the first listed gets it
  a->busy = true;                   // a's thread is stuck in an earlier request
  ASSERT_TRUE(wait_queued(*b, 1));
  EXPECT_EQ(a->cancelled(), 1);
  EXPECT_TRUE(a->queued().empty());
  EXPECT_EQ(d.outstanding(1), 0u);
  d.complete(2, response(7, 200));
  DispatchResult r = result.get();
  EXPECT_EQ(r.outcome, Outcome::response);
  EXPECT_EQ(r.worker, 1);
}

TEST(Dispatcher, TakenRequestStaysWithItsBusyWorker) {
  Dispatcher d({});
  auto a = std::make_shared<FakeChannel>(8);
  auto b = std::make_shared<FakeChannel>(8);
  d.add_endpoint(1, 0, 8, a);
  d.add_endpoint(2, 1, 8, b);
  auto result = submit(d, request(7), far());
  ASSERT_TRUE(wait_queued(*a, 1));
  a->take(7);  // the worker took it, then got busy running it
  a->busy = true;
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(b->queued().empty());
  EXPECT_EQ(a->cancelled(), 0);
  d.complete(1, response(7, 200));
  EXPECT_EQ(result.get().worker, 0);
}

TEST(Dispatcher, ResponseCompletesTheWaitingHandlerWithTheScriptsResponse) {
  Dispatcher d({});
  auto ch = std::make_shared<FakeChannel>(4);
  d.add_endpoint(1, 0, 4, ch);
  auto result = submit(d, request(42), far());
  ASSERT_TRUE(wait_queued(*ch, 1));
  d.complete(1, response(42, 201));
  DispatchResult r = result.get();
  EXPECT_EQ(r.outcome, Outcome::response);
  EXPECT_EQ(r.response.status, 201);
  EXPECT_EQ(r.response.body, "from worker");
  EXPECT_EQ(r.worker, 0);
  EXPECT_EQ(d.outstanding(1), 0u);
}

TEST(Dispatcher, NewRequestsGoToTheWorkerWithFewestOutstanding) {
  Dispatcher d({});
  auto a = std::make_shared<FakeChannel>(8);
  auto b = std::make_shared<FakeChannel>(8);
  d.add_endpoint(1, 0, 8, a);
  d.add_endpoint(2, 1, 8, b);
  std::vector<std::future<DispatchResult>> waiting;
  for (uint64_t id = 1; id <= 4; ++id) {
    waiting.push_back(submit(d, request(id), far()));
    ASSERT_TRUE(wait_queued(*a, (id + 1) / 2));
    ASSERT_TRUE(wait_queued(*b, id / 2));
  }
  EXPECT_EQ(a->queued().size(), 2u);
  EXPECT_EQ(b->queued().size(), 2u);
  // Answer both of a's: the next request must go to a.
  for (uint64_t id : a->queued()) d.complete(1, response(id, 200));
  auto next = submit(d, request(5), far());
  ASSERT_TRUE(wait_queued(*a, 3));
  EXPECT_EQ(a->queued().back(), 5u);
  for (uint64_t id : b->queued()) d.complete(2, response(id, 200));
  d.complete(1, response(5, 200));
  for (auto& f : waiting) EXPECT_EQ(f.get().outcome, Outcome::response);
  EXPECT_EQ(next.get().outcome, Outcome::response);
}

TEST(Dispatcher, DrainingWorkerGetsNoNewRequests) {
  Dispatcher d({});
  auto a = std::make_shared<FakeChannel>(8);
  auto b = std::make_shared<FakeChannel>(8);
  d.add_endpoint(1, 0, 8, a);
  d.add_endpoint(2, 1, 8, b);
  d.drain_endpoint(1);
  auto r = submit(d, request(9), far());
  ASSERT_TRUE(wait_queued(*b, 1));
  EXPECT_TRUE(a->queued().empty());
  d.complete(2, response(9, 200));
  EXPECT_EQ(r.get().worker, 1);
}

TEST(Dispatcher, FullRingsOverflowAndAreServedWhenASlotFrees) {
  Dispatcher d({.overflow_limit = 4});
  auto ch = std::make_shared<FakeChannel>(1);
  d.add_endpoint(1, 0, 1, ch);
  auto first = submit(d, request(1), far());
  ASSERT_TRUE(wait_queued(*ch, 1));
  auto second = submit(d, request(2), far());
  for (int i = 0; i < 1000 && d.overflow_depth() == 0; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(d.overflow_depth(), 1u);
  ch->answered(1);
  d.complete(1, response(1, 200));
  ASSERT_TRUE(wait_queued(*ch, 1));
  EXPECT_EQ(ch->queued().front(), 2u);
  EXPECT_EQ(d.overflow_depth(), 0u);
  d.complete(1, response(2, 200));
  EXPECT_EQ(first.get().outcome, Outcome::response);
  EXPECT_EQ(second.get().outcome, Outcome::response);
}

TEST(Dispatcher, OverflowBeyondItsLimitIsOverloaded) {
  Dispatcher d({.overflow_limit = 0});
  auto ch = std::make_shared<FakeChannel>(1);
  d.add_endpoint(1, 0, 1, ch);
  auto first = submit(d, request(1), far());
  ASSERT_TRUE(wait_queued(*ch, 1));
  EXPECT_EQ(settle(d, request(2), far()).outcome, Outcome::overloaded);
  d.complete(1, response(1, 200));
  first.get();
}

TEST(Dispatcher, WallTimeRunsOutWithTimedOutAndTheQueuedRequestIsCancelled) {
  Dispatcher d({});
  auto ch = std::make_shared<FakeChannel>(4);
  d.add_endpoint(1, 0, 4, ch);
  DispatchResult r = settle(d, request(3), std::chrono::steady_clock::now() + 20ms);
  EXPECT_EQ(r.outcome, Outcome::timed_out);
  EXPECT_EQ(ch->cancelled(), 1);
  EXPECT_EQ(d.outstanding(1), 0u);
}

TEST(Dispatcher, LateResponseOfATakenTimedOutRequestIsDroppedAndFreesTheSlot) {
  Dispatcher d({});
  auto ch = std::make_shared<FakeChannel>(4);
  d.add_endpoint(1, 0, 4, ch);
  ch->take(3);
  DispatchResult r = settle(d, request(3), std::chrono::steady_clock::now() + 20ms);
  EXPECT_EQ(r.outcome, Outcome::timed_out);
  EXPECT_EQ(d.outstanding(1), 1u);  // the worker still runs it
  d.complete(1, response(3, 200));
  EXPECT_EQ(d.outstanding(1), 0u);
}

TEST(Dispatcher, WorkerDeathFailsTakenRequestsAndRedispatchesTheRest) {
  Dispatcher d({});
  auto dying = std::make_shared<FakeChannel>(4);
  d.add_endpoint(1, 0, 4, dying);
  auto taken = submit(d, request(1), far());
  ASSERT_TRUE(wait_queued(*dying, 1));
  auto queued = submit(d, request(2), far());
  ASSERT_TRUE(wait_queued(*dying, 2));

  auto survivor = std::make_shared<FakeChannel>(4);
  d.add_endpoint(2, 1, 4, survivor);
  d.endpoint_died(1, {1});
  EXPECT_EQ(taken.get().outcome, Outcome::worker_died);
  ASSERT_TRUE(wait_queued(*survivor, 1));
  EXPECT_EQ(survivor->queued().front(), 2u);
  d.complete(2, response(2, 200));
  DispatchResult r = queued.get();
  EXPECT_EQ(r.outcome, Outcome::response);
  EXPECT_EQ(r.worker, 1);
}

TEST(Dispatcher, RequestTooLargeForEveryWorkerIsRefused) {
  Dispatcher d({});
  d.add_endpoint(1, 0, 4, std::make_shared<FakeChannel>(4));
  EXPECT_EQ(settle(d, request(1, 5000), far()).outcome, Outcome::too_large);
}

TEST(Dispatcher, WithNoWorkerAtAllTheWaitEndsAsNoWorker) {
  Dispatcher d({});
  auto r = settle(d, request(1), std::chrono::steady_clock::now() + 10ms);
  EXPECT_EQ(r.outcome, Outcome::no_worker);
}

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

TEST(Dispatcher, WhenNoWorkerCanComeBackRequestsAreRefusedAtOnce) {
  Dispatcher d({});
  d.set_no_worker_expected(true);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(settle(d, request(1), far()).outcome, Outcome::no_worker);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(Dispatcher, ClosedDispatcherRefusesNewRequests) {
  Dispatcher d({});
  d.add_endpoint(1, 0, 4, std::make_shared<FakeChannel>(4));
  d.close();
  EXPECT_EQ(settle(d, request(1), far()).outcome, Outcome::shutting_down);
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
  // canceller visits every id after dispatch. Give the timer a moment for the 1 ms deadlines.
  for (int i = 0; i < 200 && calls.load() < kRounds * static_cast<int>(kPerRound); ++i)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(calls.load(), kRounds * static_cast<int>(kPerRound));
  std::lock_guard lock(per_request_mutex);
  for (const auto& [id, n] : per_request) EXPECT_EQ(n, 1) << "request " << id;
  EXPECT_EQ(d.total_pending(), 0u);
}

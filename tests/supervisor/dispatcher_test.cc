#include "supervisor/dispatcher.h"

#include <gtest/gtest.h>

#include "dispatcher_test_support.h"

using namespace wsup;
using namespace wsup::supervisor;
using namespace wsup::supervisor::testing;
using namespace std::chrono_literals;

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
  // The timer's steal-back check tries to withdraw it and is refused: it stays where it runs.
  ASSERT_TRUE(wsup::testing::eventually([&] { return a->cancel_attempts() >= 1; }));
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
  ASSERT_TRUE(wsup::testing::eventually([&] { return d.overflow_depth() == 1; }));
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

TEST(Dispatcher, WhenNoWorkerCanComeBackRequestsAreRefusedAtOnce) {
  Dispatcher d({});
  d.set_no_worker_expected(true);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(settle(d, request(1), far()).outcome, Outcome::no_worker);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

// The last worker died with requests it had not taken, and then was marked failed: those
// requests get 503 at once too, not at the end of their wall time.
TEST(Dispatcher, RequestsWaitingForAWorkerAreAnsweredWhenNoneCanComeBack) {
  Dispatcher d({});
  auto last = std::make_shared<FakeChannel>(4);
  d.add_endpoint(1, 0, 4, last);
  auto queued = submit(d, request(1), far());
  ASSERT_TRUE(wait_queued(*last, 1));
  d.endpoint_died(1, {});  // not taken: it waits for another worker
  EXPECT_EQ(queued.wait_for(0ms), std::future_status::timeout);
  d.set_no_worker_expected(true);
  ASSERT_EQ(queued.wait_for(0ms), std::future_status::ready);
  EXPECT_EQ(queued.get().outcome, Outcome::no_worker);
  EXPECT_EQ(d.total_pending(), 0u);
}

TEST(Dispatcher, ClosedDispatcherRefusesNewRequests) {
  Dispatcher d({});
  d.add_endpoint(1, 0, 4, std::make_shared<FakeChannel>(4));
  d.close();
  EXPECT_EQ(settle(d, request(1), far()).outcome, Outcome::shutting_down);
}

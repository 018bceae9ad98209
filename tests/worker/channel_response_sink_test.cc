// ChannelResponseSink and ChannelSinks over a real segment, both ends in this process: the
// ResponseSink contract (worker/response_sink.h) as the runtime sees it, driven step by step.
#include "worker/channel_response_sink.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <string>

#include "tests/shared/channel_pair.h"
#include "worker/channel_sinks.h"

namespace wsup::worker {
namespace {

using Kind = ResponseEvent::Kind;
using wsup::testing::poll_all;

// A pair, the router, and the deferred callbacks a loop would run.
struct Fixture {
  wsup::testing::Pair p = wsup::testing::make_pair();
  std::deque<std::function<void()>> deferred;
  ChannelSinks sinks{p.worker, [this](std::function<void()> f) { deferred.push_back(f); }};
  int finished = 0;

  std::shared_ptr<ChannelResponseSink> take(uint64_t id) {
    EXPECT_EQ(p.supervisor.try_submit(wsup::testing::request(id)), SubmitStatus::ok);
    TakeResult t = p.worker.try_take();
    EXPECT_EQ(t.kind, TakeResult::Kind::request);
    return sinks.open(id, [this] { ++finished; });
  }
  // What the worker's ring says next, routed to its sink as the service does. The kind.
  TakeResult::Kind route() {
    TakeResult t = p.worker.try_take();
    sinks.route(t);
    return t.kind;
  }
  void run_deferred() {
    while (!deferred.empty()) {
      auto f = std::move(deferred.front());
      deferred.pop_front();
      f();
    }
  }
};

TEST(ChannelResponseSink, AWholeResponseThatFitsIsOneRecord) {
  Fixture f;
  auto sink = f.take(1);
  sink->respond({0, 201, {{"k", "v"}}, "small"});
  EXPECT_EQ(f.finished, 1);
  EXPECT_EQ(f.sinks.open_count(), 0u);
  auto events = poll_all(f.p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::whole);
  EXPECT_EQ(events[0].response.status, 201);
  EXPECT_EQ(events[0].response.body, "small");
}

TEST(ChannelResponseSink, ALargerWholeResponseStreamsItselfOneChunkPerRelease) {
  Fixture f;
  auto sink = f.take(1);
  int ready_calls = 0;
  sink->on_ready = [&] { ++ready_calls; };
  std::string body;
  for (int i = 0; i < 20'000; ++i) body += static_cast<char>('a' + i % 26);
  sink->respond({0, 200, {{"k", "v"}}, body});
  auto events = poll_all(f.p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].kind, Kind::head);
  EXPECT_EQ(events[0].length, std::optional<uint64_t>(body.size()));
  EXPECT_EQ(events[0].response.headers, (HeaderList{{"k", "v"}}));
  std::string got;
  for (;;) {
    EXPECT_EQ(f.finished, 0);  // the channel still holds it until the end went out
    f.p.supervisor.release(1);
    ASSERT_EQ(f.route(), TakeResult::Kind::released);
    events = poll_all(f.p.supervisor);
    ASSERT_EQ(events.size(), 1u);
    if (events[0].kind == Kind::end) break;
    ASSERT_EQ(events[0].kind, Kind::chunk);
    EXPECT_LE(events[0].chunk.size(), sink->max_chunk_bytes());
    got += events[0].chunk;
  }
  EXPECT_FALSE(events[0].aborted);
  EXPECT_TRUE(got == body);
  EXPECT_EQ(f.finished, 1);
  EXPECT_EQ(ready_calls, 0);  // the runtime answered whole: the streaming is the sink's own
}

TEST(ChannelResponseSink, ReadyOnlyWhileTheWorkerHoldsTheTurn) {
  Fixture f;
  auto sink = f.take(1);
  int ready_calls = 0;
  sink->on_ready = [&] { ++ready_calls; };
  sink->begin({0, 200, {}, "ignored body"}, std::nullopt);
  EXPECT_FALSE(sink->ready());  // the head is out, not yet released
  auto events = poll_all(f.p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::head);
  // The supervisor does not release: however often the loop looks, the sink stays not ready.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(f.route(), TakeResult::Kind::empty);
  EXPECT_FALSE(sink->ready());
  EXPECT_EQ(ready_calls, 0);
  f.p.supervisor.release(1);
  EXPECT_EQ(f.route(), TakeResult::Kind::released);
  EXPECT_EQ(ready_calls, 1);
  EXPECT_TRUE(sink->ready());
  sink->write("one");
  EXPECT_FALSE(sink->ready());
  events = poll_all(f.p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].chunk, "one");
  f.p.supervisor.release(1);
  EXPECT_EQ(f.route(), TakeResult::Kind::released);
  EXPECT_EQ(ready_calls, 2);
  sink->end(false);
  events = poll_all(f.p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::end);
  EXPECT_FALSE(events[0].aborted);
  EXPECT_EQ(f.finished, 1);
  EXPECT_FALSE(sink->ready());
}

TEST(ChannelResponseSink, AWriteLargerThanOneChunkIsSplitAcrossTurns) {
  Fixture f;
  auto sink = f.take(1);
  sink->begin({0, 200, {}, {}}, std::nullopt);
  poll_all(f.p.supervisor);
  f.p.supervisor.release(1);
  f.route();
  const std::string big(sink->max_chunk_bytes() * 2 + 10, 'z');
  sink->write(big);
  sink->end(false);  // after the rest of the write
  std::string got;
  bool ended = false;
  while (!ended) {
    EXPECT_FALSE(sink->ready());
    auto events = poll_all(f.p.supervisor);
    ASSERT_EQ(events.size(), 1u);
    if (events[0].kind == Kind::chunk) got += events[0].chunk;
    ended = events[0].kind == Kind::end;
    if (!ended) {
      f.p.supervisor.release(1);
      f.route();
    }
  }
  EXPECT_EQ(got.size(), big.size());
  EXPECT_EQ(f.finished, 1);
}

TEST(ChannelResponseSink, ACancelFiresOnCancelOnceAndLaterCallsAreIgnored) {
  Fixture f;
  auto sink = f.take(1);
  int cancels = 0, readies = 0;
  sink->on_cancel = [&] { ++cancels; };
  sink->on_ready = [&] { ++readies; };
  sink->begin({0, 200, {}, {}}, std::nullopt);
  poll_all(f.p.supervisor);
  EXPECT_FALSE(f.p.supervisor.abandon(1));  // the client hung up
  EXPECT_EQ(f.route(), TakeResult::Kind::cancelled);
  EXPECT_EQ(cancels, 1);
  EXPECT_EQ(f.finished, 1);
  EXPECT_FALSE(sink->ready());
  sink->write("nobody reads this");
  sink->end(true);  // what the runtime does after on_cancel
  EXPECT_EQ(readies, 0);
  auto events = poll_all(f.p.supervisor);
  ASSERT_EQ(events.size(), 1u);  // the channel's own answer to the cancel
  EXPECT_EQ(events[0].kind, Kind::end);
  EXPECT_TRUE(events[0].aborted);
  EXPECT_EQ(f.p.supervisor.in_flight(), 0u);
}

TEST(ChannelResponseSink, ACancelBeforeTheRuntimeAnsweredDropsItsLateAnswer) {
  Fixture f;
  auto sink = f.take(1);
  int cancels = 0;
  sink->on_cancel = [&] { ++cancels; };
  EXPECT_FALSE(f.p.supervisor.abandon(1));
  EXPECT_EQ(f.route(), TakeResult::Kind::cancelled);
  EXPECT_EQ(cancels, 1);
  sink->respond({0, 200, {}, "too late"});
  auto events = poll_all(f.p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::end);
  EXPECT_TRUE(events[0].aborted);
}

TEST(ChannelResponseSink, EndAbortedWaitsForTheTurnAndDropsWhatWasLeft) {
  Fixture f;
  auto sink = f.take(1);
  sink->begin({0, 200, {}, {}}, std::nullopt);
  sink->write(std::string(10, 'q'));  // before ready: queued behind the head
  sink->end(true);                    // the script's stream errored
  auto events = poll_all(f.p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::head);
  EXPECT_EQ(f.finished, 0);
  f.p.supervisor.release(1);
  f.route();
  events = poll_all(f.p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::end);  // no chunk: the rest no longer matters
  EXPECT_TRUE(events[0].aborted);
  EXPECT_EQ(f.finished, 1);
}

TEST(ChannelResponseSink, HeadersPastOneRecordAnswer502AndCancelTheRuntimesStreamLater) {
  Fixture f;
  auto sink = f.take(1);
  int cancels = 0;
  sink->on_cancel = [&] { ++cancels; };
  sink->begin({0, 200, {{"x-big", std::string(5000, 'h')}}, {}}, std::nullopt);
  EXPECT_EQ(cancels, 0);  // never from inside the runtime's own call
  f.run_deferred();
  EXPECT_EQ(cancels, 1);
  EXPECT_EQ(f.finished, 1);
  auto events = poll_all(f.p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].error, ChannelError::headers_too_large);
}

TEST(ChannelSinks, KeepsUnfinishedSinksAliveAndRoutesByRequest) {
  Fixture f;
  int done_2 = 0;
  {
    auto one = f.take(1);
    ASSERT_EQ(f.p.supervisor.try_submit(wsup::testing::request(2)), SubmitStatus::ok);
    ASSERT_EQ(f.p.worker.try_take().kind, TakeResult::Kind::request);
    auto two = f.sinks.open(2, [&] { ++done_2; });
    one->respond({0, 200, {}, std::string(10'000, 'a')});  // streams itself
    two->respond({0, 200, {}, "b"});
  }  // the runtime dropped both; the router keeps the unfinished one
  EXPECT_EQ(done_2, 1);
  EXPECT_EQ(f.sinks.open_count(), 1u);
  size_t bytes = 0;
  bool ended = false;
  for (int round = 0; !ended && round < 1000; ++round) {
    for (ResponseEvent& e : poll_all(f.p.supervisor)) {
      bytes += e.request_id == 1 ? e.chunk.size() : 0;
      ended |= e.request_id == 1 && e.kind == Kind::end;
      if (e.kind == Kind::head || e.kind == Kind::chunk) f.p.supervisor.release(e.request_id);
    }
    while (f.route() != TakeResult::Kind::empty) {
    }
  }
  EXPECT_TRUE(ended);
  EXPECT_EQ(bytes, 10'000u);
  EXPECT_EQ(f.sinks.open_count(), 0u);
}

}  // namespace
}  // namespace wsup::worker

// The dispatcher's streamed responses with an in-memory worker channel: settled at the head,
// outstanding until the end, cut when the worker dies or the supervisor shuts down, and
// ResponseStream's hand-over between the reader and the connection.
#include <gtest/gtest.h>

#include <atomic>

#include "dispatcher_test_support.h"
#include "supervisor/dispatcher.h"

using namespace wsup;
using namespace wsup::supervisor;
using namespace wsup::supervisor::testing;

namespace {

using Next = ResponseStream::Next;

HttpResponse head(uint64_t id) {
  HttpResponse r;
  r.id = id;
  r.status = 200;
  r.headers = {{"content-type", "text/event-stream"}};
  return r;
}

// A taken request on endpoint 1, with its settlement to wait for.
struct Streaming {
  Dispatcher d{{}};
  std::shared_ptr<FakeChannel> channel = std::make_shared<FakeChannel>(8);
  std::future<DispatchResult> settled;
  explicit Streaming(uint64_t id = 7) {
    d.add_endpoint(1, 0, 8, channel);
    settled = submit(d, request(id), far());
    EXPECT_TRUE(wait_queued(*channel, 1));
    channel->take(id);
  }
};

}  // namespace

TEST(DispatcherStreams, AStreamSettlesAtItsHeadAndStaysOutstandingUntilItsEnd) {
  Streaming s;
  s.d.begin_stream(1, head(7), 42);
  DispatchResult r = s.settled.get();
  EXPECT_EQ(r.outcome, Outcome::response);
  EXPECT_EQ(r.worker, 0);
  ASSERT_TRUE(r.stream);
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.stream->length(), std::optional<uint64_t>(42));
  EXPECT_EQ(s.d.outstanding(1), 1u);  // still the worker's: a drain waits for it
  s.d.stream_chunk(1, 7, "data: 1\n\n");
  Next next = r.stream->take_or_wait(nullptr);
  ASSERT_EQ(next.kind, Next::Kind::chunk);
  EXPECT_EQ(next.chunk, "data: 1\n\n");
  r.stream->release();
  EXPECT_EQ(s.channel->released(), (std::vector<uint64_t>{7}));
  s.d.end_stream(1, 7, false);
  EXPECT_EQ(s.d.outstanding(1), 0u);
  next = r.stream->take_or_wait(nullptr);
  EXPECT_EQ(next.kind, Next::Kind::end);
  EXPECT_FALSE(next.aborted);
  EXPECT_TRUE(s.channel->abandoned().empty());
}

TEST(DispatcherStreams, TheConnectionIsWokenOnceWhenTheNextChunkArrives) {
  Streaming s;
  s.d.begin_stream(1, head(7), std::nullopt);
  auto stream = s.settled.get().stream;
  std::atomic<int> woken{0};
  EXPECT_EQ(stream->take_or_wait([&] { ++woken; }).kind, Next::Kind::nothing);
  EXPECT_EQ(woken.load(), 0);
  s.d.stream_chunk(1, 7, "x");
  EXPECT_EQ(woken.load(), 1);
  s.d.stream_chunk(1, 7, "y");  // a second push does not wake again: the wake was used
  EXPECT_EQ(woken.load(), 1);
  EXPECT_EQ(stream->take_or_wait(nullptr).chunk, "xy");
}

TEST(DispatcherStreams, AWorkerThatDiesCutsItsStreams) {
  Streaming s;
  s.d.begin_stream(1, head(7), std::nullopt);
  auto stream = s.settled.get().stream;
  s.d.endpoint_died(1, {7});
  Next next = stream->take_or_wait(nullptr);
  ASSERT_EQ(next.kind, Next::Kind::end);
  EXPECT_TRUE(next.aborted);
  EXPECT_STREQ(next.why, "worker_died");
}

TEST(DispatcherStreams, AConnectionThatCancelsTellsTheWorkerAndGetsNothingMore) {
  Streaming s;
  s.d.begin_stream(1, head(7), std::nullopt);
  auto stream = s.settled.get().stream;
  stream->cancel();
  stream->cancel();
  EXPECT_EQ(s.channel->abandoned(), (std::vector<uint64_t>{7}));  // once
  s.d.stream_chunk(1, 7, "late");
  EXPECT_EQ(stream->take_or_wait(nullptr).kind, Next::Kind::nothing);
  stream->release();  // nothing to release after a cancel
  EXPECT_TRUE(s.channel->released().empty());
  s.d.end_stream(1, 7, true);  // the worker's answer to the cancel
  EXPECT_EQ(s.d.outstanding(1), 0u);
}

TEST(DispatcherStreams, AHeadForARequestNoLongerWaitingIsAbandonedAtItsWorker) {
  Streaming s;
  s.d.cancel(7);  // the client hung up while the script ran
  EXPECT_EQ(s.settled.get().outcome, Outcome::client_gone);
  EXPECT_EQ(s.channel->abandoned(), (std::vector<uint64_t>{7}));
  EXPECT_EQ(s.d.outstanding(1), 1u);  // taken: its answer still comes
  s.d.begin_stream(1, head(7), std::nullopt);
  EXPECT_EQ(s.channel->abandoned(), (std::vector<uint64_t>{7, 7}));
  s.d.end_stream(1, 7, true);
  EXPECT_EQ(s.d.outstanding(1), 0u);
}

TEST(DispatcherStreams, ShutdownCutsEveryStreamStillRunning) {
  Streaming s;
  s.d.begin_stream(1, head(7), std::nullopt);
  auto stream = s.settled.get().stream;
  s.d.abandon_all();
  Next next = stream->take_or_wait(nullptr);
  ASSERT_EQ(next.kind, Next::Kind::end);
  EXPECT_TRUE(next.aborted);
  EXPECT_STREQ(next.why, "shutdown");
  EXPECT_EQ(s.channel->abandoned(), (std::vector<uint64_t>{7}));
}

TEST(DispatcherStreams, AnEndWithoutAHeadFailsARequestStillWaiting) {
  Streaming s;
  s.d.end_stream(1, 7, true);
  EXPECT_EQ(s.settled.get().outcome, Outcome::worker_died);
  EXPECT_EQ(s.d.outstanding(1), 0u);
}

// Streamed answers with both ends of a channel in one process, driven step by step: one record
// per turn, releases, cancels in every state, corrupt stream records, reaping mid-stream, and a
// long random walk through all of it that must never break the rings.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <set>

#include "shared/channel.h"
#include "shared/record_codec.h"
#include "tests/shared/channel_pair.h"

namespace wsup {
namespace {

using testing::make_pair;
using testing::Pair;
using testing::poll_all;
using testing::request;
using Kind = ResponseEvent::Kind;

HttpResponse head(uint64_t id) {
  return {id, 206, {{"x-h", "1"}}, {}};
}

// Submits and takes request `id`; the worker then holds its turn.
void take(Pair& p, uint64_t id) {
  ASSERT_EQ(p.supervisor.try_submit(request(id)), SubmitStatus::ok);
  TakeResult t = p.worker.try_take();
  ASSERT_EQ(t.kind, TakeResult::Kind::request);
  ASSERT_EQ(t.request.id, id);
}

// The next thing the worker's ring says, which must be a release or cancel of `id`.
void expect_notice(Pair& p, TakeResult::Kind kind, uint64_t id) {
  TakeResult t = p.worker.try_take();
  EXPECT_EQ(t.kind, kind);
  EXPECT_EQ(t.request_id, id);
}

// Takes request `id`, sends its head and has the supervisor read it: the head is held.
void head_held(Pair& p, uint64_t id) {
  take(p, id);
  ASSERT_EQ(p.worker.begin(head(id), std::nullopt), RespondStatus::ok);
  ASSERT_EQ(poll_all(p.supervisor).size(), 1u);
}

// As head_held, then released and seen by the worker: the worker holds the turn again.
void turn_back(Pair& p, uint64_t id) {
  head_held(p, id);
  p.supervisor.release(id);
  expect_notice(p, TakeResult::Kind::released, id);
  ASSERT_TRUE(p.worker.has_turn(id));
}

TEST(ChannelStreaming, HeadChunksAndEndGoOneRecordPerTurn) {
  Pair p = make_pair();
  take(p, 1);
  ASSERT_EQ(p.worker.begin(head(1), std::nullopt), RespondStatus::ok);
  EXPECT_FALSE(p.worker.has_turn(1));
  EXPECT_EQ(p.worker.write(1, "early"), RespondStatus::not_your_turn);  // the head is not out
  auto events = poll_all(p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::head);
  EXPECT_EQ(events[0].request_id, 1u);
  EXPECT_EQ(events[0].response.status, 206);
  EXPECT_EQ(events[0].response.headers, (HeaderList{{"x-h", "1"}}));
  EXPECT_FALSE(events[0].length.has_value());
  // Not released: the worker stays without its turn however often it looks.
  EXPECT_EQ(p.worker.try_take().kind, TakeResult::Kind::empty);
  EXPECT_FALSE(p.worker.has_turn(1));
  for (const std::string& chunk :
       {std::string("first"), std::string(), std::string(p.worker.max_chunk_bytes(), 'x')}) {
    p.supervisor.release(1);
    expect_notice(p, TakeResult::Kind::released, 1);
    ASSERT_TRUE(p.worker.has_turn(1));
    ASSERT_EQ(p.worker.write(1, chunk), RespondStatus::ok);
    events = poll_all(p.supervisor);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, Kind::chunk);
    EXPECT_TRUE(events[0].chunk == chunk);
  }
  p.supervisor.release(1);
  expect_notice(p, TakeResult::Kind::released, 1);
  ASSERT_EQ(p.worker.end(1, false), RespondStatus::ok);
  events = poll_all(p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::end);
  EXPECT_FALSE(events[0].aborted);
  EXPECT_EQ(p.supervisor.in_flight(), 0u);
  EXPECT_EQ(p.worker.taken_count(), 0u);
  EXPECT_EQ(p.supervisor.counters().responded, 1u);
  EXPECT_FALSE(p.supervisor.broken());
}

TEST(ChannelStreaming, TheWorkerChannelKeepsTheOrderOfAnAnswer) {
  Pair p = make_pair();
  take(p, 1);
  EXPECT_EQ(p.worker.write(1, "no head yet"), RespondStatus::not_your_turn);
  EXPECT_EQ(p.worker.end(1, false), RespondStatus::not_your_turn);
  ASSERT_EQ(p.worker.begin(head(1), 12345), RespondStatus::ok);
  auto events = poll_all(p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].length, std::optional<uint64_t>(12345));
  p.supervisor.release(1);
  expect_notice(p, TakeResult::Kind::released, 1);
  EXPECT_EQ(p.worker.respond({1, 200, {}, "whole"}), RespondStatus::not_your_turn);
  EXPECT_EQ(p.worker.begin(head(1), std::nullopt), RespondStatus::not_your_turn);
  EXPECT_EQ(p.worker.write(1, std::string(p.worker.max_chunk_bytes() + 1, 'x')),
            RespondStatus::too_large);
  EXPECT_EQ(p.worker.write(2, "x"), RespondStatus::unknown_request);
  EXPECT_TRUE(p.worker.has_turn(1));  // nothing of that went out
  ASSERT_EQ(p.worker.end(1, true), RespondStatus::ok);
  events = poll_all(p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::end);
  EXPECT_TRUE(events[0].aborted);
  EXPECT_EQ(events[0].error, ChannelError::none);  // the worker's own abort, not a corrupt one
}

TEST(ChannelStreaming, HeadersPastOneRecordFailTheRequestWith502NotTheChannel) {
  Pair p = make_pair();
  take(p, 1);
  HttpResponse big = head(1);
  big.headers.emplace_back("x-big", std::string(5000, 'h'));
  EXPECT_EQ(p.worker.begin(big, std::nullopt), RespondStatus::too_large);
  auto events = poll_all(p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::whole);
  EXPECT_EQ(events[0].error, ChannelError::headers_too_large);
  EXPECT_FALSE(p.supervisor.broken());
  EXPECT_EQ(p.supervisor.in_flight(), 0u);
}

// Every state a cancel can meet ends the same way: the worker hears `cancelled` once, answers
// with an aborted end, and only that frees the slot.
void expect_cancel_completes(Pair& p, uint64_t id, bool worker_already_knows = false) {
  if (!worker_already_knows) expect_notice(p, TakeResult::Kind::cancelled, id);
  EXPECT_EQ(p.worker.taken_count(), 0u);
  EXPECT_EQ(p.worker.write(id, "late"), RespondStatus::unknown_request);
  EXPECT_EQ(p.worker.end(id, false), RespondStatus::unknown_request);
  auto events = poll_all(p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::end);
  EXPECT_TRUE(events[0].aborted);
  EXPECT_EQ(events[0].request_id, id);
  EXPECT_EQ(p.supervisor.in_flight(), 0u);
  EXPECT_FALSE(p.supervisor.broken());
  EXPECT_EQ(p.worker.try_take().kind, TakeResult::Kind::empty);  // told once
  // The slot serves the next request.
  take(p, id + 100);
}

TEST(ChannelStreaming, CancelOfAQueuedRequestWithdrawsIt) {
  Pair p = make_pair(1);
  ASSERT_EQ(p.supervisor.try_submit(request(1)), SubmitStatus::ok);
  EXPECT_TRUE(p.supervisor.abandon(1));
  EXPECT_EQ(p.worker.try_take().kind, TakeResult::Kind::empty);  // skipped, freed
  EXPECT_EQ(p.supervisor.in_flight(), 0u);
  take(p, 2);
}

TEST(ChannelStreaming, CancelBeforeTheHead) {
  Pair p = make_pair(1);
  take(p, 1);
  EXPECT_FALSE(p.supervisor.abandon(1));  // taken: the worker is told instead
  EXPECT_FALSE(p.supervisor.abandon(1));  // idempotent
  expect_cancel_completes(p, 1);
  EXPECT_EQ(p.worker.respond({1, 200, {}, "too late"}), RespondStatus::unknown_request);
}

TEST(ChannelStreaming, CancelWhileTheSupervisorHoldsAChunk) {
  Pair p = make_pair(1);
  head_held(p, 1);
  EXPECT_FALSE(p.supervisor.abandon(1));
  p.supervisor.release(1);  // too late: nothing is held any more
  expect_cancel_completes(p, 1);
}

TEST(ChannelStreaming, CancelWhileTheWorkerHoldsTheTurn) {
  Pair p = make_pair(1);
  turn_back(p, 1);
  EXPECT_FALSE(p.supervisor.abandon(1));
  // The worker writes on, unaware: the record is not published.
  EXPECT_EQ(p.worker.write(1, "written into a cancelled turn"), RespondStatus::cancelled);
  EXPECT_EQ(poll_all(p.supervisor).size(), 0u);
  expect_cancel_completes(p, 1);
}

TEST(ChannelStreaming, CancelWhileAChunkIsOnItsWayDropsIt) {
  Pair p = make_pair(1);
  turn_back(p, 1);
  ASSERT_EQ(p.worker.write(1, "in the ring"), RespondStatus::ok);
  EXPECT_FALSE(p.supervisor.abandon(1));         // sent, not yet read: the reader turns it around
  EXPECT_EQ(poll_all(p.supervisor).size(), 0u);  // the chunk is not delivered
  expect_cancel_completes(p, 1);
}

TEST(ChannelStreaming, CancelAfterAReleaseTheWorkerHasNotSeen) {
  Pair p = make_pair(1);
  head_held(p, 1);
  p.supervisor.release(1);                // index in the request ring
  EXPECT_FALSE(p.supervisor.abandon(1));  // not pushed again: the one entry now means cancel
  expect_cancel_completes(p, 1);
}

TEST(ChannelStreaming, CancelAfterTheEndWasWrittenChangesNothing) {
  Pair p = make_pair(1);
  take(p, 1);
  ASSERT_EQ(p.worker.respond({1, 200, {}, "done"}), RespondStatus::ok);
  EXPECT_FALSE(p.supervisor.abandon(1));
  auto events = poll_all(p.supervisor);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::whole);  // the answer still finishes the request
  EXPECT_EQ(events[0].response.body, "done");
  EXPECT_EQ(p.worker.try_take().kind, TakeResult::Kind::empty);
  EXPECT_EQ(p.supervisor.in_flight(), 0u);
}

// A worker at its concurrency bound leaves new requests queued, yet must still hear the
// releases and cancels of its streams that sit behind them in the same ring.
TEST(ChannelStreaming, AWorkerNotTakingRequestsStillGetsReleasesAndCancels) {
  Pair p = make_pair(4);
  head_held(p, 1);
  ASSERT_EQ(p.supervisor.try_submit(request(2)), SubmitStatus::ok);  // ahead in the ring
  p.supervisor.release(1);                                           // behind it
  ASSERT_EQ(p.supervisor.try_submit(request(3)), SubmitStatus::ok);
  TakeResult t = p.worker.try_take(false);
  EXPECT_EQ(t.kind, TakeResult::Kind::released);
  EXPECT_EQ(t.request_id, 1u);
  EXPECT_EQ(p.worker.try_take(false).kind, TakeResult::Kind::empty);
  // Still queued: the supervisor can take 2 back and hand it elsewhere; its slot is freed
  // without waiting for the worker to accept requests again.
  EXPECT_TRUE(p.supervisor.try_cancel(2));
  EXPECT_EQ(p.worker.try_take(false).kind, TakeResult::Kind::empty);
  ASSERT_EQ(p.supervisor.try_submit(request(4)), SubmitStatus::ok);  // fits: 2's slot is free
  // A cancel behind the queued requests gets through too.
  EXPECT_FALSE(p.supervisor.abandon(1));
  t = p.worker.try_take(false);
  EXPECT_EQ(t.kind, TakeResult::Kind::cancelled);
  EXPECT_EQ(t.request_id, 1u);
  // Room again: the deferred request first, then the ring, in order.
  t = p.worker.try_take(true);
  ASSERT_EQ(t.kind, TakeResult::Kind::request);
  EXPECT_EQ(t.request.id, 3u);
  t = p.worker.try_take(true);
  ASSERT_EQ(t.kind, TakeResult::Kind::request);
  EXPECT_EQ(t.request.id, 4u);
  EXPECT_FALSE(p.supervisor.broken());
}

TEST(ChannelStreaming, ACorruptChunkCutsOnlyItsStreamAndMarksTheWorkerBroken) {
  Pair p = make_pair(2);
  take(p, 1);  // slot 0
  take(p, 2);  // slot 1
  ASSERT_EQ(p.worker.begin(head(1), std::nullopt), RespondStatus::ok);
  ASSERT_EQ(p.worker.begin(head(2), std::nullopt), RespondStatus::ok);
  ASSERT_EQ(poll_all(p.supervisor).size(), 2u);
  p.supervisor.release(1);
  p.supervisor.release(2);
  expect_notice(p, TakeResult::Kind::released, 1);
  expect_notice(p, TakeResult::Kind::released, 2);
  ASSERT_EQ(p.worker.write(1, "fine"), RespondStatus::ok);
  ASSERT_EQ(p.worker.write(2, "fine"), RespondStatus::ok);
  // A whole response where a chunk must come: out of order.
  const uint32_t response_type = static_cast<uint32_t>(codec::RecordType::response);
  std::memcpy(p.raw.view().arena(0).data(), &response_type, sizeof response_type);
  auto events = poll_all(p.supervisor);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].request_id, 1u);
  EXPECT_EQ(events[0].kind, Kind::end);
  EXPECT_TRUE(events[0].aborted);
  EXPECT_EQ(events[0].error, ChannelError::corrupt_record);
  EXPECT_EQ(events[1].kind, Kind::chunk);
  EXPECT_EQ(events[1].chunk, "fine");
  EXPECT_TRUE(p.supervisor.broken());
  // The worker is told to stop request 1; its answer to that is not delivered a second time.
  expect_notice(p, TakeResult::Kind::cancelled, 1);
  EXPECT_EQ(poll_all(p.supervisor).size(), 0u);
  EXPECT_EQ(p.supervisor.in_flight(), 1u);
}

TEST(ChannelStreaming, ReapSortsStreamsByHowFarTheyGot) {
  Pair p = make_pair(4);
  take(p, 1);  // running, no answer yet
  take(p, 2);  // mid-stream, a chunk held by the supervisor
  take(p, 3);  // stream ended, end not read yet
  ASSERT_EQ(p.worker.begin(head(2), std::nullopt), RespondStatus::ok);
  ASSERT_EQ(p.worker.begin(head(3), std::nullopt), RespondStatus::ok);
  ASSERT_EQ(poll_all(p.supervisor).size(), 2u);
  p.supervisor.release(3);
  TakeResult t = p.worker.try_take();
  ASSERT_EQ(t.kind, TakeResult::Kind::released);
  ASSERT_EQ(p.worker.end(3, false), RespondStatus::ok);
  ASSERT_EQ(p.supervisor.try_submit(request(4)), SubmitStatus::ok);  // never taken
  SupervisorChannel::Reaped reaped = p.supervisor.reap_after_death();
  std::set<uint64_t> taken(reaped.taken.begin(), reaped.taken.end());
  EXPECT_EQ(taken, (std::set<uint64_t>{1, 2}));
  EXPECT_EQ(reaped.not_taken, (std::vector<uint64_t>{4}));
  ASSERT_EQ(reaped.completed.size(), 1u);
  EXPECT_EQ(reaped.completed[0].request_id, 3u);
  EXPECT_EQ(reaped.completed[0].kind, Kind::end);
  EXPECT_FALSE(reaped.completed[0].aborted);  // its client got all of it
  EXPECT_EQ(p.supervisor.in_flight(), 0u);
}

// A random walk through submits, takes, answers (whole and streamed), releases and cancels on
// two slots. Whatever the order, the rings never overflow, every request finishes exactly once
// on each side, and nothing is left in flight at the end.
TEST(ChannelStreaming, RandomInterleavingsKeepEveryInvariant) {
  Pair p = make_pair(2);
  std::mt19937_64 rng(11);
  uint64_t next_id = 1;
  std::map<uint64_t, int> held;          // supervisor: streams whose last record is not released
  std::set<uint64_t> open;               // supervisor: submitted, not finished
  std::set<uint64_t> finished;           // supervisor: whole or end delivered
  std::map<uint64_t, int> worker_has;    // worker: taken requests -> chunks written
  std::map<TakeResult::Kind, int> seen;  // what the worker's ring said, to show it all happened
  auto deliver = [&](ResponseEvent&& e) {
    if (e.finishes()) {
      EXPECT_TRUE(open.erase(e.request_id)) << e.request_id;
      EXPECT_TRUE(finished.insert(e.request_id).second) << e.request_id;
      held.erase(e.request_id);
    } else {
      EXPECT_TRUE(open.count(e.request_id)) << e.request_id;
      held[e.request_id] = 1;
    }
  };
  for (int step = 0; step < 200'000; ++step) {
    switch (rng() % 8) {
      case 0:
        if (p.supervisor.try_submit(request(next_id)) == SubmitStatus::ok) open.insert(next_id++);
        break;
      case 1: {
        TakeResult t = p.worker.try_take();
        ++seen[t.kind];
        if (t.kind == TakeResult::Kind::request) worker_has[t.request.id] = -1;
        if (t.kind == TakeResult::Kind::cancelled) worker_has.erase(t.request_id);
        ASSERT_NE(t.kind, TakeResult::Kind::corrupt);
        break;
      }
      case 2:
      case 3: {  // the worker answers something it holds the turn for
        if (worker_has.empty()) break;
        auto it = std::next(worker_has.begin(), rng() % worker_has.size());
        const uint64_t id = it->first;
        if (!p.worker.has_turn(id)) break;
        RespondStatus status;
        bool final = false;
        if (it->second < 0) {
          final = rng() % 3 == 0;
          status =
              final ? p.worker.respond({id, 200, {}, "w"}) : p.worker.begin(head(id), std::nullopt);
          it->second = 0;
        } else if (it->second < 3) {
          status = p.worker.write(id, std::string(rng() % 100, 'c'));
          ++it->second;
        } else {
          final = true;
          status = p.worker.end(id, rng() % 2 == 0);
        }
        // cancelled: the supervisor abandoned it meanwhile; try_take reports it later.
        ASSERT_TRUE(status == RespondStatus::ok || status == RespondStatus::cancelled)
            << to_string(status);
        if (final && status == RespondStatus::ok) worker_has.erase(it);
        break;
      }
      case 4:
      case 5:
        p.supervisor.poll_responses(deliver);
        break;
      case 6:
        if (!held.empty()) {
          auto it = std::next(held.begin(), rng() % held.size());
          p.supervisor.release(it->first);
          held.erase(it);
        }
        break;
      case 7:
        if (!open.empty()) {
          const uint64_t id = *std::next(open.begin(), rng() % open.size());
          if (p.supervisor.abandon(id)) open.erase(id);  // withdrawn: no answer will come
        }
        break;
    }
    ASSERT_FALSE(p.supervisor.broken()) << "step " << step;
  }
  // Wind down: abandon everything, then let both sides run until nothing is left.
  for (uint64_t id : std::set<uint64_t>(open))
    if (p.supervisor.abandon(id)) open.erase(id);
  for (int round = 0; round < 100 && !open.empty(); ++round) {
    while (p.worker.try_take().kind != TakeResult::Kind::empty) {
    }
    p.supervisor.poll_responses(deliver);
  }
  EXPECT_TRUE(open.empty()) << open.size() << " requests never finished";
  EXPECT_EQ(p.supervisor.in_flight(), 0u);
  EXPECT_EQ(p.worker.taken_count(), 0u);
  EXPECT_GT(finished.size(), 1000u);
  EXPECT_GT(seen[TakeResult::Kind::released], 500);
  EXPECT_GT(seen[TakeResult::Kind::cancelled], 500);
  EXPECT_FALSE(p.supervisor.broken());
}

}  // namespace
}  // namespace wsup

// Both ends of a channel in one process: the slot state machine, the doorbell protocol, the
// header reports, and corrupt records written straight into the segment.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "shared/channel.h"
#include "shared/record_codec.h"
#include "shared/segment.h"
#include "tests/shared/channel_pair.h"
#include "tests/support/eventually.h"
#include "tests/support/worker_channel_faults.h"

namespace wsup {
namespace {

using testing::eventually;
using testing::make_pair;
using testing::Pair;
using testing::poll_all;
using testing::request;

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

TEST(ChannelProtocol, RequestAndResponseRoundTripWithHeadersAndALargeRequestBody) {
  Pair p = make_pair();
  std::string big(200'000, 'q');  // far past the 4 KiB arena: goes through a spill object
  ASSERT_EQ(p.supervisor.try_submit(request(1, big)), SubmitStatus::ok);
  TakeResult t = p.worker.try_take();
  ASSERT_EQ(t.kind, TakeResult::Kind::request);
  EXPECT_EQ(t.request.body, big);
  EXPECT_EQ(t.request.headers, (HeaderList{{"a", "b"}}));
  // A response past one record is refused (the sink streams it instead); the request stays open.
  EXPECT_EQ(p.worker.respond({1, 201, {}, std::string(5000, 'z')}), RespondStatus::too_large);
  EXPECT_EQ(p.worker.respond({1, 201, {{"x", "y"}}, std::string(3000, 'z')}), RespondStatus::ok);
  auto done = poll_all(p.supervisor);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].kind, ResponseEvent::Kind::whole);
  EXPECT_EQ(done[0].error, ChannelError::none);
  EXPECT_EQ(done[0].response.status, 201);
  EXPECT_EQ(done[0].response.headers, (HeaderList{{"x", "y"}}));
  EXPECT_EQ(done[0].response.body, std::string(3000, 'z'));
  EXPECT_EQ(p.supervisor.in_flight(), 0u);
  EXPECT_EQ(p.worker.respond({1, 200, {}, {}}), RespondStatus::unknown_request);
}

// /dev/shm size of a slot's large-body object, -1 if there is none.
off_t spill_object_size(const SupervisorChannel& supervisor, uint32_t slot) {
  struct stat st {};
  const std::string path = "/dev/shm/" + shm::spill_name(supervisor.name(), slot);
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

TEST(ChannelProtocol, ASlotsLargeBodyObjectIsReusedAndEmptiedPastItsKeepSize) {
  // One slot: every request reuses its object. Bodies shrink and grow, so a stale tail of the
  // previous body must never show; a body past kSpillKeepBytes must not stay allocated.
  Pair p = make_pair(1);
  const size_t huge = static_cast<size_t>(shm::kSpillKeepBytes) + 4096;
  uint64_t id = 0;
  for (size_t size : {size_t{300'000}, size_t{20'000}, huge, size_t{50'000}}) {
    ++id;
    const std::string body(size, static_cast<char>('a' + id));
    ASSERT_EQ(p.supervisor.try_submit(request(id, body)), SubmitStatus::ok);
    TakeResult t = p.worker.try_take();
    ASSERT_EQ(t.kind, TakeResult::Kind::request);
    EXPECT_TRUE(t.request.body == body) << "request body " << id << " came through changed";
    EXPECT_EQ(p.worker.respond({id, 200, {}, "ok"}), RespondStatus::ok);
    auto done = poll_all(p.supervisor);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].error, ChannelError::none);
    const off_t object = spill_object_size(p.supervisor, 0);
    if (size > shm::kSpillKeepBytes) {
      EXPECT_EQ(object, 0) << "after body " << id;
    } else {
      EXPECT_GE(object, static_cast<off_t>(size)) << "after body " << id;
    }
  }
  EXPECT_EQ(::access(("/dev/shm/" + p.supervisor.name() + "-r0").c_str(), F_OK), -1)
      << "responses need no large-body object";
}

TEST(ChannelProtocol, FullWhenEverySlotIsBusyAndTooLargeAboveMaxBody) {
  Pair p = make_pair(2);
  EXPECT_EQ(p.supervisor.try_submit(request(1)), SubmitStatus::ok);
  EXPECT_EQ(p.supervisor.try_submit(request(2)), SubmitStatus::ok);
  EXPECT_EQ(p.supervisor.try_submit(request(3)), SubmitStatus::full);
  EXPECT_EQ(p.supervisor.try_submit(request(4, std::string((1 << 20) + 1, 'x'))),
            SubmitStatus::too_large);
}

TEST(ChannelProtocol, CancelWinsOnlyBeforeTheWorkerTakesAndFreesTheSlotAfterwards) {
  Pair p = make_pair(2);
  ASSERT_EQ(p.supervisor.try_submit(request(1)), SubmitStatus::ok);
  ASSERT_EQ(p.supervisor.try_submit(request(2)), SubmitStatus::ok);
  EXPECT_TRUE(p.supervisor.try_cancel(1));
  EXPECT_FALSE(p.supervisor.try_cancel(1));
  // The cancelled slot stays out of use until the worker pops its index.
  EXPECT_EQ(p.supervisor.try_submit(request(3)), SubmitStatus::full);
  TakeResult t = p.worker.try_take();  // skips 1, takes 2
  ASSERT_EQ(t.kind, TakeResult::Kind::request);
  EXPECT_EQ(t.request.id, 2u);
  EXPECT_FALSE(p.supervisor.try_cancel(2));
  EXPECT_EQ(p.supervisor.try_submit(request(3)), SubmitStatus::ok);
}

TEST(ChannelProtocol, DoorbellRingsOnlyWhenTheWorkerAnnouncedSleep) {
  Pair p = make_pair();
  ASSERT_EQ(p.supervisor.try_submit(request(1)), SubmitStatus::ok);
  EXPECT_FALSE(readable(p.worker.request_doorbell_fd()));  // awake consumer: no syscall
  EXPECT_FALSE(p.worker.prepare_to_sleep());               // work is there: do not sleep
  ASSERT_EQ(p.worker.try_take().kind, TakeResult::Kind::request);
  ASSERT_TRUE(p.worker.prepare_to_sleep());
  ASSERT_EQ(p.supervisor.try_submit(request(2)), SubmitStatus::ok);
  ASSERT_EQ(p.supervisor.try_submit(request(3)), SubmitStatus::ok);
  EXPECT_TRUE(readable(p.worker.request_doorbell_fd()));
  EXPECT_EQ(p.supervisor.counters().worker_doorbells, 1u);  // one ring per sleep
  p.worker.finish_sleep();
  EXPECT_FALSE(readable(p.worker.request_doorbell_fd()));
}

TEST(ChannelProtocol, WorkerReportsPidStateHeartbeatAndFatalReason) {
  Pair p = make_pair();
  EXPECT_EQ(p.supervisor.worker_state(), WorkerState::starting);
  p.worker.set_pid(4242);
  p.worker.set_state(WorkerState::draining);
  p.worker.heartbeat();
  EXPECT_EQ(p.supervisor.worker_pid(), 4242);
  EXPECT_EQ(p.supervisor.worker_state(), WorkerState::draining);
  EXPECT_LT(p.supervisor.heartbeat_age(), std::chrono::milliseconds(1000));
  EXPECT_FALSE(p.supervisor.fatal_reason());
  p.worker.record_fatal("Reached heap limit: " + std::string(400, 'x'));
  EXPECT_EQ(p.supervisor.worker_state(), WorkerState::fatal);
  auto reason = p.supervisor.fatal_reason();
  ASSERT_TRUE(reason);
  EXPECT_EQ(reason->substr(0, 20), "Reached heap limit: ");
  EXPECT_EQ(reason->size(), shm::kFatalReasonBytes - 1);
}

std::span<std::byte> record_of(Pair& p, uint32_t slot) {
  return p.raw.view().arena(slot);
}

TEST(ChannelProtocol, CorruptRequestRecordFailsOnlyThatRequest) {
  Pair p = make_pair();
  ASSERT_EQ(p.supervisor.try_submit(request(1)), SubmitStatus::ok);  // lands in slot 0
  ASSERT_EQ(p.supervisor.try_submit(request(2)), SubmitStatus::ok);
  uint32_t huge = 0xfffffff0;  // total_bytes far past the arena
  std::memcpy(record_of(p, 0).data() + 4, &huge, sizeof huge);
  TakeResult first = p.worker.try_take();
  EXPECT_EQ(first.kind, TakeResult::Kind::corrupt);
  EXPECT_EQ(first.request_id, 1u);
  TakeResult second = p.worker.try_take();
  ASSERT_EQ(second.kind, TakeResult::Kind::request);
  ASSERT_EQ(p.worker.respond({2, 200, {}, "ok"}), RespondStatus::ok);
  auto done = poll_all(p.supervisor);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].request_id, 1u);
  EXPECT_EQ(done[0].error, ChannelError::corrupt_request);
  EXPECT_EQ(done[1].request_id, 2u);
  EXPECT_EQ(done[1].error, ChannelError::none);
  EXPECT_EQ(done[1].response.body, "ok");
}

TEST(ChannelProtocol, CorruptOrMislabelledResponseFailsOnlyThatRequest) {
  Pair p = make_pair();
  for (uint64_t id = 1; id <= 3; ++id)
    ASSERT_EQ(p.supervisor.try_submit(request(id)), SubmitStatus::ok);
  for (uint64_t id = 1; id <= 3; ++id)
    ASSERT_EQ(p.worker.try_take().kind, TakeResult::Kind::request);
  for (uint64_t id = 1; id <= 3; ++id)
    ASSERT_EQ(p.worker.respond({id, 200, {}, "r"}), RespondStatus::ok);
  uint32_t unknown_type = 0x12345678;
  std::memcpy(record_of(p, 0).data(), &unknown_type, sizeof unknown_type);
  uint64_t other_id = 99;  // a response that claims to answer another request
  std::memcpy(record_of(p, 1).data() + 8, &other_id, sizeof other_id);
  auto done = poll_all(p.supervisor);
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[0].error, ChannelError::corrupt_record);
  EXPECT_EQ(done[0].request_id, 1u);
  EXPECT_EQ(done[1].error, ChannelError::corrupt_record);
  EXPECT_EQ(done[1].request_id, 2u);
  EXPECT_EQ(done[2].error, ChannelError::none);
  EXPECT_EQ(p.supervisor.in_flight(), 0u);
  EXPECT_TRUE(p.supervisor.broken());  // a worker that writes garbage gets killed and restarted
}

TEST(ChannelProtocol, TestFaultRecordsOfEveryKindAreRejectedAndMarkTheWorkerBroken) {
  using Corruption = WorkerChannelFaults::Corruption;
  for (Corruption how :
       {Corruption::length_past_end, Corruption::unknown_type, Corruption::unknown_id}) {
    Pair p = make_pair();
    ASSERT_EQ(p.supervisor.try_submit(request(1)), SubmitStatus::ok);
    ASSERT_EQ(p.supervisor.try_submit(request(2)), SubmitStatus::ok);
    ASSERT_EQ(p.worker.try_take().kind, TakeResult::Kind::request);
    ASSERT_EQ(p.worker.try_take().kind, TakeResult::Kind::request);
    ASSERT_EQ(WorkerChannelFaults::respond_corrupt(p.worker, {1, 200, {}, "r"}, how),
              RespondStatus::ok);
    ASSERT_EQ(p.worker.respond({2, 200, {}, "fine"}), RespondStatus::ok);
    auto done = poll_all(p.supervisor);
    ASSERT_EQ(done.size(), 2u);
    EXPECT_EQ(done[0].request_id, 1u);
    EXPECT_EQ(done[0].error, ChannelError::corrupt_record) << static_cast<int>(how);
    EXPECT_EQ(done[1].error, ChannelError::none);
    EXPECT_EQ(done[1].response.body, "fine");
    EXPECT_TRUE(p.supervisor.broken());
    EXPECT_EQ(p.supervisor.try_submit(request(3)), SubmitStatus::closed);
    EXPECT_EQ(WorkerChannelFaults::respond_corrupt(p.worker, {7, 200, {}, ""}, how),
              RespondStatus::unknown_request);
  }
}

TEST(ChannelProtocol, WorkerReportsItsHeapInUse) {
  Pair p = make_pair();
  EXPECT_EQ(p.supervisor.heap_used_bytes(), 0u);
  p.worker.set_heap_used_bytes(12345678);
  EXPECT_EQ(p.supervisor.heap_used_bytes(), 12345678u);
}

TEST(ChannelProtocol, WorkerReportsWhereItsTimeWent) {
  Pair p = make_pair();
  EXPECT_EQ(p.supervisor.worker_times().script_ns, 0u);
  p.worker.set_times(WorkerTimes{11, 22, 33, 4});
  const WorkerTimes times = p.supervisor.worker_times();
  EXPECT_EQ(times.context_ns, 11u);
  EXPECT_EQ(times.spare_context_ns, 22u);
  EXPECT_EQ(times.script_ns, 33u);
  EXPECT_EQ(times.spare_hits, 4u);
}

TEST(ChannelProtocol, WorkerReportsItsSubrequests) {
  Pair p = make_pair();
  EXPECT_EQ(p.supervisor.worker_egress().subrequests, 0u);
  // Every figure travels, each to its own place: give each a distinct value.
  WorkerEgress sent;
  uint64_t next = 100;
  WorkerEgress::for_each_figure(sent, [&](uint64_t& figure) { figure = next++; });
  p.worker.set_egress(sent);
  const WorkerEgress got = p.supervisor.worker_egress();
  EXPECT_EQ(got.subrequests, 100u);
  EXPECT_EQ(got.errors[4], sent.errors[4]);
  EXPECT_EQ(got.received_body_bytes, sent.received_body_bytes);
  EXPECT_EQ(got.head_latency_sum_us, sent.head_latency_sum_us);
  EXPECT_EQ(got.passed_through, next - 1);  // the last figure
  std::vector<uint64_t> sent_figures, got_figures;
  WorkerEgress::for_each_figure(sent, [&](const uint64_t& f) { sent_figures.push_back(f); });
  WorkerEgress::for_each_figure(got, [&](const uint64_t& f) { got_figures.push_back(f); });
  EXPECT_EQ(got_figures, sent_figures);
  EXPECT_EQ(got_figures.size(), shm::kEgressFigures);
}

TEST(ChannelProtocol, BusyTimeGrowsWhileTheWorkerIsAwayAndIsZeroWhileItSleeps) {
  Pair p = make_pair();
  auto busy_for_at_least = [&](std::chrono::nanoseconds d) {
    return [&p, d] { return p.supervisor.worker_busy_for() >= d; };
  };
  p.worker.heartbeat();
  EXPECT_TRUE(eventually(busy_for_at_least(std::chrono::milliseconds(2))));
  // A heartbeat starts the count again: no more than the time since just before it, however
  // slowly this test runs.
  const auto before_heartbeat = std::chrono::steady_clock::now();
  p.worker.heartbeat();
  const std::chrono::nanoseconds busy = p.supervisor.worker_busy_for();  // read before the bound
  EXPECT_LE(busy, std::chrono::steady_clock::now() - before_heartbeat);
  // Asleep: idle, not busy, although the last heartbeat is old again.
  EXPECT_TRUE(eventually(busy_for_at_least(std::chrono::milliseconds(2))));
  ASSERT_TRUE(p.worker.prepare_to_sleep());
  EXPECT_EQ(p.supervisor.worker_busy_for(), std::chrono::nanoseconds(0));
}

TEST(ChannelProtocol, GarbageResponseRingEntryIsSkippedAndMarksBrokenAsDoesAWildCursor) {
  Pair p = make_pair();
  const shm::SegmentView& v = p.raw.view();
  v.response_entries[0].store(9999);
  v.responses->tail.store(1, std::memory_order_release);
  EXPECT_EQ(poll_all(p.supervisor).size(), 0u);
  EXPECT_EQ(p.supervisor.counters().corrupt, 1u);
  EXPECT_TRUE(p.supervisor.broken());  // a garbage entry is enough to distrust the worker
  v.responses->tail.store(1'000'000, std::memory_order_release);
  EXPECT_EQ(poll_all(p.supervisor).size(), 0u);
  EXPECT_TRUE(p.supervisor.broken());
  EXPECT_EQ(p.supervisor.try_submit(request(1)), SubmitStatus::closed);
}

TEST(ChannelProtocol, WorkerRefusesASegmentWithABadHeader) {
  Pair p = make_pair();
  p.raw.view().header->constants.slots = 100'000;
  EXPECT_THROW(WorkerChannel::open(p.supervisor.name(), ::dup(0), ::dup(0)), std::runtime_error);
  p.raw.view().header->constants.slots = 4;
  p.raw.view().header->constants.magic = 1;
  EXPECT_THROW(WorkerChannel::open(p.supervisor.name(), ::dup(0), ::dup(0)), std::runtime_error);
}

}  // namespace
}  // namespace wsup

// Worker side of the channel: takes requests from the ring, writes responses back.
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "shared/channel.h"
#include "shared/doorbell.h"
#include "shared/log.h"
#include "shared/record_codec.h"
#include "shared/segment.h"

namespace wsup {

struct WorkerChannel::State {
  shm::Segment segment;
  shm::SegmentView view;
  uint32_t worker_id = 0, epoch = 0;
  uint64_t max_body_bytes = 0;
  shm::EventFd request_bell;   // the supervisor rings it
  shm::EventFd response_bell;  // we ring it
  shm::RingConsumer requests;
  shm::RingProducer responses;
  std::chrono::microseconds spin{20};
  struct Taken {
    uint32_t slot, generation;
  };
  std::unordered_map<uint64_t, Taken> taken;

  shm::SlotHeader& slot(uint32_t i) const { return view.slot(i); }
  void count(std::atomic<uint64_t>& counter) {
    // Relaxed: a statistic with one writer.
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // The slot is ours (taken) and its record is written: hand it back to the supervisor.
  void complete(uint32_t i, size_t record_bytes) {
    // Relaxed: published by the release store below.
    slot(i).record_bytes.store(static_cast<uint32_t>(record_bytes), std::memory_order_relaxed);
    // Release: the response record happens before the supervisor sees "done".
    slot(i).state.store(shm::kDone, std::memory_order_release);
    if (!responses.push(i)) {
      // Only if the supervisor's head is garbage; it will find the slot when it reaps.
      log::error("response ring full", {{"worker", worker_id}, {"slot", i}});
      return;
    }
    count(view.header->responded);
    if (responses.consumer_needs_wakeup()) {
      count(view.header->supervisor_doorbells);
      response_bell.ring();
    }
  }

  void complete_with_error(uint32_t i, uint64_t request_id, ChannelError error) {
    complete(i, codec::encode_error(request_id, error, view.arena(i)));
  }
};

WorkerChannel::WorkerChannel(std::unique_ptr<State> state) : state_(std::move(state)) {}
WorkerChannel::WorkerChannel(WorkerChannel&&) noexcept = default;
WorkerChannel& WorkerChannel::operator=(WorkerChannel&&) noexcept = default;
WorkerChannel::~WorkerChannel() = default;

WorkerChannel WorkerChannel::open(const std::string& name, int request_fd, int response_fd) {
  auto state = std::make_unique<State>();
  state->request_bell = shm::EventFd::adopt(request_fd);
  state->response_bell = shm::EventFd::adopt(response_fd);
  state->segment = shm::Segment::open(name);
  state->view = state->segment.view();
  const auto& v = state->view;
  const auto& constants = v.header->constants;
  state->worker_id = constants.worker_id;
  state->epoch = constants.epoch;
  state->max_body_bytes = constants.max_body_bytes;
  state->spin = std::chrono::microseconds(constants.spin_us);
  state->requests = shm::RingConsumer(v.requests, v.request_entries, v.geometry.ring_capacity);
  state->responses = shm::RingProducer(v.responses, v.response_entries, v.geometry.ring_capacity);
  WorkerChannel channel(std::move(state));
  channel.heartbeat();
  return channel;
}

int WorkerChannel::request_doorbell_fd() const {
  return state_->request_bell.fd();
}
uint32_t WorkerChannel::epoch() const {
  return state_->epoch;
}
uint32_t WorkerChannel::worker_id() const {
  return state_->worker_id;
}
size_t WorkerChannel::taken_count() const {
  return state_->taken.size();
}

TakeResult WorkerChannel::try_take() {
  State& s = *state_;
  for (;;) {
    uint32_t i = 0;
    shm::RingRead read = s.requests.pop(i);
    if (read == shm::RingRead::empty) return {};
    if (read == shm::RingRead::corrupt || i >= s.view.geometry.slots) {
      s.count(s.view.header->worker_corrupt);
      log::error("request ring entry out of range", {{"worker", s.worker_id}});
      TakeResult corrupt;
      corrupt.kind = TakeResult::Kind::corrupt;
      return corrupt;
    }
    shm::SlotHeader& slot = s.slot(i);
    uint32_t expected = shm::kQueued;
    // acq_rel: acquire the supervisor's record; exactly one of us and try_cancel wins.
    if (!slot.state.compare_exchange_strong(expected, shm::kTaken, std::memory_order_acq_rel)) {
      if (expected == shm::kCancelled) {
        // Release: our last touch of the slot before the supervisor may reuse it.
        slot.state.store(shm::kFree, std::memory_order_release);
      } else {
        s.count(s.view.header->worker_corrupt);
      }
      continue;
    }
    s.count(s.view.header->taken);
    // Relaxed: ordered by the acquire CAS above.
    uint64_t id = slot.request_id.load(std::memory_order_relaxed);
    uint32_t generation = slot.generation.load(std::memory_order_relaxed);
    uint32_t bytes = slot.record_bytes.load(std::memory_order_relaxed);
    auto arena = s.view.arena(i);
    codec::DecodedRecord record;
    if (bytes <= arena.size()) record = codec::decode(arena.first(bytes), s.max_body_bytes);
    bool valid = bytes <= arena.size() && record.status == codec::DecodeStatus::ok &&
                 record.type == codec::RecordType::request && record.request_id == id &&
                 !s.taken.contains(id);
    std::string spill = shm::spill_name(s.segment.name(), 'q', i);
    if (valid && record.body_spilled) {
      auto body = shm::read_spill(spill, record.body_bytes);
      if (body) {
        record.request.body = std::move(*body);
      } else {
        valid = false;
        record.status = codec::DecodeStatus::truncated;
      }
    }
    if (!valid) {
      s.count(s.view.header->worker_corrupt);
      log::warn(
          "corrupt request record",
          {{"worker", s.worker_id}, {"req", id}, {"reason", codec::to_string(record.status)}});
      s.complete_with_error(i, id, ChannelError::corrupt_request);
      TakeResult corrupt;
      corrupt.kind = TakeResult::Kind::corrupt;
      corrupt.request_id = id;
      return corrupt;
    }
    s.taken.emplace(id, State::Taken{i, generation});
    heartbeat();  // a busy worker never sleeps: taking work is a sign of life too (vDSO clock)
    TakeResult result;
    result.kind = TakeResult::Kind::request;
    result.request = std::move(record.request);
    return result;
  }
}

bool WorkerChannel::prepare_to_sleep() {
  State& s = *state_;
  if (shm::spin_until(s.spin, [&] { return !s.requests.empty(); })) return false;
  if (!s.requests.announce_sleep()) return false;
  s.count(s.view.header->worker_sleeps);
  return true;
}

void WorkerChannel::finish_sleep() {
  state_->request_bell.drain();
  state_->requests.end_sleep();
  heartbeat();
}

RespondStatus WorkerChannel::respond(const HttpResponse& response) {
  State& s = *state_;
  auto it = s.taken.find(response.id);
  if (it == s.taken.end()) return RespondStatus::unknown_request;
  auto [i, generation] = it->second;
  s.taken.erase(it);
  auto arena = s.view.arena(i);
  if (response.body.size() > s.max_body_bytes) {
    s.complete_with_error(i, response.id, ChannelError::body_too_large);
    return RespondStatus::too_large;
  }
  bool spill = codec::encoded_size(response, false) > arena.size();
  if (spill && codec::encoded_size(response, true) > arena.size()) {
    s.complete_with_error(i, response.id, ChannelError::body_too_large);
    return RespondStatus::too_large;
  }
  if (spill && !shm::write_spill(shm::spill_name(s.segment.name(), 'r', i), response.body)) {
    s.complete_with_error(i, response.id, ChannelError::spill_failed);
    return RespondStatus::spill_failed;
  }
  s.complete(i, codec::encode(response, spill, arena));
  return RespondStatus::ok;
}

RespondStatus WorkerChannel::respond_corrupt_for_test(const HttpResponse& response,
                                                      Corruption how) {
  State& s = *state_;
  auto it = s.taken.find(response.id);
  if (it == s.taken.end()) return RespondStatus::unknown_request;
  uint32_t i = it->second.slot;
  s.taken.erase(it);
  auto arena = s.view.arena(i);
  HttpResponse small;  // headers and status only: always fits the arena
  small.id = how == Corruption::unknown_id ? response.id ^ (uint64_t{1} << 62) : response.id;
  small.status = response.status;
  size_t bytes = codec::encode(small, false, arena);
  if (how == Corruption::unknown_type) {
    const uint32_t garbage = 0x21444142;  // "BAD!": no record type
    std::memcpy(arena.data(), &garbage, sizeof garbage);
  }
  if (how == Corruption::length_past_end) bytes = arena.size() + 4096;
  s.complete(i, bytes);
  return RespondStatus::ok;
}

void WorkerChannel::set_state(WorkerState state) {
  // Relaxed: a report the supervisor polls.
  state_->view.header->worker_state.store(static_cast<uint32_t>(state), std::memory_order_relaxed);
}

void WorkerChannel::set_pid(int32_t pid) {
  state_->view.header->worker_pid.store(pid, std::memory_order_relaxed);
}

void WorkerChannel::set_heap_used_bytes(uint64_t bytes) {
  // Relaxed: a report the supervisor polls, like the heartbeat.
  state_->view.header->heap_used_bytes.store(bytes, std::memory_order_relaxed);
}

void WorkerChannel::set_times(const WorkerTimes& times) {
  // Relaxed: a report; a scrape may see one field newer than another.
  shm::SegmentHeader& header = *state_->view.header;
  header.context_ns.store(times.context_ns, std::memory_order_relaxed);
  header.spare_context_ns.store(times.spare_context_ns, std::memory_order_relaxed);
  header.script_ns.store(times.script_ns, std::memory_order_relaxed);
  header.spare_hits.store(times.spare_hits, std::memory_order_relaxed);
}

void WorkerChannel::heartbeat() {
  state_->view.header->heartbeat_ns.store(shm::monotonic_ns(), std::memory_order_relaxed);
}

namespace {

void write_last_word(shm::SegmentHeader& h, std::string_view reason, WorkerState state) noexcept {
  size_t length = std::min(reason.size(), shm::kFatalReasonBytes - 1);
  std::memcpy(h.fatal_reason, reason.data(), length);
  // Release: the text is complete before the supervisor sees its length.
  h.fatal_length.store(static_cast<uint32_t>(length == 0 ? 1 : length), std::memory_order_release);
  h.worker_state.store(static_cast<uint32_t>(state), std::memory_order_relaxed);
}

}  // namespace

void WorkerChannel::record_fatal(std::string_view reason) noexcept {
  write_last_word(*state_->view.header, reason, WorkerState::fatal);
}

void WorkerChannel::request_replacement(std::string_view reason) noexcept {
  write_last_word(*state_->view.header, reason, WorkerState::replace_me);
}

}  // namespace wsup

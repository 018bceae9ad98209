// Worker side of the channel: takes requests and the supervisor's releases and cancels from the
// request ring, writes whole responses, heads, chunks and ends back.
#include <algorithm>
#include <cstring>

#include "shared/channel.h"
#include "shared/log.h"
#include "shared/record_codec.h"
#include "shared/worker_channel_state.h"

namespace wsup {

bool WorkerChannel::State::publish(uint32_t i, size_t record_bytes, bool final, uint32_t from) {
  // Relaxed: published by the state change below.
  slot(i).record_bytes.store(static_cast<uint32_t>(record_bytes), std::memory_order_relaxed);
  uint32_t expected = from;
  // acq_rel CAS (release: the record happens before the supervisor sees done/sent): it fails
  // only when the supervisor requested a cancel meanwhile, which it may do while we hold the turn.
  if (!slot(i).state.compare_exchange_strong(expected, final ? shm::kDone : shm::kSent,
                                             std::memory_order_acq_rel)) {
    return false;
  }
  if (!responses.push(i)) {
    // Only if the supervisor's head is garbage; it will find the slot when it reaps.
    log::error("response ring full", {{"worker", worker_id}, {"slot", i}});
    return true;
  }
  if (final) count(view.header->responded);
  if (responses.consumer_needs_wakeup()) {
    count(view.header->supervisor_doorbells);
    response_bell.ring();
  }
  return true;
}

void WorkerChannel::State::publish_error(uint32_t i, uint64_t request_id, ChannelError error) {
  publish(i, codec::encode_error(request_id, error, view.arena(i)), true);
}

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
  state->slot_request.assign(v.geometry.slots, 0);
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
size_t WorkerChannel::max_record_bytes() const {
  return state_->view.geometry.slot_arena_bytes;
}
size_t WorkerChannel::max_chunk_bytes() const {
  return state_->view.geometry.slot_arena_bytes - codec::kChunkOverheadBytes;
}

TakeResult WorkerChannel::try_take(bool accept_requests) {
  State& s = *state_;
  if (!accept_requests) {
    // A deferred request the supervisor took back meanwhile: free its slot now (acquire/release
    // as below for cancelled slots), not only once requests are accepted again.
    std::erase_if(s.deferred, [&](uint32_t i) {
      if (s.slot(i).state.load(std::memory_order_acquire) != shm::kCancelled) return false;
      s.slot(i).state.store(shm::kFree, std::memory_order_release);
      return true;
    });
  }
  for (;;) {
    uint32_t i = 0;
    shm::RingRead read = shm::RingRead::entry;
    if (accept_requests && !s.deferred.empty()) {
      i = s.deferred.front();  // popped from the ring before anything still in it
      s.deferred.pop_front();
    } else {
      read = s.requests.pop(i);
    }
    if (read == shm::RingRead::empty) return {};
    if (read == shm::RingRead::corrupt || i >= s.view.geometry.slots) {
      s.count(s.view.header->worker_corrupt);
      log::error("request ring entry out of range", {{"worker", s.worker_id}});
      TakeResult corrupt;
      corrupt.kind = TakeResult::Kind::corrupt;
      return corrupt;
    }
    shm::SlotHeader& slot = s.slot(i);
    // Acquire: what the supervisor wrote before it pushed the index (a request record).
    uint32_t state = slot.state.load(std::memory_order_acquire);
    if (state == shm::kReleased) {
      // acq_rel: exactly one of this CAS and the supervisor's released->cancel requested wins.
      if (slot.state.compare_exchange_strong(state, shm::kTaken, std::memory_order_acq_rel)) {
        auto it = s.taken.find(s.slot_request[i]);
        if (it == s.taken.end() || it->second.turn != State::Turn::theirs) {
          s.count(s.view.header->worker_corrupt);  // released what we never sent
          continue;
        }
        it->second.turn = State::Turn::ours;
        heartbeat();
        TakeResult released;
        released.kind = TakeResult::Kind::released;
        released.request_id = it->first;
        return released;
      }
    }
    if (state == shm::kCancelRequested) {
      auto it = s.taken.find(s.slot_request[i]);
      if (it == s.taken.end()) {
        s.count(s.view.header->worker_corrupt);  // a cancel for nothing we hold
        continue;
      }
      // Only we move it on from here: the arena is ours to write the answer to the cancel.
      const uint64_t id = it->first;
      s.taken.erase(it);
      s.slot_request[i] = 0;
      s.publish(i, codec::encode_end(id, true, s.view.arena(i)), true, shm::kCancelRequested);
      heartbeat();
      TakeResult cancelled;
      cancelled.kind = TakeResult::Kind::cancelled;
      cancelled.request_id = id;
      return cancelled;
    }
    if (state == shm::kCancelled) {
      // Release: our last touch of the slot before the supervisor may reuse it.
      slot.state.store(shm::kFree, std::memory_order_release);
      continue;
    }
    if (state == shm::kQueued && !accept_requests) {
      s.deferred.push_back(i);  // left queued: the supervisor may still give it elsewhere
      continue;
    }
    uint32_t expected = shm::kQueued;
    // acq_rel: acquire the supervisor's record; exactly one of us and try_cancel wins.
    if (state != shm::kQueued ||
        !slot.state.compare_exchange_strong(expected, shm::kTaken, std::memory_order_acq_rel)) {
      if (expected == shm::kCancelled) {
        slot.state.store(shm::kFree, std::memory_order_release);  // as above
      } else {
        s.count(s.view.header->worker_corrupt);
      }
      continue;
    }
    s.count(s.view.header->taken);
    // Relaxed: ordered by the acquire CAS above.
    uint64_t id = slot.request_id.load(std::memory_order_relaxed);
    uint32_t bytes = slot.record_bytes.load(std::memory_order_relaxed);
    auto arena = s.view.arena(i);
    codec::DecodedRecord record;
    if (bytes <= arena.size()) record = codec::decode(arena.first(bytes), s.max_body_bytes);
    bool valid = bytes <= arena.size() && record.status == codec::DecodeStatus::ok &&
                 record.type == codec::RecordType::request && record.request_id == id && id != 0 &&
                 !s.taken.contains(id);
    if (valid && record.body_spilled) {
      auto body = shm::read_spill(shm::spill_name(s.segment.name(), i), record.body_bytes);
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
      s.publish_error(i, id, ChannelError::corrupt_request);
      TakeResult corrupt;
      corrupt.kind = TakeResult::Kind::corrupt;
      corrupt.request_id = id;
      return corrupt;
    }
    s.taken.emplace(id, State::Taken{i, State::Turn::ours, false});
    s.slot_request[i] = id;
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

bool WorkerChannel::has_turn(uint64_t request_id) const {
  auto it = state_->taken.find(request_id);
  return it != state_->taken.end() && it->second.turn == State::Turn::ours;
}

RespondStatus WorkerChannel::State::check_turn(uint64_t id, bool want_begun, Taken*& entry) {
  auto it = taken.find(id);
  if (it == taken.end()) return RespondStatus::unknown_request;
  entry = &it->second;
  if (entry->turn == Turn::cancel_pending) return RespondStatus::cancelled;
  if (entry->turn != Turn::ours || entry->begun != want_begun) return RespondStatus::not_your_turn;
  return RespondStatus::ok;
}

RespondStatus WorkerChannel::State::send(uint64_t id, Taken& entry, size_t record_bytes,
                                         bool final) {
  if (!publish(entry.slot, record_bytes, final)) {
    // The supervisor abandoned it while we held the turn: its index is in the request ring,
    // and try_take answers the cancel when it pops it.
    entry.turn = Turn::cancel_pending;
    return RespondStatus::cancelled;
  }
  if (final) {
    slot_request[entry.slot] = 0;
    taken.erase(id);  // `entry` dies here
  } else {
    entry.turn = Turn::theirs;
  }
  return RespondStatus::ok;
}

RespondStatus WorkerChannel::respond(const HttpResponse& response) {
  State& s = *state_;
  State::Taken* entry = nullptr;
  if (RespondStatus status = s.check_turn(response.id, false, entry); status != RespondStatus::ok)
    return status;
  auto arena = s.view.arena(entry->slot);
  if (codec::encoded_size(response) > arena.size()) return RespondStatus::too_large;
  return s.send(response.id, *entry, codec::encode(response, arena), true);
}

RespondStatus WorkerChannel::begin(const HttpResponse& head, std::optional<uint64_t> length) {
  State& s = *state_;
  State::Taken* entry = nullptr;
  if (RespondStatus status = s.check_turn(head.id, false, entry); status != RespondStatus::ok)
    return status;
  auto arena = s.view.arena(entry->slot);
  if (codec::head_size(head) > arena.size()) {
    // No stream can start: the request ends here, as an error the supervisor answers 502.
    const RespondStatus sent =
        s.send(head.id, *entry,
               codec::encode_error(head.id, ChannelError::headers_too_large, arena), true);
    return sent == RespondStatus::ok ? RespondStatus::too_large : sent;
  }
  const size_t bytes = codec::encode_head(head, length, arena);
  entry->begun = true;
  return s.send(head.id, *entry, bytes, false);
}

RespondStatus WorkerChannel::write(uint64_t request_id, std::string_view bytes) {
  State& s = *state_;
  State::Taken* entry = nullptr;
  if (RespondStatus status = s.check_turn(request_id, true, entry); status != RespondStatus::ok)
    return status;
  if (bytes.size() > max_chunk_bytes()) return RespondStatus::too_large;
  return s.send(request_id, *entry,
                codec::encode_chunk(request_id, bytes, s.view.arena(entry->slot)), false);
}

RespondStatus WorkerChannel::end(uint64_t request_id, bool aborted) {
  State& s = *state_;
  State::Taken* entry = nullptr;
  if (RespondStatus status = s.check_turn(request_id, true, entry); status != RespondStatus::ok)
    return status;
  return s.send(request_id, *entry,
                codec::encode_end(request_id, aborted, s.view.arena(entry->slot)), true);
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

void WorkerChannel::set_egress(const WorkerEgress& egress) {
  // Relaxed: a report, like the times; a scrape may see one figure newer than another (a
  // histogram bucket ahead of the sum).
  static_assert(WorkerEgress::kFigures == shm::kEgressFigures);
  shm::SegmentHeader& header = *state_->view.header;
  size_t at = 0;
  WorkerEgress::for_each_figure(egress, [&](const uint64_t& figure) {
    header.egress[at++].store(figure, std::memory_order_relaxed);
  });
}

void WorkerChannel::set_log_write_failures(uint64_t failures) {
  // Relaxed: a report, like the times.
  state_->view.header->log_write_failures.store(failures, std::memory_order_relaxed);
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

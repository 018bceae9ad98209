// Supervisor side of a worker's channel, the reader thread's half: takes the worker's records
// from the response ring, checks them against what the supervisor knows of each slot, delivers
// them, and settles every slot after the worker died.
#include <mutex>

#include "shared/channel.h"
#include "shared/log.h"
#include "shared/record_codec.h"
#include "shared/supervisor_channel_state.h"

namespace wsup {
namespace {

using Kind = ResponseEvent::Kind;
using codec::RecordType;

ResponseEvent failure(uint64_t request_id, bool begun) {
  ResponseEvent e;
  e.kind = begun ? Kind::end : Kind::whole;
  e.request_id = request_id;
  e.error = ChannelError::corrupt_record;
  e.aborted = begun;
  return e;
}

}  // namespace

bool SupervisorChannel::State::expected_record(uint32_t type, bool final_state, const Slot& slot) {
  switch (static_cast<RecordType>(type)) {
    case RecordType::response:
    case RecordType::error:
      return final_state && !slot.begun;
    case RecordType::head:
      return !final_state && !slot.begun;
    case RecordType::chunk:
      return !final_state && slot.begun;
    case RecordType::end:
      // Complete only after a head; aborted also as the answer to a cancel before the head.
      return final_state && (slot.begun || slot.phase == Phase::cancelling);
    case RecordType::request:
      return false;
  }
  return false;
}

ResponseEvent SupervisorChannel::State::read_record(uint32_t i, bool final_state,
                                                    const Slot& slot) {
  const uint32_t bytes = header(i).record_bytes.load(std::memory_order_relaxed);
  auto arena = view.arena(i);
  codec::DecodedRecord record;
  const char* reason = nullptr;
  if (bytes > arena.size()) {
    reason = "length past the end of the slot";
  } else {
    record = codec::decode(arena.first(bytes), arena.size());
    if (record.status != codec::DecodeStatus::ok)
      reason = codec::to_string(record.status);
    else if (record.request_id != slot.request_id)
      reason = "another request's id";
    else if (!expected_record(static_cast<uint32_t>(record.type), final_state, slot))
      reason = "record out of order";
  }
  if (reason != nullptr) {
    count(view.header->supervisor_corrupt);
    mark_broken();
    log::warn("corrupt response record",
              {{"worker", options.worker_id}, {"req", slot.request_id}, {"reason", reason}});
    return failure(slot.request_id, slot.begun);
  }
  ResponseEvent e;
  e.request_id = slot.request_id;
  switch (record.type) {
    case RecordType::response:
      e.response = std::move(record.response);
      break;
    case RecordType::error:
      e.error = record.error;
      break;
    case RecordType::head:
      e.kind = Kind::head;
      e.response = std::move(record.response);
      e.length = record.declared_length;
      break;
    case RecordType::chunk:
      e.kind = Kind::chunk;
      e.chunk = std::move(record.chunk);
      break;
    case RecordType::end:
      e.kind = Kind::end;
      e.aborted = record.aborted;
      break;
    case RecordType::request:
      break;
  }
  return e;
}

size_t SupervisorChannel::poll_responses(const std::function<void(ResponseEvent&&)>& on_event) {
  using Phase = State::Phase;
  State& s = *state_;
  size_t delivered = 0;
  {
    // Only this (reader) thread closes the channel, in reap_after_death: checking once is enough.
    std::lock_guard lock(s.mutex);
    if (s.closed) return delivered;
  }
  for (;;) {
    uint32_t i = 0;
    shm::RingRead read = s.responses.pop(i);
    if (read == shm::RingRead::empty) return delivered;
    if (read == shm::RingRead::corrupt) {
      s.mark_broken();
      log::error("response ring cursor out of range", {{"worker", s.options.worker_id}});
      return delivered;
    }
    State::Slot slot;
    if (i < s.view.geometry.slots) {
      std::lock_guard lock(s.mutex);
      slot = s.slots[i];
    }
    // Acquire: the worker's record in the arena happens before its "done" or "sent" store.
    const uint32_t state =
        slot.phase == Phase::free ? shm::kFree : s.header(i).state.load(std::memory_order_acquire);
    const bool ours_to_read = slot.phase == Phase::queued || slot.phase == Phase::worker ||
                              (slot.phase == Phase::cancelling && state == shm::kDone);
    if (!ours_to_read || (state != shm::kDone && state != shm::kSent)) {
      s.count(s.view.header->supervisor_corrupt);
      s.mark_broken();  // as in read_record
      log::warn("response ring names a slot that has no response",
                {{"worker", s.options.worker_id}, {"slot", i}, {"state", state}});
      continue;
    }
    const bool final_state = state == shm::kDone;
    ResponseEvent event = s.read_record(i, final_state, slot);
    bool deliver = true;
    {
      std::lock_guard lock(s.mutex);
      State::Slot& live = s.slots[i];
      if (final_state) {
        deliver = !live.finished;
        s.free_slot(i);
      } else if (event.error != ChannelError::none) {
        live.finished = true;  // failed now; the worker's answer to the cancel is dropped
        s.cancel_held(i);
      } else if (live.abandoned) {
        deliver = false;  // unwanted since: tell the worker instead of the caller
        s.cancel_held(i);
      } else {
        live.phase = Phase::held;
        live.begun = true;  // a head, or a chunk after one
      }
    }
    if (!deliver) continue;
    on_event(std::move(event));
    ++delivered;
  }
}

bool SupervisorChannel::wait_for_responses(std::chrono::milliseconds timeout) {
  State& s = *state_;
  if (shm::spin_until(s.options.spin, [&] { return !s.responses.empty(); })) return true;
  if (!s.responses.announce_sleep()) return true;
  s.count(s.view.header->supervisor_sleeps);
  s.supervisor_bell.wait(timeout);
  s.supervisor_bell.drain();
  s.responses.end_sleep();
  return !s.responses.empty();
}

SupervisorChannel::Reaped SupervisorChannel::reap_after_death() {
  using Phase = State::Phase;
  State& s = *state_;
  Reaped reaped;
  std::lock_guard lock(s.mutex);
  if (s.closed) return reaped;
  s.closed = true;
  for (uint32_t i = 0; i < s.view.geometry.slots; ++i) {
    const State::Slot slot = s.slots[i];
    if (slot.phase == Phase::free) continue;
    uint32_t state = shm::kQueued;
    // acq_rel CAS, as in try_cancel: should the worker still be alive, one of us wins.
    if (slot.phase == Phase::queued && s.header(i).state.compare_exchange_strong(
                                           state, shm::kCancelled, std::memory_order_acq_rel)) {
      reaped.not_taken.push_back(slot.request_id);
    } else if (slot.finished) {
      // Its failure was delivered already.
    } else if (s.header(i).state.load(std::memory_order_acquire) == shm::kDone) {
      reaped.completed.push_back(s.read_record(i, true, slot));
    } else {
      // Taken, part-way through a stream (a head or chunk nobody read: it dies with the
      // worker), or a state the worker scribbled: it may have run, so never replay it.
      reaped.taken.push_back(slot.request_id);
    }
    s.free_slot(i);
  }
  shm::remove_objects_with_prefix(s.segment.name() + "-");
  return reaped;
}

}  // namespace wsup

// Supervisor side of a worker's channel: fills free slots, reads responses, reaps after death.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

#include "shared/channel.h"
#include "shared/doorbell.h"
#include "shared/log.h"
#include "shared/record_codec.h"
#include "shared/segment.h"

namespace wsup {

struct SupervisorChannel::State {
  ChannelOptions options;
  shm::Segment segment;
  shm::SegmentView view;
  shm::EventFd worker_bell;      // we ring it: the worker's request doorbell
  shm::EventFd supervisor_bell;  // the worker rings it: our response doorbell
  std::atomic<bool> broken{false};
  std::atomic<int64_t> rang_at_ns{0};  // last doorbell write: the worker gets time to wake up

  // Submit side, guarded by `mutex` (many HTTP threads). The reader takes it to free a slot.
  mutable std::mutex mutex;
  shm::RingProducer requests;
  // The in-process truth about each slot; shared memory is only ever checked against it.
  std::vector<uint64_t> slot_request_id;
  std::vector<uint8_t> slot_occupied;         // submitted and not yet completed or cancelled
  std::vector<uint8_t> slot_request_spilled;  // its request body went to a spill object
  std::vector<uint32_t> slot_generation;
  uint32_t next_slot = 0;
  size_t occupied = 0;
  bool closed = false;

  // Reader side (one thread).
  shm::RingConsumer responses;

  shm::SlotHeader& slot(uint32_t i) const { return view.slot(i); }
  void count(std::atomic<uint64_t>& counter) {
    // Relaxed: a statistic with one writer.
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // The worker answered in slot `i`: decode its record against what we know we sent.
  Completion read_response(uint32_t i) {
    Completion c;
    c.request_id = slot_request_id[i];
    uint32_t bytes = slot(i).record_bytes.load(std::memory_order_relaxed);
    auto arena = view.arena(i);
    std::string spill = shm::spill_name(segment.name(), 'r', i);
    if (bytes > arena.size()) {
      c.error = ChannelError::corrupt_record;
      log::warn("corrupt response record", {{"worker", options.worker_id},
                                            {"req", c.request_id},
                                            {"reason", "length past the end of the slot"},
                                            {"record_bytes", bytes}});
    } else {
      auto record = codec::decode(arena.first(bytes), options.max_body_bytes);
      if (record.status != codec::DecodeStatus::ok || record.request_id != c.request_id ||
          record.type == codec::RecordType::request) {
        c.error = ChannelError::corrupt_record;
        log::warn("corrupt response record", {{"worker", options.worker_id},
                                              {"req", c.request_id},
                                              {"reason", codec::to_string(record.status)}});
      } else if (record.type == codec::RecordType::error) {
        c.error = record.error;
      } else {
        c.response = std::move(record.response);
        if (record.body_spilled) {
          auto body = shm::read_spill(spill, record.body_bytes);
          if (body)
            c.response.body = std::move(*body);
          else
            c.error = ChannelError::spill_failed;
        }
      }
    }
    if (c.error == ChannelError::corrupt_record) {
      // A worker that writes garbage cannot be trusted with more requests: the pool kills it.
      // Relaxed: a flag; the pool's tick and try_submit only need to see it eventually.
      broken.store(true, std::memory_order_relaxed);
    }
    if (c.error != ChannelError::none) {
      count(view.header->supervisor_corrupt);
      shm::trim_spill(spill);  // in case the worker wrote a body nobody will read
    }
    return c;
  }

  // Under `mutex`: the slot goes back to the pool.
  void release_slot(uint32_t i) {
    if (slot_request_spilled[i]) {
      // Normally the worker read (and trimmed) it; after a cancel nobody did.
      shm::trim_spill(shm::spill_name(segment.name(), 'q', i));
      slot_request_spilled[i] = 0;
    }
    if (slot_occupied[i]) --occupied;
    slot_occupied[i] = 0;
    // Release: our reads of the arena are done before we let a new request overwrite it.
    slot(i).state.store(shm::kFree, std::memory_order_release);
  }

  // Under `mutex`: a free slot, or -1.
  int64_t find_free_slot() {
    for (uint32_t n = 0; n < view.geometry.slots; ++n) {
      uint32_t i = (next_slot + n) % view.geometry.slots;
      // Acquire: the worker's cancelled->free store is its last touch of the slot.
      if (!slot_occupied[i] && slot(i).state.load(std::memory_order_acquire) == shm::kFree) {
        next_slot = i + 1;
        return i;
      }
    }
    return -1;
  }
};

SupervisorChannel::SupervisorChannel(std::unique_ptr<State> state) : state_(std::move(state)) {}
SupervisorChannel::SupervisorChannel(SupervisorChannel&&) noexcept = default;
SupervisorChannel& SupervisorChannel::operator=(SupervisorChannel&&) noexcept = default;

SupervisorChannel::~SupervisorChannel() {
  // Large-body objects a dead or cancelled exchange left behind share the segment's prefix.
  if (state_) shm::remove_objects_with_prefix(state_->segment.name() + "-");
}

SupervisorChannel SupervisorChannel::create(const ChannelOptions& options) {
  auto geometry = shm::compute_geometry(options.slots, options.slot_arena_bytes);
  if (!geometry) {
    throw std::runtime_error("channel: slots must be 1.." + std::to_string(shm::kMaxSlots) +
                             " and slot_arena_bytes " + std::to_string(shm::kMinArenaBytes) + ".." +
                             std::to_string(shm::kMaxArenaBytes));
  }
  if (options.max_body_bytes > shm::kMaxBodyBytes) {
    throw std::runtime_error("channel: max_body_bytes above 1 GiB");
  }
  auto state = std::make_unique<State>();
  state->options = options;
  std::string name =
      shm::segment_name(options.instance_id, ::getpid(), options.worker_id, options.epoch);
  state->segment = shm::Segment::create(
      name, *geometry,
      {options.worker_id, options.epoch, options.max_body_bytes,
       static_cast<uint32_t>(std::clamp<int64_t>(options.spin.count(), 0, 10'000))});
  state->view = state->segment.view();
  state->worker_bell = shm::EventFd::create();
  state->supervisor_bell = shm::EventFd::create();
  const auto& v = state->view;
  state->requests = shm::RingProducer(v.requests, v.request_entries, geometry->ring_capacity);
  state->responses = shm::RingConsumer(v.responses, v.response_entries, geometry->ring_capacity);
  state->slot_request_id.assign(geometry->slots, 0);
  state->slot_occupied.assign(geometry->slots, 0);
  state->slot_request_spilled.assign(geometry->slots, 0);
  state->slot_generation.assign(geometry->slots, 0);
  return SupervisorChannel(std::move(state));
}

const std::string& SupervisorChannel::name() const {
  return state_->segment.name();
}
const ChannelOptions& SupervisorChannel::options() const {
  return state_->options;
}
int SupervisorChannel::worker_doorbell_fd() const {
  return state_->worker_bell.fd();
}
int SupervisorChannel::supervisor_doorbell_fd() const {
  return state_->supervisor_bell.fd();
}

SubmitStatus SupervisorChannel::try_submit(const HttpRequest& request) {
  State& s = *state_;
  if (request.body.size() > s.options.max_body_bytes) return SubmitStatus::too_large;
  std::lock_guard lock(s.mutex);
  if (s.closed || s.broken.load(std::memory_order_relaxed)) return SubmitStatus::closed;
  int64_t found = s.find_free_slot();
  if (found < 0) return SubmitStatus::full;
  auto i = static_cast<uint32_t>(found);
  auto arena = s.view.arena(i);
  bool spill = codec::encoded_size(request, false) > arena.size();
  if (spill && codec::encoded_size(request, true) > arena.size()) return SubmitStatus::too_large;
  uint32_t generation = ++s.slot_generation[i];
  if (spill && !shm::write_spill(shm::spill_name(s.segment.name(), 'q', i), request.body)) {
    return SubmitStatus::spill_failed;
  }
  size_t bytes = codec::encode(request, spill, arena);
  shm::SlotHeader& slot = s.slot(i);
  // Relaxed: published by the release store of the state just below.
  slot.generation.store(generation, std::memory_order_relaxed);
  slot.request_id.store(request.id, std::memory_order_relaxed);
  slot.record_bytes.store(static_cast<uint32_t>(bytes), std::memory_order_relaxed);
  // Release: the record and the fields above are visible before the worker can see "queued".
  slot.state.store(shm::kQueued, std::memory_order_release);
  s.slot_request_id[i] = request.id;
  s.slot_occupied[i] = 1;
  s.slot_request_spilled[i] = spill;
  ++s.occupied;
  // Cannot fail: every index in the ring is a distinct queued/cancelled slot, and capacity >=
  // slots. A false here means the worker's head is garbage.
  if (!s.requests.push(i)) {
    s.broken.store(true, std::memory_order_relaxed);
    log::error("request ring cursor out of range", {{"worker", s.options.worker_id}});
    return SubmitStatus::closed;
  }
  s.count(s.view.header->submitted);
  if (s.requests.consumer_needs_wakeup()) {
    s.count(s.view.header->worker_doorbells);
    // Relaxed: a time stamp for worker_busy_for's estimate, no data hangs on it.
    s.rang_at_ns.store(shm::monotonic_ns(), std::memory_order_relaxed);
    s.worker_bell.ring();
  }
  return SubmitStatus::ok;
}

bool SupervisorChannel::try_cancel(uint64_t request_id) {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  if (s.closed) return false;
  for (uint32_t i = 0; i < s.view.geometry.slots; ++i) {
    if (!s.slot_occupied[i] || s.slot_request_id[i] != request_id) continue;
    uint32_t expected = shm::kQueued;
    // acq_rel: exactly one of this CAS and the worker's queued->taken CAS wins.
    if (!s.slot(i).state.compare_exchange_strong(expected, shm::kCancelled,
                                                 std::memory_order_acq_rel)) {
      return false;
    }
    s.slot_occupied[i] = 0;  // the worker frees the slot when it pops the index
    --s.occupied;
    return true;
  }
  return false;
}

size_t SupervisorChannel::poll_responses(const std::function<void(Completion&&)>& on_completion) {
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
      s.broken.store(true, std::memory_order_relaxed);
      log::error("response ring cursor out of range", {{"worker", s.options.worker_id}});
      return delivered;
    }
    bool known = false;
    if (i < s.view.geometry.slots) {
      std::lock_guard lock(s.mutex);
      known = s.slot_occupied[i] != 0;
    }
    // Acquire: the worker's record in the arena happens before its "done" store.
    if (!known || s.slot(i).state.load(std::memory_order_acquire) != shm::kDone) {
      s.count(s.view.header->supervisor_corrupt);
      s.broken.store(true, std::memory_order_relaxed);  // as in read_response
      log::warn("response ring names a slot that has no response",
                {{"worker", s.options.worker_id}, {"slot", i}});
      continue;
    }
    Completion completion = s.read_response(i);
    {
      std::lock_guard lock(s.mutex);
      s.release_slot(i);
    }
    on_completion(std::move(completion));
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
  State& s = *state_;
  Reaped reaped;
  std::lock_guard lock(s.mutex);
  if (s.closed) return reaped;
  s.closed = true;
  for (uint32_t i = 0; i < s.view.geometry.slots; ++i) {
    if (!s.slot_occupied[i]) continue;
    uint32_t state = shm::kQueued;
    // acq_rel CAS, as in try_cancel: should the worker still be alive, one of us wins.
    if (s.slot(i).state.compare_exchange_strong(state, shm::kCancelled,
                                                std::memory_order_acq_rel)) {
      reaped.not_taken.push_back(s.slot_request_id[i]);
    } else if (state == shm::kDone) {
      reaped.completed.push_back(s.read_response(i));
    } else {
      // Taken, or a state the worker scribbled: it may have run, so never replay it.
      reaped.taken.push_back(s.slot_request_id[i]);
    }
    s.release_slot(i);
  }
  shm::remove_objects_with_prefix(s.segment.name() + "-");
  return reaped;
}

int32_t SupervisorChannel::worker_pid() const {
  // Relaxed: a report, not a handshake.
  return state_->view.header->worker_pid.load(std::memory_order_relaxed);
}

WorkerState SupervisorChannel::worker_state() const {
  uint32_t raw = state_->view.header->worker_state.load(std::memory_order_relaxed);
  return raw <= static_cast<uint32_t>(WorkerState::replace_me) ? static_cast<WorkerState>(raw)
                                                               : WorkerState::fatal;
}

std::chrono::milliseconds SupervisorChannel::heartbeat_age() const {
  int64_t beat = state_->view.header->heartbeat_ns.load(std::memory_order_relaxed);
  int64_t age = shm::monotonic_ns() - beat;
  return std::chrono::milliseconds(age > 0 ? age / 1'000'000 : 0);
}

uint64_t SupervisorChannel::heap_used_bytes() const {
  // Relaxed: a report, not a handshake.
  return state_->view.header->heap_used_bytes.load(std::memory_order_relaxed);
}

WorkerTimes SupervisorChannel::worker_times() const {
  // Relaxed: a report, not a handshake. Untrusted like the rest: only ever displayed.
  const shm::SegmentHeader& header = *state_->view.header;
  WorkerTimes times;
  times.context_ns = header.context_ns.load(std::memory_order_relaxed);
  times.spare_context_ns = header.spare_context_ns.load(std::memory_order_relaxed);
  times.script_ns = header.script_ns.load(std::memory_order_relaxed);
  times.spare_hits = header.spare_hits.load(std::memory_order_relaxed);
  return times;
}

std::chrono::nanoseconds SupervisorChannel::worker_busy_for() const {
  const State& s = *state_;
  // Relaxed throughout: an estimate for routing; a stale value only routes one request worse.
  if (s.view.requests->consumer_sleeping.load(std::memory_order_relaxed) != 0) return {};
  int64_t since = std::max(s.view.header->heartbeat_ns.load(std::memory_order_relaxed),
                           s.rang_at_ns.load(std::memory_order_relaxed));
  int64_t age = shm::monotonic_ns() - since;
  return std::chrono::nanoseconds(age > 0 ? age : 0);
}

ChannelCounters SupervisorChannel::counters() const {
  const shm::SegmentHeader& h = *state_->view.header;
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  return {get(h.submitted),        get(h.taken),
          get(h.responded),        get(h.worker_corrupt) + get(h.supervisor_corrupt),
          get(h.worker_doorbells), get(h.supervisor_doorbells),
          get(h.worker_sleeps),    get(h.supervisor_sleeps)};
}

std::optional<std::string> SupervisorChannel::fatal_reason() const {
  const shm::SegmentHeader& h = *state_->view.header;
  // Acquire: pairs with record_fatal's release; the text is complete once the length is set.
  uint32_t length = h.fatal_length.load(std::memory_order_acquire);
  if (length == 0) return std::nullopt;
  return std::string(h.fatal_reason, std::min<size_t>(length, shm::kFatalReasonBytes));
}

size_t SupervisorChannel::in_flight() const {
  std::lock_guard lock(state_->mutex);
  return state_->occupied;
}

bool SupervisorChannel::broken() const {
  // Relaxed: a flag read for reporting; the reader thread sets it.
  return state_->broken.load(std::memory_order_relaxed);
}

bool clear_close_on_exec(int fd) noexcept {
  int flags = ::fcntl(fd, F_GETFD);
  return flags >= 0 && ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) == 0;
}

}  // namespace wsup

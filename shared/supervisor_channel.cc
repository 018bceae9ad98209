// Supervisor side of a worker's channel: fills free slots, releases and abandons answers, reads
// the worker's reports. The reader thread's half is supervisor_reader.cc.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

#include "shared/channel.h"
#include "shared/log.h"
#include "shared/record_codec.h"
#include "shared/supervisor_channel_state.h"

namespace wsup {

bool SupervisorChannel::State::push_to_worker(uint32_t i) {
  // Cannot fail: an index is in the request ring at most once (queued, cancelled, released or
  // cancel requested, and popped before it can be pushed again), and capacity >= slots. A
  // false here means the worker's head cursor is garbage.
  if (!requests.push(i)) {
    mark_broken();
    log::error("request ring cursor out of range", {{"worker", options.worker_id}});
    return false;
  }
  if (requests.consumer_needs_wakeup()) {
    count(view.header->worker_doorbells);
    // Relaxed: a time stamp for worker_busy_for's estimate, no data hangs on it.
    rang_at_ns.store(shm::monotonic_ns(), std::memory_order_relaxed);
    worker_bell.ring();
  }
  return true;
}

void SupervisorChannel::State::cancel_held(uint32_t i) {
  uint32_t expected = shm::kSent;
  // acq_rel: our reads of its record are done before the worker may overwrite the arena, and
  // only we move a slot out of sent, so failing means the worker scribbled on the state word.
  if (!header(i).state.compare_exchange_strong(expected, shm::kCancelRequested,
                                               std::memory_order_acq_rel)) {
    mark_broken();
    log::warn("slot state changed under a held record",
              {{"worker", options.worker_id}, {"slot", i}, {"state", expected}});
    return;
  }
  slots[i].phase = Phase::cancelling;
  push_to_worker(i);
}

void SupervisorChannel::State::free_slot(uint32_t i) {
  Slot& slot = slots[i];
  if (slot.request_spilled) {
    // Normally the worker read (and trimmed) it; after a cancel nobody did.
    shm::trim_spill(shm::spill_name(segment.name(), i));
  }
  if (slot.phase != Phase::free) {
    --occupied;
    slot_of.erase(slot.request_id);
  }
  slot = Slot{};
  // Release: our reads of the arena are done before we let a new request overwrite it.
  header(i).state.store(shm::kFree, std::memory_order_release);
}

int64_t SupervisorChannel::State::find_free_slot() {
  for (uint32_t n = 0; n < view.geometry.slots; ++n) {
    uint32_t i = (next_slot + n) % view.geometry.slots;
    // Acquire: the worker's cancelled->free store is its last touch of the slot.
    if (slots[i].phase == Phase::free &&
        header(i).state.load(std::memory_order_acquire) == shm::kFree) {
      next_slot = i + 1;
      return i;
    }
  }
  return -1;
}

int64_t SupervisorChannel::State::slot_of_request(uint64_t request_id) const {
  auto it = slot_of.find(request_id);
  return it == slot_of.end() ? int64_t{-1} : int64_t{it->second};
}

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
  state->slots.assign(geometry->slots, State::Slot{});
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
  if (spill && !shm::write_spill(shm::spill_name(s.segment.name(), i), request.body)) {
    return SubmitStatus::spill_failed;
  }
  size_t bytes = codec::encode(request, spill, arena);
  shm::SlotHeader& slot = s.header(i);
  // Relaxed: published by the release store of the state just below.
  slot.request_id.store(request.id, std::memory_order_relaxed);
  slot.record_bytes.store(static_cast<uint32_t>(bytes), std::memory_order_relaxed);
  // Release: the record and the fields above are visible before the worker can see "queued".
  slot.state.store(shm::kQueued, std::memory_order_release);
  s.slots[i] = State::Slot{request.id, State::Phase::queued, false, false, false, spill};
  s.slot_of[request.id] = i;
  ++s.occupied;
  if (!s.push_to_worker(i)) return SubmitStatus::closed;
  s.count(s.view.header->submitted);
  return SubmitStatus::ok;
}

bool SupervisorChannel::try_cancel(uint64_t request_id) {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  if (s.closed) return false;
  int64_t i = s.slot_of_request(request_id);
  if (i < 0 || s.slots[i].phase != State::Phase::queued) return false;
  uint32_t expected = shm::kQueued;
  // acq_rel: exactly one of this CAS and the worker's queued->taken CAS wins.
  if (!s.header(i).state.compare_exchange_strong(expected, shm::kCancelled,
                                                 std::memory_order_acq_rel)) {
    return false;
  }
  // Ours again, but the worker frees the shared state when it pops the index.
  s.slot_of.erase(request_id);
  s.slots[i] = State::Slot{};
  --s.occupied;
  return true;
}

bool SupervisorChannel::abandon(uint64_t request_id) {
  using Phase = State::Phase;
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  if (s.closed) return false;
  int64_t found = s.slot_of_request(request_id);
  if (found < 0) return false;
  auto i = static_cast<uint32_t>(found);
  State::Slot& slot = s.slots[i];
  slot.abandoned = true;
  if (slot.phase == Phase::held) {
    s.cancel_held(i);
    return false;
  }
  if (slot.phase != Phase::queued && slot.phase != Phase::worker) return false;
  // acq_rel CASes throughout: each races the worker's own move of the state word, and exactly
  // one side wins. A lost race reloads `state` and decides again.
  uint32_t state = s.header(i).state.load(std::memory_order_acquire);
  for (;;) {
    uint32_t next = 0;
    if (state == shm::kQueued)
      next = shm::kCancelled;  // not taken yet: withdrawn, as try_cancel
    else if (state == shm::kTaken || state == shm::kReleased)
      next = shm::kCancelRequested;
    else
      return false;  // sent or done: the record is on its way; the reader sees `abandoned`
    if (!s.header(i).state.compare_exchange_weak(state, next, std::memory_order_acq_rel)) continue;
    if (next == shm::kCancelled) {
      s.slot_of.erase(request_id);
      s.slots[i] = State::Slot{};
      --s.occupied;
      return true;
    }
    slot.phase = Phase::cancelling;
    // A released slot's index is in the request ring already: the worker finds the cancel
    // when it pops it. A taken one's is in no ring.
    if (next == shm::kCancelRequested && state == shm::kTaken) s.push_to_worker(i);
    return false;
  }
}

void SupervisorChannel::release(uint64_t request_id) {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  if (s.closed) return;
  int64_t found = s.slot_of_request(request_id);
  if (found < 0 || s.slots[found].phase != State::Phase::held) return;
  auto i = static_cast<uint32_t>(found);
  uint32_t expected = shm::kSent;
  // acq_rel: our reads of the record happen before the worker may write the next one there.
  if (!s.header(i).state.compare_exchange_strong(expected, shm::kReleased,
                                                 std::memory_order_acq_rel)) {
    s.mark_broken();
    log::warn("slot state changed under a held record",
              {{"worker", s.options.worker_id}, {"slot", i}, {"state", expected}});
    return;
  }
  s.slots[i].phase = State::Phase::worker;
  s.push_to_worker(i);
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

WorkerEgress SupervisorChannel::worker_egress() const {
  // Relaxed: a report, not a handshake. Untrusted: only ever displayed.
  static_assert(WorkerEgress::kFigures == shm::kEgressFigures);
  const shm::SegmentHeader& header = *state_->view.header;
  WorkerEgress egress;
  size_t at = 0;
  WorkerEgress::for_each_figure(egress, [&](uint64_t& figure) {
    figure = header.egress[at++].load(std::memory_order_relaxed);
  });
  return egress;
}

uint64_t SupervisorChannel::worker_log_write_failures() const {
  // Relaxed: a report, not a handshake. Untrusted: only ever displayed.
  return state_->view.header->log_write_failures.load(std::memory_order_relaxed);
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

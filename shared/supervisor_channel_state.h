// The supervisor side's state, shared by supervisor_channel.cc (submit, release, abandon, header
// readers) and supervisor_reader.cc (the reader thread: poll, wait, reap). Private to shared/.
//
// The supervisor keeps the truth about each slot in its own memory (which request, how far its
// answer got) and only ever checks shared memory against it: a worker that scribbles can fail
// its own requests, never the supervisor's bookkeeping.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "shared/channel.h"
#include "shared/doorbell.h"
#include "shared/segment.h"

namespace wsup {

struct SupervisorChannel::State {
  // Where a slot's request stands, as the supervisor knows it.
  enum class Phase : uint8_t {
    free,        // ours (shared state free, or cancelled until the worker pops it)
    queued,      // submitted; the worker may have taken it since
    worker,      // the worker's turn after a release: it may publish a record any time
    held,        // we delivered its head or chunk and wait for release() (shared state sent)
    cancelling,  // we asked the worker to end it (cancel requested); its aborted end frees it
  };
  struct Slot {
    uint64_t request_id = 0;
    Phase phase = Phase::free;
    bool begun = false;      // a head was delivered: chunks and an end may follow, nothing else
    bool abandoned = false;  // the answer is unwanted: no head or chunk is delivered any more
    bool finished = false;   // its finishing event was delivered (after a corrupt record)
    bool request_spilled = false;  // its request body went to the slot's large-body object
  };

  ChannelOptions options;
  shm::Segment segment;
  shm::SegmentView view;
  shm::EventFd worker_bell;      // we ring it: the worker's request doorbell
  shm::EventFd supervisor_bell;  // the worker rings it: our response doorbell
  std::atomic<bool> broken{false};
  std::atomic<int64_t> rang_at_ns{0};  // last doorbell write: the worker gets time to wake up

  // Guards everything below up to `responses` (submitting, releasing and abandoning threads, and
  // the reader when it changes a slot's phase).
  mutable std::mutex mutex;
  shm::RingProducer requests;
  std::vector<Slot> slots;
  std::unordered_map<uint64_t, uint32_t> slot_of;  // request id -> slot, while not free
  uint32_t next_slot = 0;
  size_t occupied = 0;
  bool closed = false;

  // Reader side (one thread).
  shm::RingConsumer responses;

  shm::SlotHeader& header(uint32_t i) const { return view.slot(i); }
  void count(std::atomic<uint64_t>& counter) {
    // Relaxed: a statistic with one writer.
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  // The worker wrote something no correct worker writes: it cannot be trusted with more.
  void mark_broken() {
    // Relaxed: a flag; the pool's tick and try_submit only need to see it eventually.
    broken.store(true, std::memory_order_relaxed);
  }

  // Under `mutex`. Pushes slot `i` into the request ring (the worker's turn, or its cancel) and
  // rings the worker if it announced sleep. False when the ring's cursors are garbage.
  bool push_to_worker(uint32_t i);
  // Under `mutex`: the slot's state is sent (we hold its record): ask the worker to end it.
  void cancel_held(uint32_t i);
  // Under `mutex`: the slot goes back to the pool (after its final record, or at reap).
  void free_slot(uint32_t i);
  // Under `mutex`: a free slot, or -1.
  int64_t find_free_slot();
  // Under `mutex`: the slot of a request still in shared memory, or -1.
  int64_t slot_of_request(uint64_t request_id) const;

  // Reader thread (supervisor_reader.cc). Decodes the record the worker published in slot `i`
  // (`final_state`: done, else sent) against `slot`, a copy taken under the mutex. A record that
  // fails yields the request's failure (a 502 before its head, a cut stream after) and marks the
  // channel broken.
  ResponseEvent read_record(uint32_t i, bool final_state, const Slot& slot);
  // Whether a record of `type` may come next for `slot`.
  static bool expected_record(uint32_t type, bool final_state, const Slot& slot);
};

}  // namespace wsup

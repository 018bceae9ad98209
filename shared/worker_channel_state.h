// The worker side's state: private to shared/worker_channel.cc, and to the test-only fault
// writer (tests/support/worker_channel_faults.h), which writes records no worker should.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "shared/channel.h"
#include "shared/doorbell.h"
#include "shared/segment.h"

namespace wsup {

struct WorkerChannel::State {
  // Who may write a taken request's next record.
  enum class Turn : uint8_t {
    ours,            // the slot is taken: write now
    theirs,          // a head or chunk is out (sent): wait for its release
    cancel_pending,  // the supervisor abandoned it while we wrote: ack when its index pops
  };
  struct Taken {
    uint32_t slot = 0;
    Turn turn = Turn::ours;
    bool begun = false;  // a head went out: chunks and an end may follow
  };

  shm::Segment segment;
  shm::SegmentView view;
  uint32_t worker_id = 0, epoch = 0;
  uint64_t max_body_bytes = 0;
  shm::EventFd request_bell;   // the supervisor rings it
  shm::EventFd response_bell;  // we ring it
  shm::RingConsumer requests;
  shm::RingProducer responses;
  std::chrono::microseconds spin{20};
  std::unordered_map<uint64_t, Taken> taken;  // by request id, until its final record
  std::vector<uint64_t> slot_request;         // by slot: the request we took there (0: none)
  // Slots of requests popped by try_take(false): out of the ring but still queued (the
  // supervisor may take them back), taken first and in order once requests are accepted.
  std::deque<uint32_t> deferred;

  shm::SlotHeader& slot(uint32_t i) const { return view.slot(i); }
  void count(std::atomic<uint64_t>& counter) {
    // Relaxed: a statistic with one writer.
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // The record in slot `i`'s arena is written: hand it to the supervisor. `final`: it ends the
  // request (done), else it is a head or chunk (sent). `from` is the state we own the arena in
  // (taken, or cancel requested for the answer to a cancel). False when the supervisor moved the
  // state meanwhile (it abandoned the request): nothing was published.
  bool publish(uint32_t i, size_t record_bytes, bool final, uint32_t from = shm::kTaken);
  // Ends a request with an error record (it never got a response).
  void publish_error(uint32_t i, uint64_t request_id, ChannelError error);
  // The checks every answer makes: the request is ours, it is our turn, and the call fits how
  // far its answer got (`want_begun`: a head went out). Sets `entry` when the request is ours.
  RespondStatus check_turn(uint64_t id, bool want_begun, Taken*& entry);
  // Publishes the record written into `entry`'s slot and moves the turn on (or forgets the
  // request when `final`). cancelled when the supervisor abandoned it meanwhile.
  RespondStatus send(uint64_t id, Taken& entry, size_t record_bytes, bool final);
};

}  // namespace wsup

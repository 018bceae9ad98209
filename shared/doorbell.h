// Doorbells (eventfds) and the NEED_WAKEUP protocol on an IndexRing, plus the ring's
// single-producer/single-consumer cursor operations.
//
// Consumer: spin a little while the ring is empty; then announce (consumer_sleeping = 1,
// seq_cst), re-check the ring (seq_cst load); only if still empty wait on the eventfd. Producer:
// publish the entry (tail, seq_cst), load the flag (seq_cst), and ring the eventfd only if the
// consumer announced, clearing the announcement so one sleep costs at most one write(2). The
// seq_cst total order guarantees that either the consumer sees the new entry or the producer
// sees the announcement (Dekker): no lost wake-up.
#pragma once

#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <utility>

#include "shared/segment.h"

namespace wsup::shm {

// An owned, non-blocking eventfd (close-on-exec unless cleared for a child).
class EventFd {
 public:
  static EventFd create();  // throws std::runtime_error
  static EventFd adopt(int fd) { return EventFd(fd); }
  EventFd() = default;
  EventFd(EventFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  EventFd& operator=(EventFd&& other) noexcept;
  ~EventFd();

  int fd() const { return fd_; }
  void ring() const;   // write(1)
  void drain() const;  // read until empty (non-blocking)
  // poll(2) for readability up to `timeout`; true if readable.
  bool wait(std::chrono::milliseconds timeout) const;

 private:
  explicit EventFd(int fd) : fd_(fd) {}
  int fd_ = -1;
};

enum class RingRead { empty, entry, corrupt };

// Consumer side of one IndexRing; keeps its own head (the shared one is only published).
class RingConsumer {
 public:
  RingConsumer() = default;
  RingConsumer(IndexRing* ring, std::atomic<uint32_t>* entries, uint32_t capacity)
      : ring_(ring), entries_(entries), capacity_(capacity) {}
  RingRead pop(uint32_t& index);
  bool empty() const;
  // NEED_WAKEUP announcement: true if the ring is still empty after announcing (sleep now).
  bool announce_sleep();
  void end_sleep();

 private:
  IndexRing* ring_ = nullptr;
  std::atomic<uint32_t>* entries_ = nullptr;
  uint32_t capacity_ = 0;
  uint64_t head_ = 0;
};

// Producer side; keeps its own tail and a cached copy of the consumer's head.
class RingProducer {
 public:
  RingProducer() = default;
  RingProducer(IndexRing* ring, std::atomic<uint32_t>* entries, uint32_t capacity)
      : ring_(ring), entries_(entries), capacity_(capacity) {}
  // False if full (or the consumer's head is out of range).
  bool push(uint32_t index);
  // Call after push: true if the consumer announced sleep and must be rung (announcement is
  // cleared, so at most one ring per sleep).
  bool consumer_needs_wakeup();

 private:
  IndexRing* ring_ = nullptr;
  std::atomic<uint32_t>* entries_ = nullptr;
  uint32_t capacity_ = 0;
  uint64_t tail_ = 0;
  uint64_t head_cache_ = 0;
};

// Spins up to `spin` until `ready()`; true if it became ready. Between checks it yields the
// CPU, so on an oversubscribed machine the spinning consumer does not starve its own producer
// (measured: pure pause-spinning made round trips 5x slower on a loaded 2-core box).
template <typename Ready>
bool spin_until(std::chrono::microseconds spin, Ready ready) {
  if (ready()) return true;
  if (spin.count() <= 0) return false;
  auto until = std::chrono::steady_clock::now() + spin;
  for (unsigned i = 1;; ++i) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    if (ready()) return true;
    if ((i & 15) == 0) {
      if (std::chrono::steady_clock::now() >= until) return false;
      sched_yield();
    }
  }
}

}  // namespace wsup::shm

#include "shared/doorbell.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace wsup::shm {

EventFd EventFd::create() {
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) throw std::runtime_error(std::string("cannot create eventfd: ") + strerror(errno));
  return EventFd(fd);
}

EventFd& EventFd::operator=(EventFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

EventFd::~EventFd() {
  if (fd_ >= 0) ::close(fd_);
}

void EventFd::ring() const {
  uint64_t one = 1;
  // EAGAIN only when the counter is near 2^64: the consumer is awake anyway.
  [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
}

void EventFd::drain() const {
  uint64_t count = 0;
  // One read returns and resets the whole counter; EAGAIN when it was already zero.
  [[maybe_unused]] ssize_t n = ::read(fd_, &count, sizeof count);
}

bool EventFd::wait(std::chrono::milliseconds timeout) const {
  pollfd p{fd_, POLLIN, 0};
  int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  return n > 0 && (p.revents & POLLIN) != 0;
}

RingRead RingConsumer::pop(uint32_t& index) {
  // Acquire: the producer's entry write (and the slot it points at) happen before its tail store.
  uint64_t tail = ring_->tail.load(std::memory_order_acquire);
  if (tail == head_) return RingRead::empty;
  if (tail - head_ > capacity_) return RingRead::corrupt;  // the producer's cursor is garbage
  // Relaxed: ordered by the acquire above.
  index = entries_[head_ & (capacity_ - 1)].load(std::memory_order_relaxed);
  ++head_;
  // Release: our read of the entry happens before the producer may overwrite it.
  ring_->head.store(head_, std::memory_order_release);
  return RingRead::entry;
}

bool RingConsumer::empty() const {
  // Acquire, as in pop: a non-empty answer is followed by pop reading the entry.
  return ring_->tail.load(std::memory_order_acquire) == head_;
}

bool RingConsumer::announce_sleep() {
  // seq_cst store of the flag, then seq_cst load of tail; the producer does seq_cst store of
  // tail, then seq_cst load of the flag. In the single total order of seq_cst operations one
  // of us must see the other's store (Dekker), so no wake-up is lost. (Atomics, not fences:
  // ThreadSanitizer does not support std::atomic_thread_fence.)
  ring_->consumer_sleeping.store(1, std::memory_order_seq_cst);
  if (ring_->tail.load(std::memory_order_seq_cst) != head_) {
    end_sleep();
    return false;
  }
  return true;
}

void RingConsumer::end_sleep() {
  // Relaxed: a stale 1 only costs the producer one spare doorbell write.
  ring_->consumer_sleeping.store(0, std::memory_order_relaxed);
}

bool RingProducer::push(uint32_t index) {
  if (tail_ - head_cache_ >= capacity_) {
    // Acquire: the consumer finished reading entries below its head before publishing it.
    head_cache_ = ring_->head.load(std::memory_order_acquire);
    if (head_cache_ > tail_ || tail_ - head_cache_ >= capacity_) return false;
  }
  // Relaxed: published by the release store of tail below.
  entries_[tail_ & (capacity_ - 1)].store(index, std::memory_order_relaxed);
  ++tail_;
  // Release would publish the entry and its slot; seq_cst also orders this store before the
  // flag load in consumer_needs_wakeup (see RingConsumer::announce_sleep). One locked
  // instruction per record on x86, the price of the fence it replaces.
  ring_->tail.store(tail_, std::memory_order_seq_cst);
  return true;
}

bool RingProducer::consumer_needs_wakeup() {
  // seq_cst load after push's seq_cst tail store: see RingConsumer::announce_sleep.
  if (ring_->consumer_sleeping.load(std::memory_order_seq_cst) == 0) return false;
  // Relaxed exchange: only decides which producer write rings; the eventfd orders the rest.
  return ring_->consumer_sleeping.exchange(0, std::memory_order_relaxed) != 0;
}

}  // namespace wsup::shm

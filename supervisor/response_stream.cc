#include "supervisor/response_stream.h"

#include <utility>

namespace wsup::supervisor {

ResponseStream::ResponseStream(std::shared_ptr<RequestChannel> channel, uint64_t request_id,
                               std::optional<uint64_t> length)
    : channel_(std::move(channel)), request_id_(request_id), length_(length) {}

ResponseStream::~ResponseStream() {
  cancel();
}

void ResponseStream::push(std::string chunk) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_ || ended_) return;
    if (chunk_)
      chunk_->append(chunk);  // the channel does not let it happen: one chunk per release
    else
      chunk_ = std::move(chunk);
    wake = std::move(wake_);
    wake_ = nullptr;
  }
  if (wake) wake();
}

void ResponseStream::finish(bool aborted, const char* why) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_ || ended_) return;
    ended_ = true;
    aborted_ = aborted;
    why_ = why;
    wake = std::move(wake_);
    wake_ = nullptr;
  }
  if (wake) wake();
}

ResponseStream::Next ResponseStream::take_or_wait(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  Next next;
  if (chunk_) {
    next.kind = Next::Kind::chunk;
    next.chunk = std::move(*chunk_);
    chunk_.reset();
  } else if (ended_) {
    next.kind = Next::Kind::end;
    next.aborted = aborted_;
    next.why = why_;
    taken_end_ = true;
  } else if (!cancelled_) {
    wake_ = std::move(wake);
  }
  return next;
}

void ResponseStream::release() {
  {
    std::lock_guard lock(mutex_);
    if (cancelled_ || ended_) return;
  }
  channel_->release(request_id_);
}

void ResponseStream::cancel() {
  {
    std::lock_guard lock(mutex_);
    if (cancelled_ || taken_end_) return;
    cancelled_ = true;
    chunk_.reset();
    wake_ = nullptr;     // it may hold the connection: let it go
    if (ended_) return;  // the worker is through with it: nothing to tell
  }
  channel_->abandon(request_id_);
}

}  // namespace wsup::supervisor

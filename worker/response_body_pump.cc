#include "worker/response_body_pump.h"

#include <algorithm>

namespace wsup::worker {

bool ResponseBodyPump::push(std::string_view bytes) {
  if (ended_) return false;
  bytes_ += bytes.size();
  held_.append(bytes);
  flush();
  return room();
}

void ResponseBodyPump::close() {
  closed_ = true;
  flush();
}

void ResponseBodyPump::flush() {
  if (ended_) return;
  while (!held_.empty() && sink_.ready()) {
    const size_t size = std::min(held_.size(), sink_.max_chunk_bytes());
    if (size == held_.size()) {
      sink_.write(std::move(held_));
      held_.clear();
    } else {
      sink_.write(held_.substr(0, size));
      held_.erase(0, size);
    }
  }
  // A well-formed end goes out after the last chunk, like a chunk (ResponseSink's contract); an
  // abrupt one may go at any time, but after what was held, so that it reaches the client too.
  if (closed_ && held_.empty() && (failed_ || sink_.ready())) {
    ended_ = true;
    sink_.end(failed_);
  }
}

void ResponseBodyPump::fail() {
  failed_ = true;
  close();
}

void ResponseBodyPump::abort() {
  if (ended_) return;
  ended_ = true;
  held_.clear();
  sink_.end(true);
}

}  // namespace wsup::worker

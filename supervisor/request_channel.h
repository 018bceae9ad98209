// What the dispatcher needs from one worker process's request path.
//
// The real implementation wraps shared/channel.h's SupervisorChannel (supervisor/shm_link.h);
// tests substitute an in-memory fake. Calls come from many HTTP threads at once and are serialized
// by the dispatcher's lock, so implementations need no locking of their own for these two.
#pragma once

#include <chrono>
#include <cstdint>

#include "shared/http_message.h"

namespace wsup::supervisor {

enum class SubmitResult {
  accepted,   // the worker will see it
  full,       // no free slot now: try another worker or wait
  too_large,  // can never fit this channel
  closed,     // the worker is gone
};

class RequestChannel {
 public:
  virtual ~RequestChannel() = default;
  virtual SubmitResult try_submit(const HttpRequest& request) = 0;
  // True when the request was withdrawn before the worker took it; false when the worker has
  // taken it already (its response will still arrive and must be dropped).
  virtual bool try_cancel(uint64_t request_id) = 0;
  // How long the worker's one thread has been away from its loop (running one request); zero
  // while it is idle or came back recently. Routing avoids busy workers and takes queued
  // requests back from them (see Dispatcher).
  virtual std::chrono::nanoseconds busy_for() const { return {}; }
};

}  // namespace wsup::supervisor

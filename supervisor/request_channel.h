// What the dispatcher and a response stream need from one worker process's request path.
//
// The real implementation wraps shared/channel.h's SupervisorChannel (ShmRequestChannel in
// supervisor/worker_process.h); tests substitute in-memory fakes. try_submit, try_cancel and
// abandon come from many HTTP threads under the dispatcher's lock; release and abandon of a
// streamed response also come from connections' I/O threads without it. Implementations must
// therefore be thread-safe (SupervisorChannel has its own mutex).
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
  // taken it already (it runs on, and its answer still arrives).
  virtual bool try_cancel(uint64_t request_id) = 0;
  // The answer is no longer wanted: withdrawn if not taken yet (true, as try_cancel); otherwise
  // the worker is told to stop and its answer ends (aborted) soon (false).
  virtual bool abandon(uint64_t request_id) { return try_cancel(request_id); }
  // The head or chunk of a streamed answer delivered last is written to the client: the worker
  // may send the next one.
  virtual void release(uint64_t request_id) {}
  // How long the worker's one thread has been away from its loop (running one request); zero
  // while it is idle or came back recently. Routing avoids busy workers and takes queued
  // requests back from them (see Dispatcher).
  virtual std::chrono::nanoseconds busy_for() const { return {}; }
};

}  // namespace wsup::supervisor

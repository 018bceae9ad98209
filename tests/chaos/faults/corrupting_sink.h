// The sink of a request the test-only worker answers with garbage: a whole response becomes a
// record the supervisor must reject (WorkerChannelFaults); streams pass through untouched.
#pragma once

#include "tests/support/worker_channel_faults.h"
#include "worker/channel_response_sink.h"

namespace wsup::worker {

class CorruptingSink : public ChannelResponseSink {
 public:
  CorruptingSink(WorkerChannel& channel, uint64_t request_id, Defer defer,
                 std::function<void()> finished, WorkerChannelFaults::Corruption how);
  void respond(HttpResponse response) override;

 private:
  const WorkerChannelFaults::Corruption how_;
};

}  // namespace wsup::worker

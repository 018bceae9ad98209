#include "tests/chaos/faults/corrupting_sink.h"

#include <utility>

#include "shared/log.h"

namespace wsup::worker {

CorruptingSink::CorruptingSink(WorkerChannel& channel, uint64_t request_id, Defer defer,
                               std::function<void()> finished, WorkerChannelFaults::Corruption how)
    : ChannelResponseSink(channel, request_id, std::move(defer), std::move(finished)), how_(how) {}

void CorruptingSink::respond(HttpResponse response) {
  if (is_finished()) return;
  auto self = shared_from_this();  // finish() may drop every other reference
  log::warn("test fault: writing a corrupt response record",
            {{"req", request_id()}, {"kind", static_cast<int64_t>(how_)}});
  response.id = request_id();
  // cancelled: the channel reports the cancel, and cancelled() finishes the sink then.
  if (WorkerChannelFaults::respond_corrupt(channel(), response, how_) != RespondStatus::cancelled)
    finish();
}

}  // namespace wsup::worker

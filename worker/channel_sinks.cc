#include "worker/channel_sinks.h"

#include <utility>

#include "shared/log.h"

namespace wsup::worker {

ChannelSinks::ChannelSinks(WorkerChannel& channel, ChannelResponseSink::Defer defer,
                           Factory factory)
    : channel_(channel), defer_(std::move(defer)), factory_(std::move(factory)) {}

ChannelSinks::~ChannelSinks() {
  for (auto& [id, sink] : sinks_) sink->detach();
}

std::shared_ptr<ChannelResponseSink> ChannelSinks::open(uint64_t request_id,
                                                        std::function<void()> finished) {
  auto on_finished = [this, request_id, finished = std::move(finished)] {
    sinks_.erase(request_id);  // the sink keeps itself alive while it runs this
    if (finished) finished();
  };
  std::shared_ptr<ChannelResponseSink> sink =
      factory_ ? factory_(channel_, request_id, defer_, std::move(on_finished))
               : std::make_shared<ChannelResponseSink>(channel_, request_id, defer_,
                                                       std::move(on_finished));
  sinks_[request_id] = sink;
  return sink;
}

bool ChannelSinks::route(const TakeResult& result) {
  if (result.kind != TakeResult::Kind::released && result.kind != TakeResult::Kind::cancelled)
    return false;
  auto it = sinks_.find(result.request_id);
  if (it == sinks_.end()) {
    // Cannot happen while every unfinished sink is kept here; end the orphan rather than hold
    // its slot until the worker exits.
    if (result.kind == TakeResult::Kind::released) channel_.end(result.request_id, true);
    log::warn("channel notification for a request without a sink", {{"req", result.request_id}});
    return true;
  }
  std::shared_ptr<ChannelResponseSink> sink = it->second;  // alive through its callbacks
  if (result.kind == TakeResult::Kind::released)
    sink->released();
  else
    sink->cancelled();
  return true;
}

}  // namespace wsup::worker

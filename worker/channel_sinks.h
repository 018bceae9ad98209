// The open ChannelResponseSinks of one worker, by request id: makes one for each request taken
// from the channel and routes the supervisor's releases and cancels (TakeResult::released and
// ::cancelled) to it. Keeps each sink alive until the channel no longer holds its request.
//
//   ChannelSinks sinks(channel, defer);
//   TakeResult t = channel.try_take();
//   if (t.kind == TakeResult::Kind::request) runtime.handle(..., sinks.open(t.request.id, done));
//   else sinks.route(t);   // released / cancelled
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "shared/channel.h"
#include "worker/channel_response_sink.h"

namespace wsup::worker {

class ChannelSinks {
 public:
  // Makes the sink of a request; a test build substitutes its own (tests/chaos/faults).
  using Factory = std::function<std::shared_ptr<ChannelResponseSink>(
      WorkerChannel& channel, uint64_t request_id, ChannelResponseSink::Defer defer,
      std::function<void()> finished)>;

  ChannelSinks(WorkerChannel& channel, ChannelResponseSink::Defer defer, Factory factory = {});
  // Sinks still held elsewhere (a runtime being torn down) no longer report to this.
  ~ChannelSinks();
  ChannelSinks(const ChannelSinks&) = delete;
  ChannelSinks& operator=(const ChannelSinks&) = delete;

  // The sink of a request just taken. `finished` runs once the channel no longer holds it.
  std::shared_ptr<ChannelResponseSink> open(uint64_t request_id, std::function<void()> finished);
  // Hands a `released` or `cancelled` result to its sink. A release for a request whose sink is
  // gone ends that stream (aborted). False when `result` is neither.
  bool route(const TakeResult& result);
  size_t open_count() const { return sinks_.size(); }

 private:
  WorkerChannel& channel_;
  ChannelResponseSink::Defer defer_;
  Factory factory_;
  std::unordered_map<uint64_t, std::shared_ptr<ChannelResponseSink>> sinks_;
};

}  // namespace wsup::worker

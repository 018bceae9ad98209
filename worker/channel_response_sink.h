// The ResponseSink of one request taken from the shared-memory channel (worker/response_sink.h
// is the contract). ChannelSinks (channel_sinks.h) makes one per request and hands it the
// supervisor's releases and cancels.
//
// A whole respond() goes out as one record when it fits the slot's arena; a larger one is
// streamed by the sink itself: a head declaring the body's length, then chunks of at most
// max_chunk_bytes(), each sent when the supervisor released the previous one, then the end.
// A streamed answer (begin/write/end) waits for the same releases: ready() is true only while
// the worker holds the slot's turn and nothing is left to send. write() takes any size and
// splits what is above max_chunk_bytes() over several turns (ready() stays false meanwhile).
//
// `finished` runs once the channel no longer holds the request: after its last record went out,
// or once the supervisor's cancel was answered. A sink destroyed while the channel still holds
// its request does nothing more for it: ChannelSinks keeps every unfinished sink alive.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "shared/channel.h"
#include "worker/response_sink.h"

namespace wsup::worker {

class ChannelResponseSink : public ResponseSink,
                            public std::enable_shared_from_this<ChannelResponseSink> {
 public:
  // Runs a callback later on the worker's loop thread, outside any call into the sink.
  using Defer = std::function<void(std::function<void()>)>;

  ChannelResponseSink(WorkerChannel& channel, uint64_t request_id, Defer defer,
                      std::function<void()> finished);

  void respond(HttpResponse response) override;
  void begin(HttpResponse head, std::optional<uint64_t> length) override;
  bool ready() const override;
  void write(std::string chunk) override;
  void end(bool aborted) override;
  size_t max_chunk_bytes() const override;

  // From the channel, through ChannelSinks: the supervisor wrote the last record out (the turn
  // is ours again), or it no longer wants the answer (the channel has ended it already).
  void released();
  void cancelled();
  bool is_finished() const { return phase_ == Phase::finished; }
  // Its owner goes away: `finished` is not run any more.
  void detach() { finished_ = nullptr; }
  uint64_t request_id() const { return request_id_; }

 protected:
  WorkerChannel& channel() { return channel_; }
  // The channel no longer holds the request: runs `finished` (once).
  void finish();

 private:
  enum class Phase {
    fresh,      // nothing sent yet
    streaming,  // a head went out: chunks and the end follow, one per turn
    closing,    // waiting for the channel to answer a cancel that came while we wrote
    finished,
  };
  // Sends what is due while the worker holds the turn: the next piece of `pending_`, else the
  // end once asked for. True when the sink is ready for more from the runtime.
  bool pump();
  // After a channel call for `what`: ok finishes the sink when its last record went out;
  // anything else means the request is out of our hands (or will be, once a cancel is answered).
  void went_out(RespondStatus status, const char* what);
  void ignored(const char* what) const;  // an answer for a request answered or cancelled

  WorkerChannel& channel_;
  const uint64_t request_id_;
  Defer defer_;
  std::function<void()> finished_;
  Phase phase_ = Phase::fresh;
  std::string pending_;  // body bytes not sent yet
  size_t pending_at_ = 0;
  std::optional<bool> end_asked_;  // end(aborted) was called; sent once pending_ is out
  bool runtime_streams_ = false;   // begin() came from the runtime: it gets on_ready/on_cancel
  bool cancelled_ = false;         // the supervisor abandoned it
};

}  // namespace wsup::worker

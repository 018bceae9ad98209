// Between a response body stream the script feeds and the ResponseSink that carries it to the
// client: holds what the script enqueued while the sink cannot take it, up to one chunk
// (ResponseSink::max_chunk_bytes), and says when the script's stream should stop being read.
// So a streamed response holds at most about two chunks in the worker (this one and the one in
// the sink) however slow the client is; the rest waits in the script's own stream, whose
// desiredSize then falls (its writer sees backpressure). No V8 here: RequestContext feeds it
// from the natives of worker/api/response_body.js.
#pragma once

#include <string>
#include <string_view>

#include "worker/response_sink.h"

namespace wsup::worker {

class ResponseBodyPump {
 public:
  // The sink's begin() has been called; the pump writes the body and ends it.
  explicit ResponseBodyPump(ResponseSink& sink) : sink_(sink) {}

  // The stream gave `bytes`; writes what the sink takes now. False when the pump holds a full
  // chunk the sink has not taken: read no more until room() (after the sink's on_ready).
  bool push(std::string_view bytes);
  // The stream is done: the body ends once what the pump holds is written.
  void close();
  // Writes what it holds while the sink is ready, then the end after close().
  void flush();
  // The script's stream errored: what the pump holds still goes out (the client gets every byte
  // the script made), then the body ends abruptly, never well-formed.
  void fail();
  // The body broke off (cancel, a limit): the sink ends abruptly, at once.
  void abort();

  bool room() const { return held_.size() < sink_.max_chunk_bytes(); }
  bool done() const { return ended_; }
  uint64_t bytes() const { return bytes_; }  // taken from the stream so far

 private:
  ResponseSink& sink_;
  std::string held_;
  uint64_t bytes_ = 0;
  bool closed_ = false;
  bool failed_ = false;  // closed_ by the stream's error: the end is abrupt
  bool ended_ = false;
};

}  // namespace wsup::worker

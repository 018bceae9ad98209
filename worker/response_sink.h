// Where one request's answer goes. The runtime produces it; the worker service backs it with the
// shared-memory channel to the supervisor (a whole record, or a head followed by body chunks);
// tests back it with memory.
//
// A request is answered exactly once, in one of two shapes:
//   sink.respond(response);                  // the whole response: status, headers and body
// or, for a body that is a stream:
//   sink.begin(head, length);                // status and headers now; the body follows
//   while (sink.ready()) sink.write(chunk);  // each chunk leaves as soon as the sink has room
//   sink.end(false);                         // the body is complete (true: it broke off)
//
// Backpressure: write() is allowed only while ready(). A sink is ready again once the previous
// chunk is on its way to the client (the channel: the supervisor wrote it to the socket); it
// then calls on_ready. So a streamed response holds at most one chunk between the script and
// the client's socket, whatever the client's speed; the runtime coalesces what the script
// enqueues meanwhile, up to max_chunk_bytes().
//
// on_cancel: the client hung up or the supervisor gave up on the response (wall time); the
// runtime cancels the script's stream and then calls end(true). After on_cancel, ready() stays
// false. Both callbacks run on the worker's loop thread, never from inside a call into the sink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "shared/http_message.h"

namespace wsup::worker {

class ResponseSink {
 public:
  virtual ~ResponseSink() = default;

  // The whole answer at once. Nothing else may be called afterwards.
  virtual void respond(HttpResponse response) = 0;

  // Starts a streamed answer: `head` carries the status and headers (its body is ignored).
  // `length`: the body's exact size when the script declared it (Content-Length); otherwise the
  // client gets chunked transfer coding (or, for HTTP/1.0, a body ended by closing).
  virtual void begin(HttpResponse head, std::optional<uint64_t> length) = 0;
  // True when write() may be called now.
  virtual bool ready() const = 0;
  // The next piece of the body, at most max_chunk_bytes(); only while ready().
  virtual void write(std::string chunk) = 0;
  // The body is complete; `aborted`: it broke off (script error, cancel, wall time): the client
  // must see an abrupt end, never a well-formed one. The runtime calls end(false) only while
  // ready() (after the last chunk is on its way), end(true) at any time after begin().
  virtual void end(bool aborted) = 0;
  // The largest chunk write() takes.
  virtual size_t max_chunk_bytes() const = 0;

  std::function<void()> on_ready;   // ready() became true after a write()
  std::function<void()> on_cancel;  // the answer is no longer wanted
};

}  // namespace wsup::worker

// One streamed response body on its way from a worker to a client connection.
//
// The worker's reader thread pushes each chunk and finally the end; the connection's I/O thread
// takes them, writes them, and release()s each chunk once it is written, which lets the worker
// write the next one. The channel never lets the worker send a chunk before the previous one is
// released, so a stream holds at most one chunk (at most one slot arena) whatever the client's
// speed. Either side may stop it: the connection cancel()s (client gone, wall time, a response
// that carries no body), which tells the worker; the dispatcher finish()es it aborted when the
// worker died or the supervisor shuts down.
//
// Thread-safe; no callback runs under its lock, and it never calls the channel under its lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "supervisor/request_channel.h"

namespace wsup::supervisor {

class ResponseStream {
 public:
  // `channel` carries release() and cancel() to the worker holding request `request_id`.
  // `length`: the body's declared size (Content-Length), if the worker declared one.
  ResponseStream(std::shared_ptr<RequestChannel> channel, uint64_t request_id,
                 std::optional<uint64_t> length);
  ~ResponseStream();  // cancels a stream nobody finished or cancelled
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  uint64_t request_id() const { return request_id_; }
  std::optional<uint64_t> length() const { return length_; }

  // --- the worker's reader thread
  void push(std::string chunk);
  // The body is complete, or (`aborted`) broke off; `why` names the cause for the access log.
  void finish(bool aborted, const char* why);

  // --- the connection's I/O thread
  struct Next {
    enum class Kind { nothing, chunk, end } kind = Kind::nothing;
    std::string chunk;
    bool aborted = false;  // end
    const char* why = "";  // end, when aborted
  };
  // The next chunk or the end if one is there; otherwise `wake` is kept and runs once (on the
  // pushing thread) when one arrives, and `nothing` is returned.
  Next take_or_wait(std::function<void()> wake);
  // The chunk taken last is written: the worker may send the next.
  void release();
  // The rest is not wanted: the worker is told; whatever it still sends is dropped.
  void cancel();

 private:
  std::shared_ptr<RequestChannel> channel_;
  const uint64_t request_id_;
  const std::optional<uint64_t> length_;
  mutable std::mutex mutex_;
  std::optional<std::string> chunk_;
  bool ended_ = false;  // finish() came
  bool aborted_ = false;
  const char* why_ = "";
  bool taken_end_ = false;  // the connection took the end: nothing more to tell the worker
  bool cancelled_ = false;
  std::function<void()> wake_;
};

}  // namespace wsup::supervisor

// Test workers' streamed answers (ipc_test_worker, fake-worker): writes a planned body chunk by
// chunk into a ResponseSink, each chunk when the sink is ready (the supervisor released the
// previous one), the way the runtime pulls a script's ReadableStream.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "worker/response_sink.h"

namespace wsup::testing {

class TestStreamWriter : public std::enable_shared_from_this<TestStreamWriter> {
 public:
  struct Plan {
    uint64_t chunks = 0;  // then a complete end
    size_t size = 1024;
    std::optional<uint64_t> length;      // declared with the head
    uint64_t abort_after = UINT64_MAX;   // end aborted after this many chunks
    uint64_t hang_after = UINT64_MAX;    // write nothing more after this many (until cancelled)
    uint64_t crash_after = UINT64_MAX;   // abort() the process after this many
    std::chrono::milliseconds delay{0};  // between one chunk's release and the next
    std::function<std::string(uint64_t k)> content;  // chunk k; default `size` bytes of 'a'+k%26
    std::function<void(uint64_t k)> on_chunk;        // after chunk k was written
    std::function<void()> on_cancel;                 // the supervisor abandoned the answer
  };
  // Runs `f` after `delay` on the worker's loop (only needed with Plan::delay).
  using Schedule = std::function<void(std::chrono::milliseconds, std::function<void()>)>;

  TestStreamWriter(std::shared_ptr<worker::ResponseSink> sink, HttpResponse head, Plan plan,
                   Schedule schedule = {})
      : sink_(std::move(sink)),
        head_(std::move(head)),
        plan_(std::move(plan)),
        schedule_(std::move(schedule)) {}

  void start() {
    auto self = shared_from_this();
    sink_->on_ready = [self] { self->ready(); };
    sink_->on_cancel = [self] {
      if (self->plan_.on_cancel) self->plan_.on_cancel();
      self->done();
    };
    sink_->begin(head_, plan_.length);
    pump();
  }

 private:
  void ready() {
    if (plan_.delay.count() == 0 || !schedule_) return pump();
    schedule_(plan_.delay, [self = shared_from_this()] { self->pump(); });
  }
  void pump() {
    while (sink_ && sink_->ready()) {
      if (sent_ == plan_.crash_after) std::abort();
      if (sent_ == plan_.hang_after) return;
      if (sent_ == plan_.abort_after || sent_ == plan_.chunks) {
        sink_->end(sent_ != plan_.chunks);
        return done();
      }
      sink_->write(plan_.content ? plan_.content(sent_)
                                 : std::string(plan_.size, static_cast<char>('a' + sent_ % 26)));
      if (plan_.on_chunk) plan_.on_chunk(sent_);
      ++sent_;
      if (plan_.delay.count() != 0) return;  // the next one after the delay
    }
  }
  void done() {
    if (!sink_) return;
    auto self = shared_from_this();  // the callbacks below may hold the last other reference
    sink_->on_ready = nullptr;       // they hold this writer: let both go
    sink_->on_cancel = nullptr;
    sink_.reset();
  }

  std::shared_ptr<worker::ResponseSink> sink_;
  HttpResponse head_;
  Plan plan_;
  Schedule schedule_;
  uint64_t sent_ = 0;
};

}  // namespace wsup::testing

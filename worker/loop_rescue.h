// Keeps a worker process alive when V8 gives up on one of its isolates.
//
// A few failures end the process from inside V8, with no way back to the caller: the heap out of
// memory in a way the heap guard could not prevent (one allocation larger than the room left, a
// built-in that keeps allocating after its JavaScript was told to stop), and V8's fatal size
// checks ("invalid size error": a string split into more than 2^27 elements). Each is one
// request's doing on one isolate, yet it would cost every request of the worker (502) and its
// process. Instead, the thread V8 failed on is *stranded*: it never returns from the fatal path
// (it sleeps there for good, still holding the dead isolate's lock), and a rescuer thread that
// stood by takes over its work:
// - the loop thread: the rescuer becomes the loop thread. `take_over` runs first, on it, before
//   any other handler (the runtime marks the isolate lost, fails its requests with 503 without
//   touching it and puts a fresh isolate in its place); then it runs the loop. When the loop ends,
//   it exits the process with what `after` returns: the stranded thread's frames (and the objects
//   on them) are never unwound.
// - the spare-context maker's thread: `maker_lost` runs on the rescuer, which then stands by
//   again (the runtime posts the loss to the loop; no more spare contexts are made).
// Any other thread (V8's platform thread, a failure before serving started) is not stranded:
// the process ends as before.
//
// The process stays up with the dead isolate's memory (up to its heap limit and headroom) still
// mapped. Once it has lost as many isolates as it runs, the worker asks the supervisor for a
// replacement (Runtime::set_on_replacement_due): a new worker starts beside it and it retires
// once the new one serves, so nothing is refused.
//
//   LoopRescue rescue(loop, take_over, maker_lost);   // after the Runtime, before serving
//   LoopRescue::install_signal_handlers();            // V8's fatal checks end in a trap
//   return rescue.run([&] { log "stopped"; return 0; });
//   // from V8's OOM handler: LoopRescue::strand_current_thread(reason) (returns if it may not)
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace v8 {
class Isolate;
}

namespace wsup::worker {

// What a stranded thread left behind, as the rescuer sees it.
struct IsolateLoss {
  v8::Isolate* isolate = nullptr;  // the isolate the thread had entered
  bool loop_thread = false;        // the loop thread (else the spare-context maker)
  const char* reason = "";         // V8's words, copied into static storage
};

class LoopRescue {
 public:
  using TakeOver = std::function<void(const IsolateLoss&)>;
  using MakerLost = std::function<void(const IsolateLoss&)>;

  // One per process (the fatal paths find it through a process-wide pointer). Starts the
  // rescuer thread, which waits.
  LoopRescue(boost::asio::io_context& loop, TakeOver take_over, MakerLost maker_lost);
  // Stops the rescuer. Only reached when the loop ended on the thread that called run().
  ~LoopRescue();
  LoopRescue(const LoopRescue&) = delete;
  LoopRescue& operator=(const LoopRescue&) = delete;

  // Runs loop.run() on the calling thread, which is the loop thread from now on. Returns
  // after() when the loop ends on this thread; if this thread is stranded, it never returns
  // and the rescuer ends the process with after()'s value instead.
  int run(std::function<int()> after);

  // The spare-context maker's thread says who it is (it may be stranded too).
  static void mark_spare_maker_thread();
  // From a fatal path, on the failing thread: strands it if it is the loop thread or the spare
  // maker inside an isolate, and then never returns. Returns when it may not (the caller goes
  // on dying). Async-signal-safe; copies `reason` without allocating.
  static void strand_current_thread(const char* reason) noexcept;
  // SIGTRAP and SIGILL (how V8's fatal checks end) strand the thread as above, else end the
  // process as they would have.
  static void install_signal_handlers();
  // Strands so far (the loop thread and the maker's), for logs and tests.
  static unsigned strands();

 private:
  void stand_by();
  void start_rescuer();

  boost::asio::io_context& loop_;
  TakeOver take_over_;
  MakerLost maker_lost_;
  std::function<int()> after_;
  std::mutex threads_mutex_;
  std::vector<std::thread> rescuers_;  // the one standing by, and those that took over
  std::atomic<bool> stopping_{false};
};

}  // namespace wsup::worker

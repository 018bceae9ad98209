// The serving loop of wsup-worker: takes requests from the shared-memory channel, runs them
// through the Runtime and writes the answers back through a ChannelResponseSink per request
// (whole, or streamed chunk by chunk as the supervisor releases them), all on the worker's one
// thread and its Boost.Asio loop. The supervisor's releases and cancels arrive through the same
// ring as requests and go to their request's sink. The loop sleeps on the request doorbell (an
// eventfd) together with the runtime's timers; a bounded sleep doubles as the heartbeat the
// supervisor watches. Requests are taken only while the runtime has room; the rest stay queued,
// where the supervisor can still give them to another worker.
//
//   WorkerService service(loop, runtime, channel);
//   service.start();      // reports ready; SIGTERM/SIGINT drain: finish what was taken, then stop
//   loop.run();           // returns once drained
#pragma once

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "shared/channel.h"
#include "worker/channel_sinks.h"
#include "worker/runtime.h"

namespace wsup::worker {

class WorkerService {
 public:
  // `sink_factory`: how each request's sink is made (default: ChannelResponseSink); the chaos
  // suite's test-only worker substitutes one that writes corrupt records.
  WorkerService(boost::asio::io_context& loop, Runtime& runtime, WorkerChannel& channel,
                std::chrono::milliseconds heartbeat = std::chrono::milliseconds(100),
                ChannelSinks::Factory sink_factory = {});
  ~WorkerService();
  WorkerService(const WorkerService&) = delete;
  WorkerService& operator=(const WorkerService&) = delete;

  void start();
  // Stop taking requests (they stay queued, for the supervisor to hand to another worker); the
  // loop ends once the channel holds no taken request any more (every answer is out).
  void drain();
  // On the thread that took the loop over from a stranded one (loop_rescue.h): polls again if
  // the stranded thread was in the middle of a poll (nothing else would), and from now on stops
  // the loop once drained (the stranded handler never finishes, so the loop would not end).
  void resume_after_strand();

 private:
  void poll();
  void sleep();
  void wake();
  void stop_if_drained();
  void serve(HttpRequest request);
  // Heap in use and the time split, into the segment header at most once per heartbeat.
  void report_usage();
  // Reopens the log files on every SIGUSR1 the supervisor forwards.
  void wait_for_reopen();

  boost::asio::io_context& loop_;
  Runtime& runtime_;
  WorkerChannel& channel_;
  const std::chrono::milliseconds heartbeat_;
  boost::asio::posix::stream_descriptor doorbell_;  // a dup of the channel's eventfd
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::signal_set signals_;
  boost::asio::signal_set reopen_signal_;  // SIGUSR1: reopen the log files (log rotation)
  bool sleeping_ = false;
  bool draining_ = false;
  bool stopped_ = false;
  bool stop_loop_when_drained_ = false;
  size_t in_flight_ = 0;  // taken, and still held by the channel (answer not all out)
  ChannelSinks sinks_;
  std::chrono::steady_clock::time_point usage_reported_at_{};
};

}  // namespace wsup::worker

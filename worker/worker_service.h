// The serving loop of wsup-worker: takes requests from the shared-memory channel, runs them
// through the Runtime and writes the responses back, all on the worker's one thread and its
// Boost.Asio loop. The loop sleeps on the request doorbell (an eventfd) together with the
// runtime's timers; a bounded sleep doubles as the heartbeat the supervisor watches.
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
#include "worker/runtime.h"
#include "worker/test_faults.h"

namespace wsup::worker {

class WorkerService {
 public:
  WorkerService(boost::asio::io_context& loop, Runtime& runtime, WorkerChannel& channel,
                std::chrono::milliseconds heartbeat = std::chrono::milliseconds(100));
  ~WorkerService();
  WorkerService(const WorkerService&) = delete;
  WorkerService& operator=(const WorkerService&) = delete;

  void start();
  // Stop taking requests; the loop ends once every taken request is answered.
  void drain();
  // Chaos suite only (wsup-worker --allow-test-faults): corrupt some responses on purpose.
  void set_test_faults(TestFaults faults) { test_faults_ = faults; }
  // A request's answer, from its sink: written to the channel.
  void answer(HttpResponse response);
  // On the thread that took the loop over from a stranded one (loop_rescue.h): polls again if
  // the stranded thread was in the middle of a poll (nothing else would), and from now on stops
  // the loop once drained (the stranded handler never finishes, so the loop would not end).
  void resume_after_strand();

 private:
  void poll();
  void sleep();
  void wake();
  void stop_if_drained();
  RespondStatus respond(const HttpResponse& response);
  // Heap in use and the time split, into the segment header at most once per heartbeat.
  void report_usage();

  boost::asio::io_context& loop_;
  Runtime& runtime_;
  WorkerChannel& channel_;
  const std::chrono::milliseconds heartbeat_;
  boost::asio::posix::stream_descriptor doorbell_;  // a dup of the channel's eventfd
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::signal_set signals_;
  bool sleeping_ = false;
  bool draining_ = false;
  bool stopped_ = false;
  bool stop_loop_when_drained_ = false;
  size_t in_flight_ = 0;  // taken and not yet answered
  TestFaults test_faults_;
  uint64_t responses_ = 0;  // counted only while a test fault is on
  std::chrono::steady_clock::time_point usage_reported_at_{};
};

}  // namespace wsup::worker

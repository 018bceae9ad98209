// Hands each request to the live, non-draining worker with the fewest outstanding requests (one
// that is busy in a long request only when no other can take it), waits
// for its response, and settles every request exactly once: response, 502 (its worker died after
// taking it), 503 (everything full), 504 (wall time ran out).
//
// A streamed response settles its request when its head arrives: the settlement carries a
// ResponseStream that the worker's reader feeds with chunks (stream_chunk) and ends (end_stream),
// and that the connection drains. The request stays its endpoint's (outstanding, drained before
// a worker is stopped) until the stream's end; if the worker dies first, the stream is ended
// aborted (dispatcher_streams.cc).
//
// Little unclaimed work sits in shared memory: a request still queued, untaken, in the
// ring of a worker that has been busy for kBusyAfter (and over twice as long as another worker) is
// taken back (cancelled there) and handed to that other worker. The timer thread checks, after
// kStealCheckFirst (kStealChecksAtFirstInterval times) after it entered the ring and then at
// doubling intervals, until the request is answered or known to be taken.
//
// Workers appear as endpoints (one per worker *process*: a restarted worker is a new endpoint).
// The HTTP front calls dispatch() and never waits: the request's on_done runs exactly once, on
// whichever thread settles it (the caller when refused at once, a response reader, the timer
// thread at wall time or for a steal-back, the lifecycle loop when a worker dies, the front's
// cancel() when the client hangs up). The timer thread's wall time ends the wait for the answer;
// a streamed body still running at the wall time is the connection's to cut. The lifecycle loop
// calls add/drain/remove. One mutex guards it all: every operation under it is short (a ring
// write, a map update); on_done always runs after the lock is released. One timer thread (wall
// time, steal-back checks) sleeps until the earliest of those is due.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "shared/http_message.h"
#include "supervisor/request_channel.h"
#include "supervisor/response_stream.h"

namespace wsup::supervisor {

using EndpointId = uint64_t;

// One routable worker as the selection sees it.
struct EndpointLoad {
  EndpointId id = 0;
  bool routable = false;  // ready and not draining
  size_t outstanding = 0;
  size_t capacity = 0;  // ring slots; at capacity the ring is full
  bool busy = false;    // its worker has been away from its loop for kBusyAfter or more
};
// The endpoint with the fewest outstanding requests that is routable and below capacity, not busy
// ones before busy ones; ties go to the one listed first. nullopt when none qualifies.
std::optional<size_t> pick_least_outstanding(std::span<const EndpointLoad> endpoints);

enum class Outcome {
  response,       // the script's response
  worker_died,    // 502
  overloaded,     // 503 + Retry-After
  no_worker,      // 503: nothing is routable and the wait ran out
  timed_out,      // 504
  too_large,      // 413: the request cannot fit any worker's channel
  shutting_down,  // 503
  client_gone,    // the client hung up while waiting (logged as 499, nothing is sent)
};

struct DispatchResult {
  Outcome outcome = Outcome::response;
  HttpResponse response;  // valid when outcome == response (only status and headers if streamed)
  // Set when the response's body is streamed: the connection takes its chunks from it.
  std::shared_ptr<ResponseStream> stream;
  int worker = -1;  // worker slot that served or held it, -1 when none
  // For the per-stage split in /metrics: when a worker's ring accepted the request (the last time,
  // if it was handed on) and when its response reached complete(). Set when outcome == response.
  std::chrono::steady_clock::time_point submitted;
  std::chrono::steady_clock::time_point answered;
};

// Called once per dispatched request with its settlement. Runs without the dispatcher's lock and
// must not block (the front posts it to the connection's I/O thread).
using DispatchDone = std::function<void(DispatchResult)>;

class Dispatcher {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    size_t overflow_limit = 1024;  // requests waiting in supervisor memory for a free slot
  };
  explicit Dispatcher(Options options);
  // Settles what is still pending as shutting_down (abandon_all) and stops the timer thread.
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // --- lifecycle side
  // A ready worker process: start routing to it.
  void add_endpoint(EndpointId id, int worker, size_t capacity,
                    std::shared_ptr<RequestChannel> channel);
  // Stop routing new requests to it; what it holds finishes.
  void drain_endpoint(EndpointId id);
  // The process is gone. `taken` lists the requests it had taken (they get 502); every other
  // request it held is handed to another worker.
  void endpoint_died(EndpointId id, const std::set<uint64_t>& taken);
  size_t outstanding(EndpointId id) const;
  // Requests held by workers or waiting for one, over all endpoints.
  size_t total_pending() const;
  size_t overflow_depth() const;
  // Refuse new requests (503); requests already in are still settled.
  void close();
  // True while no worker can come back on its own (all failed): requests then get 503 at once
  // instead of waiting their wall time for a worker, and so do those already waiting for one.
  void set_no_worker_expected(bool value);
  // Shutdown after the drain timeout: settle everything still waiting with shutting_down, and
  // cut every stream still running.
  void abandon_all();

  // --- response side (reader threads)
  // A whole response.
  void complete(EndpointId id, HttpResponse response);
  // A streamed response's status and headers: settles its request (outcome response, with a
  // stream). A request no longer waiting (client gone, timed out) is abandoned at its worker.
  void begin_stream(EndpointId id, HttpResponse head, std::optional<uint64_t> length);
  void stream_chunk(EndpointId id, uint64_t request_id, std::string chunk);
  // The stream is over (`aborted`: it broke off). The request stops being the endpoint's; one
  // that never had a head and still waits gets 502.
  void end_stream(EndpointId id, uint64_t request_id, bool aborted);

  // --- HTTP side
  // Hands `request` (its id unique among pending ones) to a worker or the overflow queue, or
  // refuses it at once (on_done then runs before dispatch returns). Settled at `deadline` at the
  // latest (timed_out, or no_worker when nothing was routable).
  void dispatch(HttpRequest request, Clock::time_point deadline, DispatchDone on_done);
  // The client hung up: settles the request as client_gone, withdrawn from its worker's ring if
  // not taken yet, else abandoned there (the worker is told to stop). Nothing happens when it is
  // settled already (a streamed response's connection cancels its ResponseStream instead).
  void cancel(uint64_t request_id);

  // A worker away from its loop this long is busy in one request (a healthy one comes back
  // between requests within microseconds).
  static constexpr std::chrono::milliseconds kBusyAfter{1};
  static constexpr std::chrono::milliseconds kStealCheckFirst{1};
  static constexpr std::chrono::milliseconds kStealCheckMax{16};
  static constexpr int kStealChecksAtFirstInterval = 4;
  // The timer thread's resolution: checks due within it are run together (a 504 may come this
  // much before the wall time).
  static constexpr std::chrono::milliseconds kTimerSlack{1};

 private:
  struct Pending;
  struct Settled {
    DispatchDone done;
    DispatchResult result;
  };
  // Due times of the pending requests' next check (wall time or steal-back), by request id.
  using TimerQueue = std::multimap<Clock::time_point, uint64_t>;
  struct Endpoint {
    int worker = -1;
    size_t capacity = 0;
    bool routable = true;
    std::shared_ptr<RequestChannel> channel;
    std::set<uint64_t> in_flight;  // submitted and not yet answered (incl. abandoned ones)
    std::map<uint64_t, std::shared_ptr<ResponseStream>> streams;  // begun, not yet ended
  };
  // Ends (aborted) every stream of `e`; collected under the lock, run after it.
  static void take_streams(Endpoint& e, std::vector<std::shared_ptr<ResponseStream>>& into);
  // Runs the on_done callbacks that settle_locked() collected; the lock must not be held.
  void run_settled(std::vector<Settled>& settled);
  // Tries every routable endpoint, fewest outstanding first. Lock held.
  SubmitResult submit_locked(Pending& pending);
  // Moves overflow requests into rings while there is room. Lock held.
  void pump_overflow_locked();
  // The steal-back check of one waiting request (see above). False once its worker has taken it:
  // no need to check again. Lock held.
  bool steal_back_locked(const std::shared_ptr<Pending>& pending);
  // Away from its loop for kBusyAfter, and clearly longer than `other`: on a machine so loaded
  // that every worker waits for a CPU, none counts as stuck.
  static bool stuck_compared_to(std::chrono::nanoseconds away, std::chrono::nanoseconds other) {
    return away >= kBusyAfter && away > other && away - other > other;  // 2x, no overflow
  }
  // Takes a request that was not answered back from wherever it waits and settles it. Lock held.
  void withdraw_locked(const std::shared_ptr<Pending>& pending, Outcome outcome);
  void settle_locked(Pending& pending, Outcome outcome, int worker);
  // (Re)files the pending request's next check in timers_, waking the timer thread when it moved
  // before the time the thread sleeps until. Lock held.
  void schedule_locked(Pending& pending);
  void on_timer_locked(const std::shared_ptr<Pending>& pending, Clock::time_point now);
  void run_timers();

  Options options_;
  mutable std::mutex mutex_;
  std::map<EndpointId, Endpoint> endpoints_;
  std::map<uint64_t, std::shared_ptr<Pending>> pending_;  // request id -> waiter, until settled
  std::deque<std::shared_ptr<Pending>> overflow_;
  std::vector<Settled> settled_;             // callbacks due once the lock is released
  std::vector<EndpointLoad> scratch_loads_;  // submit_locked()'s working space
  std::vector<Endpoint*> scratch_endpoints_;
  std::vector<std::chrono::nanoseconds> scratch_away_;
  bool closed_ = false;
  bool no_worker_expected_ = false;
  TimerQueue timers_;
  std::condition_variable timer_cv_;
  Clock::time_point timer_wakes_at_ = Clock::time_point::min();  // min: awake, no notify needed
  bool stopping_ = false;
  std::thread timer_thread_;  // last: started once everything above exists
};

}  // namespace wsup::supervisor

// The request/response channel between the supervisor and one worker process.
//
// One shared-memory segment per worker (created by the supervisor, 0600, named
// "wsup-<instance>-<supervisor pid>-w<worker>-e<epoch>" under /dev/shm), holding a header, a ring
// of request slots and two single-producer/single-consumer index rings (requests ▼, responses ▲).
// See shared/README.md for the layout, the slot state machine and the wake-up protocol.
//
// A request is answered with one whole response record, or streamed: a head record (status,
// headers, optional declared length), chunk records, and an end record (complete or aborted).
// A slot's arena carries one record at a time: after a head or chunk the worker waits until the
// supervisor releases it (the supervisor does so once the bytes are written to the client's
// socket), so a streamed response holds at most one chunk between the worker and the client.
// The supervisor can abandon a request at any point; the worker then acknowledges with an
// aborted end and only that frees the slot.
//
// Supervisor side:
//   auto channel = SupervisorChannel::create({.instance_id = "a1b2", .worker_id = 3, .epoch = 1});
//   // fork(); in the child: clear_close_on_exec(channel.worker_doorbell_fd()) and the other one,
//   // then exec wsup-worker --segment <name> --request-fd <worker_doorbell_fd>
//   //                       --response-fd <supervisor_doorbell_fd>
//   channel.try_submit(request);               // any thread; Full -> keep it in your queue
//   channel.poll_responses(on_event);          // one reader thread: whole / head / chunk / end
//   channel.release(id);                       // any thread: a head or chunk is on the socket
//   channel.abandon(id);                       // any thread: the answer is no longer wanted
//   channel.wait_for_responses(10ms);          // the reader sleeps here when nothing is ready
//   Reaped r = channel.reap_after_death();     // after the worker died: re-dispatch r.not_taken,
//                                              // fail r.taken, deliver r.completed
//
// Worker side:
//   auto channel = WorkerChannel::open(name, request_fd, response_fd);
//   register channel.request_doorbell_fd() with a boost::asio::posix::stream_descriptor;
//   loop: while (auto t = channel.try_take(); t.kind != TakeResult::Kind::empty) { ... }
//         if (channel.prepare_to_sleep()) { async_wait(read) on the fd, with a timer;
//                                           on wake-up or timeout: channel.finish_sleep(); }
//   channel.respond(response);                 // a whole response that fits one record, or
//   channel.begin(head, length);               // a stream: then, each time the worker has the
//   channel.write(id, bytes); channel.end(id, aborted);  // turn (try_take said `released`)
//
// Large request bodies: a body that does not fit the slot's arena (up to max_body_bytes) travels
// in the slot's own shared-memory object "<segment name>-q<slot>" (0600), kept from one body to
// the next and removed with the segment (see shared/README.md, "Large bodies"). Responses never
// need one: what does not fit one record is streamed.
//
// Threads: SupervisorChannel::try_submit/try_cancel/release/abandon and the state readers are
// thread-safe (one mutex); poll_responses, wait_for_responses and reap_after_death belong to one
// reader thread. WorkerChannel is used by the worker's one thread, except record_fatal (any
// thread, signal-safe-ish: no allocation).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/http_message.h"

namespace wsup {

struct ChannelOptions {
  std::string instance_id;  // the supervisor run's id; only [A-Za-z0-9_] kept in the name
  uint32_t worker_id = 0;
  uint32_t epoch = 1;                          // +1 for every restart of the same worker id
  uint32_t slots = 64;                         // requests in shared memory at once (1..4096)
  uint32_t slot_arena_bytes = 128 * 1024;      // one encoded record (request, response, chunk)
  uint64_t max_body_bytes = 16 * 1024 * 1024;  // larger request bodies are refused (413)
  std::chrono::microseconds spin{20};          // how long a consumer spins before it sleeps
};

// What the worker reports about itself in the segment header. `replace_me`: it serves, but asks
// to be replaced (V8 gave up on one of its isolates: worker/loop_rescue.h); the supervisor starts
// a new worker beside it and retires it once the new one is ready.
enum class WorkerState : uint32_t {
  starting = 0,
  ready = 1,
  draining = 2,
  stopped = 3,
  fatal = 4,
  replace_me = 5,
};
const char* to_string(WorkerState state);

// Exit status of a worker that ended itself because a request passed a limit nothing else could
// enforce (limits.cpu_hard_ms): one request's doing, not a crash of the worker, so it does not
// count towards marking the worker failed.
inline constexpr int kWorkerExitHardLimit = 75;

enum class SubmitStatus {
  ok,
  full,          // no free slot: keep the request in the supervisor's own queue, retry later
  too_large,     // body above max_body_bytes, or headers do not fit the arena
  closed,        // the channel was reaped or found broken: dispatch elsewhere
  spill_failed,  // could not create the large-body object (shm full): retry or 503
};
const char* to_string(SubmitStatus status);

// Codes 1 and 2 keep their numbers across layout versions; 3 was a response-size error.
enum class ChannelError {
  none,
  corrupt_record = 1,     // the record in shared memory failed validation
  corrupt_request = 2,    // the worker rejected the request record as corrupt
  headers_too_large = 3,  // the worker's response headers did not fit one record
};
const char* to_string(ChannelError error);

// Where a worker's time went since it started (wall time, nanoseconds), as it last reported.
struct WorkerTimes {
  uint64_t context_ns = 0;        // making fresh contexts for requests that found none ready
  uint64_t spare_context_ns = 0;  // making contexts ahead of requests, on the worker's own thread
  uint64_t script_ns = 0;         // running requests' JavaScript
  uint64_t spare_hits = 0;        // requests that started in a context made ahead
};

// The worker's subrequests (fetch()) since it started, as it last reported: a copy of its egress
// client's counters (worker/egress/egress_stats.h), which /metrics shows.
struct WorkerEgress {
  // Failures by kind, in the order of the client's FetchError::Kind (the worker static_asserts
  // the count; the names are the `kind` label of wsup_worker_subrequest_errors_total).
  static constexpr std::array<const char*, 10> kErrorKinds = {
      "refused", "invalid_request", "dns",      "connect",  "tls",
      "timeout", "network",         "protocol", "redirect", "decode"};
  // Upper bounds of the head-latency buckets (fetch() to response head), in ms; +Inf implied.
  static constexpr std::array<uint32_t, 12> kHeadLatencyBoundsMs = {
      1, 2, 5, 10, 25, 50, 100, 250, 1000, 2500, 10000, 30000};

  uint64_t subrequests = 0;  // fetch() calls that reached the client
  uint64_t responses = 0;    // response heads delivered
  uint64_t completed = 0;    // response bodies read to their end
  uint64_t aborted = 0;      // by the script (AbortSignal, cancel) or the end of its request
  std::array<uint64_t, kErrorKinds.size()> errors{};  // failed, by kind
  uint64_t redirects = 0;                             // hops followed
  uint64_t connections_opened = 0;
  uint64_t connections_reused = 0;   // subrequests sent on a kept-alive connection
  uint64_t sent_body_bytes = 0;      // request bodies written to upstreams
  uint64_t received_body_bytes = 0;  // response bodies delivered to scripts (decoded)
  uint64_t passed_through = 0;       // response bodies sent on as the answer's, without JS
  // Time to the response head: observations per bucket (not cumulative; the last is above
  // every bound; their total is the count) and their sum.
  std::array<uint64_t, kHeadLatencyBoundsMs.size() + 1> head_latency_buckets{};
  uint64_t head_latency_sum_us = 0;

  // Calls f(figure) for every field above in one fixed order: the order in which the segment
  // header keeps them (shm::kEgressFigures of them).
  template <class Self, class F>
  static void for_each_figure(Self& e, F&& f) {
    for (auto* one : {&e.subrequests, &e.responses, &e.completed, &e.aborted}) f(*one);
    for (auto& one : e.errors) f(one);
    for (auto* one : {&e.redirects, &e.connections_opened, &e.connections_reused,
                      &e.sent_body_bytes, &e.received_body_bytes})
      f(*one);
    for (auto& one : e.head_latency_buckets) f(one);
    f(e.head_latency_sum_us);
    f(e.passed_through);
  }
  static constexpr size_t kFigures =
      4 + kErrorKinds.size() + 5 + kHeadLatencyBoundsMs.size() + 1 + 1 + 1;
};

// One record from the worker about one request, as the supervisor's reader gets it. Per request:
// either one `whole`, or a `head`, then `chunk`s, then one `end`.
struct ResponseEvent {
  enum class Kind {
    whole,  // the answer in one record (or `error`): the request is finished
    head,   // a streamed answer's status and headers: release() once written, chunks follow
    chunk,  // the next piece of the body: release() once written
    end,    // the stream is over (`aborted`: it broke off): the request is finished
  };
  Kind kind = Kind::whole;
  uint64_t request_id = 0;
  ChannelError error = ChannelError::none;  // whole: set instead of a response
  HttpResponse response;                    // whole: everything; head: status and headers
  std::optional<uint64_t> length;           // head: the body's declared length
  std::string chunk;                        // chunk
  bool aborted = false;                     // end: a worker error, a cancel or a corrupt record
  bool finishes() const { return kind == Kind::whole || kind == Kind::end; }
};

// Counters kept in the segment header (each written by one side only).
struct ChannelCounters {
  uint64_t submitted = 0;             // supervisor: records queued
  uint64_t taken = 0;                 // worker: records taken
  uint64_t responded = 0;             // worker: requests answered (whole, or a stream's end)
  uint64_t corrupt = 0;               // both: records or ring entries rejected
  uint64_t worker_doorbells = 0;      // supervisor: eventfd writes to wake the worker
  uint64_t supervisor_doorbells = 0;  // worker: eventfd writes to wake the supervisor
  uint64_t worker_sleeps = 0;         // worker: times it announced sleep and found nothing
  uint64_t supervisor_sleeps = 0;     // supervisor: same, for the response reader
};

class SupervisorChannel {
 public:
  // Creates the segment (fails if the name exists) and both doorbell eventfds (CLOEXEC,
  // non-blocking). Throws std::runtime_error with a user-facing message on failure.
  static SupervisorChannel create(const ChannelOptions& options);
  SupervisorChannel(SupervisorChannel&&) noexcept;
  SupervisorChannel& operator=(SupervisorChannel&&) noexcept;
  ~SupervisorChannel();  // unlinks the segment and any large-body objects left under its name

  const std::string& name() const;
  const ChannelOptions& options() const;
  // Pass to the exec'd worker (after clear_close_on_exec in the child):
  int worker_doorbell_fd() const;      // worker's --request-fd: the supervisor rings it
  int supervisor_doorbell_fd() const;  // worker's --response-fd: the worker rings it

  // `request.id` must be unique among the requests in flight and not 0 (the worker refuses 0).
  SubmitStatus try_submit(const HttpRequest& request);
  // queued -> cancelled by CAS; false if the worker already took it (or the id is unknown).
  bool try_cancel(uint64_t request_id);
  // The answer is no longer wanted (client gone, wall time): withdrawn if not taken yet (true,
  // as try_cancel); otherwise the worker is told (its on_cancel), answers with an aborted end,
  // and no head or chunk of it is delivered any more (false). Idempotent.
  bool abandon(uint64_t request_id);
  // The head or chunk delivered last for this request is on its way to the client: the worker
  // may write the next record. Ignored unless one is held.
  void release(uint64_t request_id);
  // Delivers every record ready now, in the order the worker wrote them (a corrupt one as an
  // error or an aborted end, for that request only). Returns how many. Single reader thread.
  size_t poll_responses(const std::function<void(ResponseEvent&&)>& on_event);
  // Announces sleep, re-checks, then waits on the eventfd up to `timeout`. True if responses
  // may be ready. Spins for options().spin first.
  bool wait_for_responses(std::chrono::milliseconds timeout);

  struct Reaped {
    std::vector<uint64_t> not_taken;  // never seen by the worker: re-dispatch from your copy
    // The worker had them (running, or part-way through a stream): fail them (502) or cut the
    // stream, never replay.
    std::vector<uint64_t> taken;
    std::vector<ResponseEvent> completed;  // whole responses or ends not yet polled: deliver
  };
  // Call once the worker is known dead (waitpid/pidfd). The channel is closed afterwards;
  // create a new one with epoch + 1 for the restarted worker.
  Reaped reap_after_death();

  // Header readers (any thread).
  int32_t worker_pid() const;
  WorkerState worker_state() const;
  std::chrono::milliseconds heartbeat_age() const;  // since the worker's last heartbeat()
  // The worker's last set_heap_used_bytes; 0 before any.
  uint64_t heap_used_bytes() const;
  // The worker's last set_times; zeros before any.
  WorkerTimes worker_times() const;
  // The worker's last set_egress; zeros before any.
  WorkerEgress worker_egress() const;
  uint64_t worker_log_write_failures() const;  // as the worker last reported
  // Time since the worker last came back to its loop (heartbeat) or was rung awake, whichever
  // is later; zero while it sleeps. A worker stuck in one long request shows a growing value.
  std::chrono::nanoseconds worker_busy_for() const;
  ChannelCounters counters() const;
  // Set by WorkerChannel::record_fatal (why it died) or request_replacement (why it asks).
  std::optional<std::string> fatal_reason() const;
  size_t in_flight() const;  // slots not free
  // The worker wrote a ring cursor out of range or a corrupt response record: kill it.
  bool broken() const;

 private:
  struct State;
  explicit SupervisorChannel(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

struct TakeResult {
  enum class Kind {
    empty,      // nothing to do now
    request,    // a new request: answer it with respond(), or begin() a stream
    corrupt,    // a corrupt request record, already answered with ChannelError::corrupt_request
    released,   // the supervisor wrote the stream's last record out: write the next one
    cancelled,  // the answer is no longer wanted: the channel has already ended the stream
                // (aborted); anything written for it from now on is refused
  } kind = Kind::empty;
  HttpRequest request;  // when kind == request
  // released, cancelled: the request's id; corrupt: the slot's id, 0 if unknown.
  uint64_t request_id = 0;
};

enum class RespondStatus {
  ok,
  unknown_request,  // not taken on this channel, already answered, or cancelled
  not_your_turn,    // the previous head or chunk is not released yet, or the call is out of
                    // order (a chunk before the head, a whole response after it)
  too_large,        // respond(): does not fit one record (stream it); write(): above
                    // max_chunk_bytes(); begin(): headers above it (the supervisor got
                    // ChannelError::headers_too_large)
  cancelled,        // the supervisor abandoned it meanwhile: try_take() reports `cancelled`
};
const char* to_string(RespondStatus status);

class WorkerChannel {
 public:
  // Maps and validates the segment (magic, version, sizes). Takes ownership of both fds.
  // Throws std::runtime_error with a user-facing message on failure.
  static WorkerChannel open(const std::string& name, int request_fd, int response_fd);
  WorkerChannel(WorkerChannel&&) noexcept;
  WorkerChannel& operator=(WorkerChannel&&) noexcept;
  ~WorkerChannel();

  int request_doorbell_fd() const;  // readable when the supervisor rang; register with Asio
  uint32_t epoch() const;
  uint32_t worker_id() const;

  // The next thing the request ring says. With `accept_requests` false (the worker is at its
  // concurrency bound, or draining) a new request is not taken: it stays queued, so the
  // supervisor can still give it to another worker, and is taken first, in ring order, by a
  // later try_take(true); releases and cancels behind it are returned meanwhile.
  TakeResult try_take(bool accept_requests = true);
  // Announce sleep (seq_cst store, then re-check the ring). False: work arrived, do not sleep.
  bool prepare_to_sleep();
  // After waking (doorbell readable or timer): drains the eventfd, clears the announcement and
  // records a heartbeat.
  void finish_sleep();

  // The whole answer in one record. too_large when it does not fit: stream it instead.
  RespondStatus respond(const HttpResponse& response);
  // Starts a streamed answer (`head.id` names the request; its body is ignored). Headers that do
  // not fit one record answer the supervisor with ChannelError::headers_too_large.
  RespondStatus begin(const HttpResponse& head, std::optional<uint64_t> length);
  // True when the worker holds the request's turn: the next record may be written now.
  bool has_turn(uint64_t request_id) const;
  // The next piece of a begun body, at most max_chunk_bytes(); only with the turn.
  RespondStatus write(uint64_t request_id, std::string_view bytes);
  // Ends a begun body; only with the turn. The request is answered afterwards.
  RespondStatus end(uint64_t request_id, bool aborted);
  size_t max_chunk_bytes() const;   // the arena less a chunk record's own fields
  size_t max_record_bytes() const;  // the arena: the largest record respond() can write
  size_t taken_count() const;       // taken and not yet answered

  void set_state(WorkerState state);
  void set_pid(int32_t pid);
  // V8 heap in use (all isolates), for status and metrics; the worker reports it periodically.
  void set_heap_used_bytes(uint64_t bytes);
  // Where its time went, for metrics; the worker reports it periodically.
  void set_times(const WorkerTimes& times);
  // Its subrequest counts, for metrics; reported with the times.
  void set_egress(const WorkerEgress& egress);
  void set_log_write_failures(uint64_t failures);  // log lines not written whole, so far
  void heartbeat();  // also done by finish_sleep and by every successful try_take
  // Copies up to 255 bytes of `reason` into the header and sets state fatal. No allocation.
  void record_fatal(std::string_view reason) noexcept;
  // Serving on, asks the supervisor for a replacement (state replace_me), `reason` where
  // record_fatal puts its own.
  void request_replacement(std::string_view reason) noexcept;

 private:
  struct State;
  // Test-only access (tests/support/worker_channel_faults.h, in no production target): writes
  // records the supervisor must reject.
  friend struct WorkerChannelFaults;
  explicit WorkerChannel(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// In the forked child, before exec: lets `fd` survive exec. Async-signal-safe. False on error.
bool clear_close_on_exec(int fd) noexcept;

// Removes segments (and their large-body objects) in /dev/shm named "<prefix>..." whose creating
// supervisor pid (in the name) no longer exists. prefix is normally "wsup-". Returns how many.
size_t remove_stale_segments(std::string_view prefix);

}  // namespace wsup

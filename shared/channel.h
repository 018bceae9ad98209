// The request/response channel between the supervisor and one worker process.
//
// One shared-memory segment per worker (created by the supervisor, 0600, named
// "wsup-<instance>-<supervisor pid>-w<worker>-e<epoch>" under /dev/shm), holding a header, a ring
// of request slots and two single-producer/single-consumer index rings (requests ▼, responses ▲).
// See shared/README.md for the layout, the slot state machine and the wake-up protocol.
//
// Supervisor side:
//   auto channel = SupervisorChannel::create({.instance_id = "a1b2", .worker_id = 3, .epoch = 1});
//   // fork(); in the child: clear_close_on_exec(channel.worker_doorbell_fd()) and the other one,
//   // then exec wsup-worker --segment <name> --request-fd <worker_doorbell_fd>
//   //                       --response-fd <supervisor_doorbell_fd>
//   channel.try_submit(request);               // any HTTP thread; Full -> keep it in your queue
//   channel.poll_responses(on_completion);     // one reader thread ...
//   channel.wait_for_responses(10ms);          // ... which sleeps here when nothing is ready
//   Reaped r = channel.reap_after_death();     // after the worker died: re-dispatch r.not_taken,
//                                              // answer 502 for r.taken, deliver r.completed
//
// Worker side:
//   auto channel = WorkerChannel::open(name, request_fd, response_fd);
//   register channel.request_doorbell_fd() with a boost::asio::posix::stream_descriptor;
//   loop: while (auto t = channel.try_take(); t.kind != TakeResult::Kind::empty) { ... }
//         if (channel.prepare_to_sleep()) { async_wait(read) on the fd, with a timer;
//                                           on wake-up or timeout: channel.finish_sleep(); }
//   channel.respond(response);                 // any order, for every request taken
//
// Large bodies: a body that does not fit the slot's arena (up to max_body_bytes) travels in its
// own short-lived shared-memory object "<segment name>-q<slot>-<generation>" (requests) or
// "-r<slot>-<generation>" (responses), 0600, created by the writer and unlinked by the reader.
// Why not a memfd over a socketpair: it needs a second channel whose order must be matched with
// the ring, and an extra recvmsg per record; a named object keeps one channel, keeps the slot
// the only thing that orders work, and the supervisor removes leftovers by name prefix when a
// worker dies. Neither side ever waits for the other while writing one.
//
// Threads: SupervisorChannel::try_submit/try_cancel/state readers are thread-safe; poll_responses,
// wait_for_responses and reap_after_death belong to one reader thread. WorkerChannel is used by
// the worker's one thread, except record_fatal (any thread, signal-safe-ish: no allocation).
#pragma once

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
  uint32_t slot_arena_bytes = 128 * 1024;      // one encoded record (request, then its response)
  uint64_t max_body_bytes = 16 * 1024 * 1024;  // larger bodies are refused (413 is the caller's)
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

enum class ChannelError {
  none,
  corrupt_record,   // the record in shared memory failed validation
  corrupt_request,  // the worker rejected the request record as corrupt
  body_too_large,   // the worker's response body exceeded max_body_bytes
  spill_failed,     // a large-body object was missing, too small or could not be created
};
const char* to_string(ChannelError error);

// Where a worker's time went since it started (wall time, nanoseconds), as it last reported.
struct WorkerTimes {
  uint64_t context_ns = 0;        // making fresh contexts for requests that found none ready
  uint64_t spare_context_ns = 0;  // making contexts ahead of requests, on the worker's own thread
  uint64_t script_ns = 0;         // running requests' JavaScript
  uint64_t spare_hits = 0;        // requests that started in a context made ahead
};

// One finished request, as the supervisor's reader sees it.
struct Completion {
  uint64_t request_id = 0;
  ChannelError error = ChannelError::none;
  HttpResponse response;  // valid when error == none
};

// Counters kept in the segment header (each written by one side only).
struct ChannelCounters {
  uint64_t submitted = 0;             // supervisor: records queued
  uint64_t taken = 0;                 // worker: records taken
  uint64_t responded = 0;             // worker: responses written
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

  SubmitStatus try_submit(const HttpRequest& request);
  // queued -> cancelled by CAS; false if the worker already took it (or the id is unknown).
  bool try_cancel(uint64_t request_id);
  // Delivers every response ready now (and every corrupt one, as an error for that request
  // only). Returns how many were delivered. Single reader thread.
  size_t poll_responses(const std::function<void(Completion&&)>& on_completion);
  // Announces sleep, re-checks, then waits on the eventfd up to `timeout`. True if responses
  // may be ready. Spins for options().spin first.
  bool wait_for_responses(std::chrono::milliseconds timeout);

  struct Reaped {
    std::vector<uint64_t> not_taken;    // never seen by the worker: re-dispatch from your copy
    std::vector<uint64_t> taken;        // the worker had them: answer 502, never replay
    std::vector<Completion> completed;  // responses written but not yet polled: deliver them
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
  // Time since the worker last came back to its loop (heartbeat) or was rung awake, whichever
  // is later; zero while it sleeps. A worker stuck in one long request shows a growing value.
  std::chrono::nanoseconds worker_busy_for() const;
  ChannelCounters counters() const;
  // Set by WorkerChannel::record_fatal (why it died) or request_replacement (why it asks).
  std::optional<std::string> fatal_reason() const;
  size_t in_flight() const;                         // slots not free
  // The worker wrote a ring cursor out of range or a corrupt response record: kill it.
  bool broken() const;

 private:
  struct State;
  explicit SupervisorChannel(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

struct TakeResult {
  enum class Kind { empty, request, corrupt } kind = Kind::empty;
  HttpRequest request;      // when kind == request
  uint64_t request_id = 0;  // when kind == corrupt: the slot's id, 0 if unknown. The channel has
                            // already answered the supervisor with ChannelError::corrupt_request.
};

enum class RespondStatus {
  ok,
  unknown_request,  // not taken on this channel (or already answered)
  too_large,        // body above max_body_bytes: the supervisor got ChannelError::body_too_large
  spill_failed,     // large-body object could not be created: supervisor got spill_failed
};

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

  TakeResult try_take();
  // Announce sleep (seq_cst store, then re-check the ring). False: work arrived, do not sleep.
  bool prepare_to_sleep();
  // After waking (doorbell readable or timer): drains the eventfd, clears the announcement and
  // records a heartbeat.
  void finish_sleep();

  RespondStatus respond(const HttpResponse& response);
  // Test only (wsup-worker --allow-test-faults, chaos scenario 9): answers a taken request with
  // a record the supervisor must reject. No production path calls it.
  enum class Corruption { length_past_end, unknown_type, unknown_id };
  RespondStatus respond_corrupt_for_test(const HttpResponse& response, Corruption how);
  size_t taken_count() const;  // taken and not yet answered

  void set_state(WorkerState state);
  void set_pid(int32_t pid);
  // V8 heap in use (all isolates), for status and metrics; the worker reports it periodically.
  void set_heap_used_bytes(uint64_t bytes);
  // Where its time went, for metrics; the worker reports it periodically.
  void set_times(const WorkerTimes& times);
  void heartbeat();  // also done by finish_sleep and by every successful try_take
  // Copies up to 255 bytes of `reason` into the header and sets state fatal. No allocation.
  void record_fatal(std::string_view reason) noexcept;
  // Serving on, asks the supervisor for a replacement (state replace_me), `reason` where
  // record_fatal puts its own.
  void request_replacement(std::string_view reason) noexcept;

 private:
  struct State;
  explicit WorkerChannel(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// In the forked child, before exec: lets `fd` survive exec. Async-signal-safe. False on error.
bool clear_close_on_exec(int fd) noexcept;

// Removes segments (and their large-body objects) in /dev/shm named "<prefix>..." whose creating
// supervisor pid (in the name) no longer exists. prefix is normally "wsup-". Returns how many.
size_t remove_stale_segments(std::string_view prefix);

}  // namespace wsup

// The worker runtime: HTTP requests in, HTTP responses out, each request run in a fresh V8
// context on an isolate of a pool created once. The wsup-worker event loop calls it; tests
// call it directly, without the supervisor or shared memory.
//
//   boost::asio::io_context loop;
//   Runtime runtime(loop, options);              // compiles every script; throws StartupError
//   runtime.handle(request, sink);               // the answer goes to the ResponseSink
//   loop.run();                                  // timers and queued requests run here
//
// Requests interleave: up to `concurrency` of them live at once, spread over the isolates, each
// in its own context; an isolate is busy only while one of them runs JavaScript (a turn, see
// isolate_pool.h), so a request awaiting a timer or a subrequest holds nothing that another
// request needs. fetch() goes out through the runtime's HttpClient (options.egress).
// Requests past `concurrency` wait in FIFO order. Limits stay per request: CPU time counts only
// the request's own slices, the wall time runs from its start. A request that exhausts its
// isolate's heap takes the isolate's other requests with it (503: they share the heap, as on
// Cloudflare), and the isolate is replaced.
//
// Errors become responses: 500 for an uncaught exception, a rejected response promise, a value
// that is not a Response, or a handler that will never respond; 503 past the CPU or memory
// limit; 504 past the wall-time limit. Each is logged with script= and req=.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "config/cluster_config.h"
#include "shared/http_message.h"
#include "worker/baked_context.h"
#include "worker/egress/http_client.h"
#include "worker/limits/cpu_watchdog.h"
#include "worker/limits/fatal_handlers.h"
#include "worker/limits/limit_enforcer.h"
#include "worker/response_sink.h"
#include "worker/script_loader.h"
#include "worker/script_preparation.h"
#include "worker/script_snapshot.h"

namespace wsup::config {
struct ClusterConfig;
}

namespace wsup::worker {

class IsolatePool;
class RequestContext;

struct RuntimeLimits {
  uint32_t cpu_ms = 50;      // CPU time per request: 503 past it
  uint32_t heap_mib = 128;   // V8 heap per isolate: 503 past it, then the isolate is replaced
  uint32_t wall_ms = 30000;  // wall time per request, waitUntil included: 504 past it
  // Console output per request (console.* and reports of its uncaught errors): past either, one
  // "console output truncated" line and nothing more.
  uint64_t console_bytes = 256 * 1024;
  uint32_t console_lines = 1000;
  // CPU time a request may use even inside what V8 does not interrupt (a long built-in): past
  // it the worker ends (RuntimeOptions::on_cpu_stuck). 0: auto, cpu_hard_ms_or_auto().
  uint32_t cpu_hard_ms = 0;
  uint32_t cpu_hard_ms_or_auto() const { return config::resolve_cpu_hard_ms(cpu_hard_ms, cpu_ms); }
  // CPU time for each script's top level and warm-up requests while its snapshot is made: past
  // it the script is evaluated per request instead.
  uint32_t startup_cpu_ms = 1000;
  uint32_t subrequests = 50;            // fetch() calls per request; past it fetch() rejects
  uint32_t concurrent_subrequests = 6;  // running at once per request; more wait in order
};

struct RuntimeOptions {
  std::vector<ScriptSpec> scripts;
  size_t isolates = 4;
  // Requests alive at once (each with its context), over all isolates; more wait in FIFO order.
  size_t concurrency = 64;
  RuntimeLimits limits;
  // The outgoing HTTP client behind fetch() (outbound policy, CA bundle, subrequest timeout):
  // nullopt leaves fetch() refusing every call (tests that need no network).
  std::optional<egress::ClientOptions> egress;
  // Make each idle isolate's next context ahead of time, on a thread of its own (takes
  // Context::New off a request's latency, not off its CPU cost).
  bool spare_contexts = true;
  // Benchmark-only (cluster.yaml `bench_no_js`): answer every request with a fixed 200 at once,
  // without V8, to measure the pipeline around the scripts.
  bool bench_no_js = false;
  // The WebAssembly global (a V8 flag, so process-wide): nullopt turns it on only when some
  // script's source mentions WebAssembly (cluster.yaml `webassembly: auto`).
  std::optional<bool> webassembly;
  // navigator.userAgent (cluster.yaml `user_agent`; process-wide, like the WebAssembly flag).
  std::string user_agent = "Cloudflare-Workers";
  // The startup snapshot's context requests start from: nullopt picks it from the words the
  // scripts use (baked_context_for); tests set it to cover each.
  std::optional<BakedContext> baked_context;
  // Where scripts' snapshots are built (script_snapshot.h): empty builds them in this process;
  // a path to wsup-worker builds them in a child process of it (snapshot_subprocess.h), so that
  // V8 aborting on an object it cannot serialize ends the build, not the worker.
  std::string snapshot_builder;
  // Where V8's fatal out-of-memory reports go before the process aborts (null: stderr).
  limits::FatalCallback on_fatal = nullptr;
  void* on_fatal_data = nullptr;
  // A slice of JavaScript passed limits.cpu_hard_ms (`reason` says which request and how far):
  // called on the CPU watchdog's thread while the loop thread is still stuck; the worker ends
  // the process there. Null: the hard limit is not enforced (tests that run the runtime in
  // their own process).
  std::function<void(const std::string& reason)> on_cpu_stuck;

  // The worker's share of cluster.yaml.
  static RuntimeOptions from_config(const config::ClusterConfig& config);
};

struct RuntimeStats {
  size_t isolates = 0;
  size_t running = 0;              // requests alive (a context each), running JS or awaiting
  size_t waiting = 0;              // requests queued past the concurrency bound
  uint64_t served = 0;             // requests answered so far
  uint64_t isolates_replaced = 0;  // after reaching the heap limit
  uint64_t isolates_lost = 0;      // V8 gave up on them (their thread was stranded)
  size_t heap_used_bytes = 0;      // V8 heap in use, all isolates together
  size_t native_contexts = 0;      // contexts V8 still holds (live or not yet collected)
  size_t detached_contexts = 0;
  size_t retired_microtask_queues = 0;  // of dropped contexts the GC has not collected yet
  size_t spare_contexts = 0;            // isolates holding a context made ahead of time
};

// Where the worker's time went, summed since start (wall time, nanoseconds): what the
// supervisor's /metrics shows per worker.
struct RuntimeTimes {
  uint64_t context_ns = 0;        // Context::New for requests that found no spare ready
  uint64_t spare_context_ns = 0;  // making spare contexts ahead of requests (own thread)
  uint64_t script_ns = 0;         // requests' JavaScript: script, handler, microtasks, timers
  uint64_t spare_hits = 0;        // requests that started in a spare context
  uint64_t requests = 0;          // finished requests these sums cover
};

class WorkerIsolate;

class Runtime {
 public:
  // Loads and compiles every script and creates the isolate pool. Throws StartupError with
  // "path:line:column: message" for a script that does not compile. Needs a live V8Engine.
  Runtime(boost::asio::io_context& loop, RuntimeOptions options);
  // Drops every request still running without answering it.
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Runs `request` through the script it names; its answer goes to `sink` (exactly once, on the
  // loop's thread, possibly before handle() returns). Worker thread only.
  void handle(HttpRequest request, std::shared_ptr<ResponseSink> sink);

  // Requests alive and requests waiting past the concurrency bound.
  size_t running() const { return running_.size(); }
  size_t waiting() const { return waiting_.size(); }
  // True while another request could start at once (below the concurrency bound).
  bool has_room() const { return running_.size() + waiting_.size() < options_.concurrency; }
  // Called (on the loop) each time a request ends, so a caller that stopped taking work at the
  // bound can take more.
  void set_on_room(std::function<void()> on_room) { on_room_ = std::move(on_room); }
  // The client behind fetch(), null without options.egress (its stats() are the worker's
  // subrequest counters).
  const egress::HttpClient* http_client() const { return http_client_.get(); }
  // Counters and heap figures (for metrics). `full_gc` first collects garbage on idle isolates,
  // so the context counts show what is really retained (tests, diagnostics; costs ms).
  RuntimeStats stats(bool full_gc = false);
  // Cheap (no isolate is touched): counters kept as requests finish.
  RuntimeTimes times() const;
  // The snapshot context its requests start from when they start fresh
  // (RuntimeOptions::baked_context).
  BakedContext baked_context() const { return baked_context_; }
  // The isolates' snapshot: which scripts start from their evaluated top level, and why others
  // do not.
  const ScriptSnapshot& snapshot() const { return *snapshot_; }

  // --- After V8 gave up on an isolate and its thread was stranded (loop_rescue.h).
  // The loop runs on the calling thread from now on: the CPU watchdog watches it instead, and
  // forgets the slice the stranded thread was in.
  void take_over_loop_thread();
  // `isolate` is lost: its requests get 503 (nothing of theirs touches V8 again), a fresh isolate
  // takes its place. On the loop thread, before anything else could touch the isolate (for the
  // loop's own strand: before the loop runs on).
  void isolate_lost(v8::Isolate* isolate, std::string_view reason);
  // Called once the runtime has lost as many isolates as it runs: their memory (each up to its
  // heap limit and headroom, never freed) then about doubles what the worker holds, and the
  // worker should be replaced by a fresh process (it serves on until then).
  void set_on_replacement_due(std::function<void(std::string reason)> on_due) {
    on_replacement_due_ = std::move(on_due);
  }
  uint64_t isolates_lost() const { return isolates_lost_; }

 private:
  struct Waiting {
    HttpRequest request;
    std::shared_ptr<ResponseSink> sink;
  };
  // Logs what preparing the scripts decided: WebAssembly, the baked context, what each top
  // level printed, why a script is evaluated per request or went without its warm-up.
  void log_preparation(const PreparedScripts& prepared) const;
  // Starts `request` on an isolate; false when every isolate is condemned (being replaced).
  bool start(size_t script_index, HttpRequest& request, std::shared_ptr<ResponseSink>& sink);
  void on_finished(RequestContext& request);
  // Fails every other request on `isolate` (its heap is exhausted) and has it replaced.
  void condemn(WorkerIsolate& isolate);
  void replace_condemned();
  void start_next_waiting();
  void post(void (Runtime::*member)());
  void bury_finished() { finished_.clear(); }
  // The spare maker let go of `isolate` (its thread): the turns deferred for it may run.
  void on_maker_done(WorkerIsolate* isolate);
  // V8 queued work for `isolate`'s thread: run it, then let its requests see what it settled.
  void run_posted_tasks(WorkerIsolate* isolate);
  void announce_room();
  // A queued request is work the loop has not done yet, even while the only thing that can end
  // the wait is another request's end.
  void keep_loop_busy_while_waiting();

  boost::asio::io_context& loop_;
  RuntimeOptions options_;
  std::vector<LoadedScript> scripts_;
  std::unordered_map<std::string, size_t> script_by_name_;
  // Watches this (the constructing) thread's CPU clock; outlives every request.
  limits::CpuWatchdog watchdog_;
  limits::CpuWatchdogOptions watchdog_options();
  limits::WatchdogLimitEnforcer enforcer_{watchdog_};
  // One per worker (options_.egress); outlives the requests, whose subrequests it runs.
  std::unique_ptr<egress::HttpClient> http_client_;
  std::unique_ptr<IsolatePool> pool_;
  std::unordered_map<RequestContext*, std::shared_ptr<RequestContext>> running_;
  // Finished requests, destroyed from the loop (each finishes on a stack of its own frames).
  std::vector<std::shared_ptr<RequestContext>> finished_;
  std::deque<Waiting> waiting_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      waiting_work_;
  uint64_t served_ = 0;
  RuntimeTimes times_;  // spare_context_ns is read from the pool
  BakedContext baked_context_ = BakedContext::plain;
  std::shared_ptr<const ScriptSnapshot> snapshot_;
  uint64_t isolates_replaced_ = 0;
  std::function<void()> on_room_;
  // What lost isolates leave behind: never destroyed (V8 holds them locked on a stranded thread;
  // their requests' handles belong to them), released unfreed if the runtime ends.
  struct Lost {
    std::unique_ptr<WorkerIsolate> isolate;
    std::unique_ptr<std::vector<std::shared_ptr<RequestContext>>> requests =
        std::make_unique<std::vector<std::shared_ptr<RequestContext>>>();
  };
  std::vector<Lost> lost_;
  uint64_t isolates_lost_ = 0;
  std::function<void(std::string)> on_replacement_due_;
  // Handlers posted to the loop hold a weak_ptr to this and do nothing once the runtime is gone.
  std::shared_ptr<Runtime*> alive_ = std::make_shared<Runtime*>(this);
};

}  // namespace wsup::worker

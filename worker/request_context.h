// One request's life on an isolate: a fresh context with its own MicrotaskQueue, the script
// bound and run in it, the fetch event dispatched, then microtasks, timers and subrequests
// (fetch(), request_fetch.cc) driven on the loop until the response settles and the waitUntil
// promises are done (or nothing can settle them any more, or the wall limit passes). Then the
// context is dropped and the runtime told through the `finished` callback.
//
// Other requests live on the same isolate meanwhile: everything this request does with V8 (its
// slices of JavaScript, making and dropping its context) happens in a turn on the isolate
// (IsolateTurn, isolate_pool.h), and between turns it holds nothing. A turn the spare maker's
// thread delays waits in the isolate's deferred queue; every step that starts a turn holds only
// a weak reference to the request, so a request that ended meanwhile is simply skipped.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <v8.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "shared/http_message.h"
#include "worker/api/js_host.h"
#include "worker/egress/http_client.h"
#include "worker/egress/subrequest_budget.h"
#include "worker/limits/limit_enforcer.h"
#include "worker/module_graph.h"
#include "worker/response_body_pump.h"
#include "worker/response_sink.h"
#include "worker/runtime.h"

namespace wsup::worker {

class SharedContext;
class WorkerIsolate;

class RequestContext final : public JsHost, public std::enable_shared_from_this<RequestContext> {
 public:
  using Finished = std::function<void(RequestContext&)>;

  RequestContext(boost::asio::io_context& loop, WorkerIsolate& isolate, size_t script_index,
                 const LoadedScript& script, const RuntimeLimits& limits,
                 limits::LimitEnforcer& enforcer, egress::HttpClient* http_client,
                 HttpRequest request, std::shared_ptr<ResponseSink> sink, Finished finished);
  // Needs the V8 state released (finish() or abandon() did it).
  ~RequestContext() override;

  // Runs the script and dispatches the fetch event (in a turn on the isolate); the rest happens
  // on the loop.
  void start();
  // Answers 503 and ends the request: its isolate is being replaced because another request on
  // it exhausted the heap. Call in a turn on the isolate.
  void fail_isolate_condemned();
  // Performs the request's pending microtasks in a slice of its own (work V8 ran outside any
  // request settled one of its promises, or another request on its shared context did), then
  // decides what happens next. `wake_others`: then let the other requests on its shared
  // context look at their promises too.
  void run_microtasks(bool wake_others = true);
  // Drops the context without answering and without calling `finished` (runtime shutdown, with
  // the spare maker stopped so the isolate is free).
  void abandon();
  // Its isolate is lost (loop_rescue.h): answers 503 and ends without touching V8 (its handles
  // stay as they are, forever). `culprit`: its JavaScript was running when V8 gave up.
  void fail_isolate_lost(bool culprit);
  // The request whose slice of JavaScript runs on the loop thread now (null between slices).
  // Right after a strand: the one that brought its isolate down.
  static RequestContext* in_slice() { return in_slice_; }
  static void clear_in_slice() { in_slice_ = nullptr; }
  // The id of the request whose slice runs now (0: none), for another thread (the CPU watchdog's
  // report of a stuck slice).
  static uint64_t slice_request_id() { return slice_request_id_.load(std::memory_order_relaxed); }

  WorkerIsolate& isolate() const { return isolate_; }

  uint64_t id() const { return request_.id; }
  // Where this request's worker time went (Runtime sums them into RuntimeTimes).
  uint64_t context_ns() const { return context_ns_; }  // Context::New, when no spare was ready
  uint64_t script_ns() const { return script_ns_; }    // its JavaScript slices
  bool started_in_spare() const { return started_in_spare_; }
  // The isolate's heap hit its limit during this request: replace it.
  bool isolate_must_be_replaced() const;

  // JsHost
  uint32_t set_timer(v8::Local<v8::Function> callback, std::vector<v8::Local<v8::Value>> arguments,
                     double delay_ms, bool repeat) override;
  void clear_timer(uint32_t id) override;
  void console_message(log::Level level, std::string_view text) override;
  size_t console_room() const override;
  bool response_body_chunk(std::string_view bytes) override;
  void response_body_end() override;
  void response_body_error(v8::Local<v8::Value> error) override;
  void promise_rejected_unhandled(v8::Local<v8::Promise> promise,
                                  v8::Local<v8::Value> reason) override;
  void promise_handled_late(v8::Local<v8::Promise> promise) override;
  uint32_t fetch_start(egress::SubrequestSpec spec, v8::Local<v8::Object> handlers,
                       std::string& refusal) override;
  void fetch_resume(uint32_t id) override;
  void fetch_abort(uint32_t id) override;
  void fetch_write(uint32_t id, std::string chunk) override;
  void fetch_end_body(uint32_t id) override;

  const ModuleGraph* module_graph() const override { return &modules_; }

 private:
  struct Timer {
    std::unique_ptr<boost::asio::steady_timer> timer;
    v8::Global<v8::Function> callback;
    std::vector<v8::Global<v8::Value>> arguments;
    std::chrono::milliseconds interval{0};
    bool repeat = false;
  };
  enum class LimitHit { none, cpu, heap };
  struct UnhandledRejection {
    v8::Global<v8::Promise> promise;
    v8::Global<v8::Value> reason;
  };

  // Where the response body of a fetch() goes (request_fetch.cc): first it is held (one chunk,
  // the subrequest paused) until the script opens the body's stream (script: each chunk goes to
  // fetch.js) or the runtime takes the untouched body as its answer's (response: each chunk goes
  // through pump_ to the sink in C++, request_fetch_pipe.cc).
  enum class BodyRoute { held, script, response };
  // One fetch() of this request (request_fetch.cc): its place in the subrequest budget, the
  // client's handle, and fetch.js's handlers its events are delivered to.
  struct Fetch {
    egress::SubrequestBudget::Ticket ticket;
    egress::Subrequest subrequest;
    v8::Global<v8::Object> handlers;
    std::optional<egress::SubrequestSpec> spec;  // until the budget lets it start
    BodyRoute route = BodyRoute::held;
    bool head_came = false;  // before it, an error rejects fetch()'s promise at once
    // The body's exact length as the upstream declared it, when it is delivered as received
    // (ResponseHead::length): a body sent on untouched keeps it (request_fetch_pipe.cc).
    std::optional<uint64_t> length;
    std::string held;  // body bytes that came while held
    // While held: the subrequest is over (its ticket released); `held_error`: it failed so.
    bool held_over = false;
    std::optional<std::string> held_error;
    // script: the stream's pull() asked for more during the slice that delivered a chunk (its
    // microtasks read on), so the chunk's "no read waits" is already out of date.
    bool pulled = false;
  };
  using FetchCall =
      std::function<bool(v8::Local<v8::Context> context, v8::Local<v8::Object> handlers)>;

  // Runs `step` in a turn on the isolate: now when the isolate is free and no deferred turn
  // waits, otherwise deferred (in order) until the spare maker lets go (and skipped if the
  // request is gone by then).
  void in_turn(std::function<void(RequestContext&)> step);
  // start()'s turn: the context, the script, the fetch event.
  void begin();
  // One slice of this request's JavaScript: scopes entered, exceptions caught and logged,
  // microtasks drained, the response promise looked at. `body` returns false when it threw.
  // A throw answers 500 when `throw_fails_request`. On a shared context, the other requests
  // there look at their promises afterwards, unless !wake_others. In a turn.
  void run_slice(bool throw_fails_request, const std::function<bool(v8::Local<v8::Context>)>& body,
                 bool wake_others = true);
  // Records a CPU or heap verdict of the request's budget in limit_hit_.
  void note_limits();
  // The request's share of the log (limits.console_bytes, console_lines): how many bytes of a line
  // of `bytes` may be written now (0: none). After writing, end_console_line() adds the one
  // "console output truncated" line if this line reached the cap.
  size_t begin_console_line(size_t bytes);
  void end_console_line();
  bool run_script_and_dispatch(v8::Local<v8::Context> context);
  // A cron trigger's run: internal.dispatchScheduled(namespace, cron, scheduledTime, env).
  v8::MaybeLocal<v8::Value> dispatch_scheduled(v8::Local<v8::Context> context,
                                               v8::Local<v8::Object> internal,
                                               v8::Local<v8::Value> namespace_object,
                                               v8::Local<v8::Value> env);
  // Keeps the [responsePromise, waitUntil] pair a dispatch returned.
  bool take_dispatch_result(v8::Local<v8::Context> context, v8::Local<v8::Value> result);
  // Evaluates the script's top level in `context`: a module graph (its namespace comes back in
  // `namespace_object`), or a service worker with its bindings as globals. False with an
  // exception pending; true with ready_ set when the module's evaluation failed and was answered.
  bool evaluate_top_level(v8::Local<v8::Context> context, ModuleGraph& graph,
                          v8::Local<v8::Value>& namespace_object);
  bool run_module(v8::Local<v8::Context> context, ModuleGraph& graph,
                  v8::Local<v8::Value>& namespace_object);
  // isolation: isolate (request_shared.cc). The isolate's shared context for the script, made
  // if there is none (empty when the heap guard stops that), with this request attached.
  v8::Local<v8::Context> enter_shared_context();
  // Its private object and entry, evaluating the top level first in a new context without a
  // snapshot. False with an exception pending (the context is then retired).
  bool prepare_shared_context(v8::Local<v8::Context> context, v8::Local<v8::Object>& internal,
                              v8::Local<v8::Value>& entry);
  // Detaches; retires the context when a recycling limit says so; drops it once retired and
  // unused. In a turn.
  void leave_shared_context();
  void wake_shared_context_requests();
  void inspect_promises(v8::Local<v8::Context> context);
  // Promises rejected with no handler (request_rejections.cc): reported after a checkpoint.
  void report_unhandled_rejections(v8::Local<v8::Context> context);
  // The response promise and the waitUntil promises, whose rejections inspect_promises reports.
  bool reported_by_runtime(v8::Local<v8::Context> context, v8::Local<v8::Promise> promise);
  HttpResponse to_http_response(v8::Local<v8::Context> context, v8::Local<v8::Value> value);
  // `in_promise`: the exception is a promise's rejection reason ("Uncaught (in promise) ...").
  void log_js_error(std::string_view what, v8::Local<v8::Context> context,
                    v8::Local<v8::Value> exception, v8::Local<v8::Message> message,
                    bool in_promise = false);
  // Decides what happens next after a slice or a timer: answer, finish or keep waiting.
  void advance();
  // Streaming the response body (request_body_stream.cc): the head goes out, the body stream
  // is read by response_body.js's pump as fast as the sink takes it.
  void begin_streaming(HttpResponse head);
  void on_sink_ready();   // in a turn
  void on_sink_cancel();  // in a turn
  // Calls method `name` of the pump's JS object in a slice.
  void call_pump(const char* name);
  // Ends a streamed body abruptly: at once (a limit, the request's end), or once the chunk the
  // pump holds went out (the script's stream errored: the client gets what it made).
  enum class CutHeld { drop, send };
  void cut_stream(std::string_view why, CutHeld held = CutHeld::drop);
  bool streaming() const { return pump_ && !pump_->done(); }
  void arm_timer(uint32_t id);
  void on_timer(uint32_t id);
  void fire_timer(uint32_t id);  // on_timer's turn
  void on_wall_timeout();
  // fetch() (request_fetch.cc): starting one when the budget allows, the client's callbacks,
  // each delivered in a turn, and the end of an entry (its ticket released).
  void start_fetch(uint32_t id);
  egress::SubrequestCallbacks fetch_callbacks(uint32_t id);
  // In a turn: calls fetch.js's handlers of `id` in a slice (dropping the entry first when
  // `last`), then advance().
  void deliver_fetch(uint32_t id, bool last, const FetchCall& call);
  // The client's body events, routed by the fetch's BodyRoute; the deliver_* ones call fetch.js
  // (in a turn). `error`: the subrequest failed with that sentence, else it ended well.
  void fetch_body(uint32_t id, std::string_view chunk);
  void fetch_over(uint32_t id, std::optional<std::string> error);
  bool deliver_body(uint32_t id, const std::string& bytes);  // false: it paused
  void deliver_over(uint32_t id, std::optional<std::string> error);
  // The script opened a held body's stream: what was held goes to it, then the client resumes.
  void release_held(uint32_t id);
  // Whether a subrequest could still run the script's JavaScript (a held body whose subrequest
  // is over cannot, until the script opens it).
  bool subrequests_running() const;
  // The runtime took fetch piped_fetch_'s body as the answer's (request_fetch_pipe.cc): its
  // chunks go from the client to pump_ without JavaScript; on_sink_ready resumes it.
  void begin_piping();
  // The piped body's length as its upstream declared it, if it has one (Fetch::length).
  std::optional<uint64_t> piped_length() const;
  void pipe_chunk(Fetch& fetch, std::string_view chunk);
  void pipe_over(uint32_t id, std::optional<std::string> error);  // then advance()
  // Resumes what feeds pump_ (the JS pump or the piped subrequest) after the sink made room.
  void resume_body_source();
  void drop_fetch(uint32_t id);
  void abort_fetches();  // in a turn, with finished_ set
  uint32_t incoming_hops() const;
  void respond(HttpResponse response);
  HttpResponse error_response(uint16_t status, std::string_view body) const;
  // Ends the request: V8 state dropped in a turn, then `finished` called.
  void finish();
  void release_v8_state();  // in a turn

  boost::asio::io_context& loop_;
  WorkerIsolate& isolate_;
  v8::Isolate* const v8_isolate_;
  const size_t script_index_;
  const LoadedScript& script_;
  const RuntimeLimits limits_;
  HttpRequest request_;
  std::shared_ptr<ResponseSink> sink_;
  Finished finished_callback_;

  limits::LimitEnforcer& enforcer_;
  limits::RequestBudget budget_;
  bool request_started_ = false;

  std::unique_ptr<v8::MicrotaskQueue> microtasks_;  // its own context's (isolation: request)
  v8::MicrotaskQueue* queue_ = nullptr;             // the queue of the context it runs in
  SharedContext* shared_ = nullptr;                 // isolation: isolate, while attached
  v8::Global<v8::Context> context_;
  v8::Global<v8::Object> internal_;
  v8::Global<v8::Promise> response_promise_;
  v8::Global<v8::Array> wait_until_;
  ModuleGraph modules_;  // the script's modules, when they are evaluated per request
  std::vector<UnhandledRejection> unhandled_rejections_;  // since the last report

  // The response's body stream, from to_http_response until begin_streaming hands it to the
  // pump; then the pump's JS object ({resume, cancel}) and the C++ side that feeds the sink.
  v8::Global<v8::Object> body_stream_;
  std::optional<uint64_t> body_length_;
  std::unique_ptr<ResponseBodyPump> pump_;
  v8::Global<v8::Object> pump_js_;
  bool pump_paused_ = false;
  uint32_t piped_fetch_ = 0;  // the fetch whose body is the answer's (0: none)

  egress::HttpClient* const http_client_;       // null: fetch() is refused (no outbound config)
  egress::SubrequestBudget subrequest_budget_;  // outlives the tickets in fetches_
  std::map<uint32_t, Fetch> fetches_;
  uint32_t next_fetch_id_ = 1;

  std::map<uint32_t, Timer> timers_;
  uint32_t next_timer_id_ = 1;
  boost::asio::steady_timer wall_timer_;

  std::optional<HttpResponse> ready_;  // the answer, once known, until respond() sends it
  bool responded_ = false;
  bool wait_until_settled_ = true;
  uint32_t wait_until_reported_ = 0;  // waitUntil promises [0, n) are settled and reported
  bool finished_ = false;             // finish() was asked for
  bool released_ = false;             // the V8 state is gone
  LimitHit limit_hit_ = LimitHit::none;
  uint64_t context_ns_ = 0;
  uint64_t script_ns_ = 0;
  bool started_in_spare_ = false;
  uint64_t console_bytes_ = 0;  // written so far into the log through console_message
  uint32_t console_lines_ = 0;
  enum class ConsoleCap { open, reached, announced } console_cap_ = ConsoleCap::open;
  static inline RequestContext* in_slice_ = nullptr;  // loop thread only
  // Relaxed: a diagnostic read by the watchdog's thread; nothing is published through it.
  static inline std::atomic<uint64_t> slice_request_id_{0};
};

}  // namespace wsup::worker

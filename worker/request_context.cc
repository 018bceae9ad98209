#include "worker/request_context.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "worker/code_generation_policy.h"
#include "worker/isolate_pool.h"
#include "worker/js_error.h"
#include "worker/js_values.h"
#include "worker/shared_context.h"
#include "worker/stopwatch.h"

namespace wsup::worker {
namespace {

// Shortens UTF-8 text to at most `max` bytes without splitting a character.
void cut_utf8(std::string& text, size_t max) {
  if (text.size() <= max) return;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
}

}  // namespace

RequestContext::RequestContext(boost::asio::io_context& loop, WorkerIsolate& isolate,
                               size_t script_index, const LoadedScript& script,
                               const RuntimeLimits& limits, limits::LimitEnforcer& enforcer,
                               egress::HttpClient* http_client, HttpRequest request,
                               std::shared_ptr<ResponseSink> sink, Finished finished)
    : loop_(loop),
      isolate_(isolate),
      v8_isolate_(isolate.isolate()),
      script_index_(script_index),
      script_(script),
      limits_(limits),
      request_(std::move(request)),
      sink_(std::move(sink)),
      finished_callback_(std::move(finished)),
      enforcer_(enforcer),
      budget_(isolate.isolate(), std::chrono::milliseconds(limits.cpu_ms), isolate.heap_guard(),
              std::chrono::milliseconds(limits.cpu_hard_ms_or_auto())),
      http_client_(http_client),
      subrequest_budget_(limits.subrequests, limits.concurrent_subrequests),
      wall_timer_(loop) {}

RequestContext::~RequestContext() = default;

bool RequestContext::isolate_must_be_replaced() const {
  return limit_hit_ == LimitHit::heap || isolate_.heap_exhausted();
}

void RequestContext::start() {
  // Armed before the first turn, which the spare maker may delay: the wall time counts from
  // here, and a pending wait keeps the loop running until the deferred turn comes.
  wall_timer_.expires_after(std::chrono::milliseconds(limits_.wall_ms));
  wall_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    if (error) return;  // cancelled: the request finished first
    if (auto request = weak.lock()) request->on_wall_timeout();
  });
  in_turn([](RequestContext& request) { request.begin(); });
}

void RequestContext::in_turn(std::function<void(RequestContext&)> step) {
  std::optional<IsolateTurn> turn;
  if (!isolate_.turns_waiting()) turn.emplace(isolate_);  // else in order behind them
  if (!turn || !turn->held()) {
    isolate_.defer([weak = weak_from_this(), step = std::move(step)] {
      if (auto request = weak.lock()) step(*request);
    });
    return;
  }
  auto self = shared_from_this();  // the step may end the request
  step(*this);
}

void RequestContext::begin() {
  if (finished_) return;  // the wall time passed while the turn was deferred
  {
    v8::HandleScope handle_scope(v8_isolate_);
    v8::Local<v8::Context> context;
    const ScriptSnapshot& snapshot = isolate_.snapshot();
    if (script_.spec.isolation == Isolation::isolate) {
      context = enter_shared_context();
    } else if (auto spare = isolate_.take_spare_context(snapshot.context_key(script_index_))) {
      microtasks_ = std::move(spare->queue);
      context = spare->context.Get(v8_isolate_);
      started_in_spare_ = true;
    } else {
      const Stopwatch making;
      microtasks_ = v8::MicrotaskQueue::New(v8_isolate_, v8::MicrotasksPolicy::kExplicit);
      if (!isolate_.new_context(script_index_, microtasks_.get()).ToLocal(&context)) {
        // The heap guard stopped Context::New: the isolate is out of heap. No context exists,
        // so nothing may be attached to one; the verdict below answers 503.
        v8_isolate_->CancelTerminateExecution();
      }
      context_ns_ = making.elapsed_ns();
    }
    if (!context.IsEmpty()) {
      if (shared_ == nullptr) {
        JsHost::attach(context, this);
        queue_ = microtasks_.get();
      }
      apply_code_generation_policy(context, script_.spec);
      context_.Reset(v8_isolate_, context);
    }
  }
  enforcer_.request_started(budget_);
  request_started_ = true;
  note_limits();  // the heap guard can fire during Context::New
  if (context_.IsEmpty() && limit_hit_ == LimitHit::none) {
    // Not the heap guard (it sets the verdict): V8 refused the context for another reason.
    log::error("could not make a context for the request",
               {{"script", script_.spec.name}, {"req", request_.id}});
    respond(error_response(503, "Service Unavailable: the worker could not make a context\n"));
    return finish();
  }
  if (!context_.IsEmpty()) {
    run_slice(true,
              [this](v8::Local<v8::Context> context) { return run_script_and_dispatch(context); });
  }
  advance();
}

void RequestContext::run_microtasks(bool wake_others) {
  if (finished_ || context_.IsEmpty()) return;
  in_turn([wake_others](RequestContext& request) {
    if (request.finished_ || request.context_.IsEmpty()) return;
    // The slice's checkpoint does the work; the body has nothing to add.
    request.run_slice(
        false, [](v8::Local<v8::Context>) { return true; }, wake_others);
    request.advance();
  });
}

void RequestContext::fail_isolate_condemned() {
  if (finished_) return;
  if (!responded_) {
    log::warn(
        "request failed: its isolate is replaced after another request on it exhausted "
        "the heap",
        {{"script", script_.spec.name}, {"req", request_.id}});
    respond(error_response(503,
                           "Service Unavailable: the worker's isolate ran out of memory and is "
                           "being replaced\n"));
  }
  finish();
}

void RequestContext::fail_isolate_lost(bool culprit) {
  if (!responded_) {
    respond(culprit ? error_response(503,
                                     "Service Unavailable: the worker exceeded its memory "
                                     "limit\n")
                    : error_response(503,
                                     "Service Unavailable: the worker's isolate ran out of memory "
                                     "and is being replaced\n"));
  }
  cut_stream(culprit ? "memory limit" : "its isolate was lost");
  finished_ = true;
  finished_callback_ = nullptr;
  // Cancelled, not destroyed: their callbacks are handles of the lost isolate.
  wall_timer_.cancel();
  for (auto& [id, timer] : timers_) timer.timer->cancel();
}

void RequestContext::run_slice(bool throw_fails_request,
                               const std::function<bool(v8::Local<v8::Context>)>& body,
                               bool wake_others) {
  const Stopwatch running;
  // Slices do not nest across requests; a stranded thread leaves it pointing at its request.
  RequestContext* const outer = in_slice_;
  in_slice_ = this;
  slice_request_id_.store(request_.id, std::memory_order_relaxed);
  v8::HandleScope handle_scope(v8_isolate_);
  v8::Local<v8::Context> context = context_.Get(v8_isolate_);
  v8::Context::Scope context_scope(context);
  // What this slice queues on a shared context comes back to this request (shared_context.h).
  if (shared_ != nullptr) shared_->set_current(request_.id);
  {
    // Before the TryCatch: its end cancels any termination, so the next slice can run.
    limits::JsSlice slice(enforcer_, budget_);
    if (slice.may_run()) {
      v8::TryCatch try_catch(v8_isolate_);
      const bool ok = body(context);
      if (!try_catch.HasTerminated()) {
        if (!ok || try_catch.HasCaught()) {
          log_js_error("uncaught exception", context, try_catch.Exception(), try_catch.Message());
          if (throw_fails_request && !responded_ && !ready_) {
            ready_ = error_response(500,
                                    "Internal Server Error: the worker script threw an "
                                    "exception (see the worker log)\n");
          }
        }
        try_catch.Reset();
        queue_->PerformCheckpoint(v8_isolate_);
        if (!try_catch.HasTerminated()) report_unhandled_rejections(context);
        if (!try_catch.HasTerminated()) inspect_promises(context);
      }
    }
  }
  in_slice_ = outer;
  slice_request_id_.store(outer != nullptr ? outer->request_.id : 0, std::memory_order_relaxed);
  note_limits();
  script_ns_ += running.elapsed_ns();
  if (shared_ != nullptr && wake_others) wake_shared_context_requests();
}

void RequestContext::note_limits() {
  switch (budget_.verdict()) {
    case limits::LimitVerdict::cpu_exceeded:
      if (limit_hit_ == LimitHit::none) limit_hit_ = LimitHit::cpu;
      break;
    case limits::LimitVerdict::heap_exceeded:
      limit_hit_ = LimitHit::heap;
      break;
    case limits::LimitVerdict::within_limits:
      break;
  }
}

void RequestContext::inspect_promises(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = v8_isolate_;
  if (!responded_ && !ready_ && !response_promise_.IsEmpty()) {
    v8::Local<v8::Promise> promise = response_promise_.Get(isolate);
    if (promise->State() == v8::Promise::kFulfilled) {
      ready_ = to_http_response(context, promise->Result());
    } else if (promise->State() == v8::Promise::kRejected) {
      log_js_error("response promise rejected", context, promise->Result(), {});
      ready_ = error_response(500,
                              "Internal Server Error: the worker script threw an exception "
                              "(see the worker log)\n");
    }
  }
  wait_until_settled_ = true;
  if (wait_until_.IsEmpty()) return;
  v8::Local<v8::Array> wait_until = wait_until_.Get(isolate);
  for (uint32_t i = 0; i < wait_until->Length(); ++i) {
    v8::Local<v8::Value> item;
    if (!wait_until->Get(context, i).ToLocal(&item) || !item->IsPromise()) continue;
    v8::Local<v8::Promise> promise = item.As<v8::Promise>();
    if (promise->State() == v8::Promise::kPending) {
      wait_until_settled_ = false;
    } else if (promise->State() == v8::Promise::kRejected && i >= wait_until_reported_) {
      log_js_error("waitUntil promise rejected", context, promise->Result(), {});
    }
    // Rejections are reported once: everything before the first pending promise is settled.
    if (wait_until_settled_) wait_until_reported_ = i + 1;
  }
}

void RequestContext::log_js_error(std::string_view what, v8::Local<v8::Context> context,
                                  v8::Local<v8::Value> exception, v8::Local<v8::Message> message,
                                  bool in_promise) {
  JsError error = describe_js_error(context, exception, message);
  if (in_promise && error.message.starts_with("Uncaught ")) {
    error.message.insert(9, "(in promise) ");
  }
  if (error.message.find("WebAssembly is not defined") != std::string::npos)
    error.message +=
        " (WebAssembly is off in this cluster: set `webassembly: true` in cluster.yaml)";
  // The script chooses what it throws (a message of 100 MB, a throw per timer): its errors count
  // against its console output, the stack cut first.
  const size_t room = begin_console_line(error.message.size() + error.stack.size());
  if (room == 0) return end_console_line();
  cut_utf8(error.stack, room > error.message.size() ? room - error.message.size() : 0);
  cut_utf8(error.message, room);
  log::error(what, {{"script", script_.spec.name},
                    {"req", request_.id},
                    {"error", error.message},
                    {"location", error.location},
                    {"stack", error.stack}});
  end_console_line();
}

void RequestContext::advance() {
  if (finished_) return;
  auto self = shared_from_this();
  if (limit_hit_ != LimitHit::none) {
    if (!responded_) {
      respond(limit_hit_ == LimitHit::cpu
                  ? error_response(503,
                                   "Service Unavailable: the worker exceeded its CPU time "
                                   "limit\n")
                  : error_response(503,
                                   "Service Unavailable: the worker exceeded its memory "
                                   "limit\n"));
    }
    cut_stream(limit_hit_ == LimitHit::cpu ? "CPU time limit" : "memory limit");
    finish();
    return;
  }
  if (ready_ && !responded_) {
    HttpResponse response = std::move(*ready_);
    ready_.reset();
    if (body_stream_.IsEmpty() && piped_fetch_ == 0) {
      respond(std::move(response));
    } else {
      begin_streaming(std::move(response));
    }
  }
  if (!responded_ && timers_.empty() && !subrequests_running() &&
      !v8_isolate_->HasPendingBackgroundTasks() && shared_ == nullptr) {
    // Nothing left that could run JavaScript for this request (no timer, no subrequest): it can
    // never settle. (Work V8
    // runs in the background, an asynchronous WebAssembly compilation, ends in a task the loop
    // runs, and then every request on the isolate looks again: Runtime::run_posted_tasks.) On a
    // shared context the code of any request, one still to come included, may settle it: such a
    // request waits for its wall time instead.
    log::error(
        "the handler did not respond: its response promise is pending and no timer "
        "or subrequest is left to settle it",
        {{"script", script_.spec.name}, {"req", request_.id}});
    respond(error_response(500, "Internal Server Error: the handler did not respond\n"));
  }
  // Answered and nothing left that waitUntil may wait for: the end, which aborts the
  // subrequests still running and drops the timers.
  if (responded_ && ((timers_.empty() && fetches_.empty()) || wait_until_settled_) &&
      !streaming()) {
    finish();
  }
}

uint32_t RequestContext::set_timer(v8::Local<v8::Function> callback,
                                   std::vector<v8::Local<v8::Value>> arguments, double delay_ms,
                                   bool repeat) {
  const uint32_t id = next_timer_id_++;
  Timer& timer = timers_[id];
  timer.timer = std::make_unique<boost::asio::steady_timer>(loop_);
  timer.callback.Reset(v8_isolate_, callback);
  for (v8::Local<v8::Value> argument : arguments) {
    timer.arguments.emplace_back(v8_isolate_, argument);
  }
  // Clamped to the wall limit (nothing runs past it anyway); intervals of 0 would spin.
  const double clamped = std::min<double>(delay_ms, limits_.wall_ms);
  timer.interval = std::chrono::milliseconds(static_cast<int64_t>(clamped));
  if (repeat && timer.interval.count() == 0) timer.interval = std::chrono::milliseconds(1);
  timer.repeat = repeat;
  arm_timer(id);
  return id;
}

void RequestContext::arm_timer(uint32_t id) {
  Timer& timer = timers_.at(id);
  timer.timer->expires_after(timer.interval);
  timer.timer->async_wait([weak = weak_from_this(), id](const boost::system::error_code& error) {
    if (error) return;  // cancelled by clearTimeout or by the end of the request
    if (auto request = weak.lock()) request->on_timer(id);
  });
}

void RequestContext::clear_timer(uint32_t id) {
  timers_.erase(id);
}

void RequestContext::on_timer(uint32_t id) {
  if (finished_ || timers_.find(id) == timers_.end()) return;
  in_turn([id](RequestContext& request) { request.fire_timer(id); });
}

void RequestContext::fire_timer(uint32_t id) {
  if (finished_ || timers_.find(id) == timers_.end()) return;
  bool repeat = false;
  run_slice(false, [this, id, &repeat](v8::Local<v8::Context> context) {
    auto it = timers_.find(id);
    v8::Local<v8::Function> callback = it->second.callback.Get(v8_isolate_);
    std::vector<v8::Local<v8::Value>> argv;
    for (const auto& argument : it->second.arguments) argv.push_back(argument.Get(v8_isolate_));
    repeat = it->second.repeat;
    // A one-shot timer is gone before its callback runs, so the callback (and advance())
    // no longer count it as pending.
    if (!repeat) timers_.erase(it);
    return !callback->Call(context, context->Global(), static_cast<int>(argv.size()), argv.data())
                .IsEmpty();
  });
  if (repeat && !finished_ && timers_.count(id) != 0) arm_timer(id);
  advance();
}

void RequestContext::on_wall_timeout() {
  if (finished_) return;
  auto self = shared_from_this();
  if (!responded_) {
    log::warn("wall time limit exceeded",
              {{"script", script_.spec.name}, {"req", request_.id}, {"wall_ms", limits_.wall_ms}});
    respond(error_response(504, "Gateway Timeout: the worker exceeded its wall time limit\n"));
  }
  cut_stream("wall time limit");
  finish();
}

void RequestContext::console_message(log::Level level, std::string_view text) {
  const size_t room = begin_console_line(text.size());
  if (room > 0) {
    std::string line(text);
    cut_utf8(line, room);
    log::write(level, line, {{"script", script_.spec.name}, {"req", request_.id}});
  }
  end_console_line();
}

size_t RequestContext::console_room() const {
  if (console_cap_ != ConsoleCap::open || console_lines_ >= limits_.console_lines) return 0;
  return static_cast<size_t>(limits_.console_bytes - console_bytes_);
}

size_t RequestContext::begin_console_line(size_t bytes) {
  if (console_cap_ != ConsoleCap::open) return 0;
  const size_t room = console_room();
  if (console_lines_ >= limits_.console_lines || (room == 0 && bytes > 0)) {
    console_cap_ = ConsoleCap::reached;
    return 0;
  }
  const size_t allowed = std::min(bytes, room);
  if (allowed < bytes) console_cap_ = ConsoleCap::reached;
  console_bytes_ += allowed;
  ++console_lines_;
  // An empty line still takes a line: an empty console.log() writes one.
  return std::max<size_t>(allowed, 1);
}

void RequestContext::end_console_line() {
  if (console_cap_ != ConsoleCap::reached) return;
  console_cap_ = ConsoleCap::announced;
  log::warn(
      "console output truncated: the request reached its share of the log; the rest of its "
      "console output and error reports is dropped",
      {{"script", script_.spec.name},
       {"req", request_.id},
       {"console_bytes", limits_.console_bytes},
       {"console_lines", limits_.console_lines}});
}

HttpResponse RequestContext::error_response(uint16_t status, std::string_view body) const {
  HttpResponse response;
  response.id = request_.id;
  response.status = status;
  response.headers.emplace_back("content-type", "text/plain;charset=UTF-8");
  response.body = body;
  return response;
}

void RequestContext::respond(HttpResponse response) {
  if (responded_) return;
  responded_ = true;
  response.id = request_.id;
  sink_->respond(std::move(response));
}

void RequestContext::finish() {
  if (finished_) return;
  cut_stream("the request ended");
  finished_ = true;
  wall_timer_.cancel();
  in_turn([](RequestContext& request) {
    request.release_v8_state();
    if (request.finished_callback_) {
      Finished finished = std::move(request.finished_callback_);
      request.finished_callback_ = nullptr;
      finished(request);
    }
  });
}

void RequestContext::abandon() {
  finished_callback_ = nullptr;
  finished_ = true;
  IsolateTurn turn(isolate_);  // free: the runtime stopped the spare maker first
  release_v8_state();
}

void RequestContext::release_v8_state() {
  if (released_) return;
  released_ = true;
  if (request_started_) {
    request_started_ = false;
    const limits::LimitVerdict verdict = enforcer_.request_ended(budget_);
    if (verdict != limits::LimitVerdict::within_limits) {
      log::warn("request stopped at a limit",
                {{"script", script_.spec.name},
                 {"req", request_.id},
                 {"limit", limits::limit_verdict_name(verdict)},
                 {"cpu_us", static_cast<int64_t>(budget_.cpu_used().count() / 1000)}});
    }
  }
  wall_timer_.cancel();
  timers_.clear();
  abort_fetches();
  if (shared_ != nullptr) {
    leave_shared_context();
  } else if (!context_.IsEmpty()) {
    v8::HandleScope handle_scope(v8_isolate_);
    v8::Local<v8::Context> context = context_.Get(v8_isolate_);
    JsHost::attach(context, nullptr);
    isolate_.retire_microtask_queue(context, std::move(microtasks_));
  }
  response_promise_.Reset();
  unhandled_rejections_.clear();
  body_stream_.Reset();
  pump_js_.Reset();
  wait_until_.Reset();
  internal_.Reset();
  modules_.clear();
  context_.Reset();
  microtasks_.reset();
  queue_ = nullptr;
}

}  // namespace wsup::worker

#include "worker/runtime.h"

#include <pthread.h>

#include <algorithm>
#include <string_view>

#include <v8-initialization.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/cluster_config.h"
#include "shared/log.h"
#include "worker/baked_context.h"
#include "worker/isolate_pool.h"
#include "worker/request_context.h"
#include "worker/script_preparation.h"
#include "worker/startup_error.h"
#include "worker/startup_snapshot.h"
#include "worker/wasm_memory_budget.h"
#include "worker/web/web_platform.h"

namespace wsup::worker {
RuntimeOptions RuntimeOptions::from_config(const config::ClusterConfig& config) {
  RuntimeOptions options;
  for (const config::Script& script : config.scripts) {
    ScriptSpec spec{script.name, script.path, script.module, script.vars, script.secrets};
    spec.allow_eval = script.allow_eval.value_or(config.allow_eval);
    spec.compatibility_flags = script.compatibility_flags;
    spec.compatibility_date = script.compatibility_date;
    spec.snapshot = script.snapshot;
    spec.warm_up = script.warm_up;
    spec.isolation = script.isolation;
    spec.recycle_requests = script.recycle.requests;
    // Half the heap by default: recycled well before the heap limit fails its requests.
    spec.recycle_heap_mib = script.recycle.heap_mib.value_or(config.limits.heap_mib / 2);
    options.scripts.push_back(std::move(spec));
  }
  options.isolates = config.isolates_per_worker == 0 ? 1 : config.isolates_per_worker;
  // More than its ring's slots can never be taken at once.
  options.concurrency =
      std::max<size_t>(1, std::min<size_t>(config.concurrency_per_worker, config.ring_slots));
  options.limits.cpu_ms = config.limits.cpu_ms;
  options.limits.heap_mib = config.limits.heap_mib;
  options.limits.wall_ms = config.limits.wall_ms;
  options.limits.console_bytes = config.limits.console_bytes;
  options.limits.console_lines = config.limits.console_lines;
  options.limits.cpu_hard_ms = config.limits.cpu_hard_ms;
  options.limits.startup_cpu_ms = config.limits.startup_cpu_ms;
  options.limits.subrequests = config.limits.subrequests;
  options.limits.concurrent_subrequests = config.limits.concurrent_subrequests;
  options.egress = egress::ClientOptions::from_config(config);
  options.bench_no_js = config.bench_no_js;
  options.webassembly = config.webassembly;
  options.user_agent = config.user_agent;
  options.spare_contexts = !config.bench_no_js;  // no request ever reaches an isolate
  return options;
}

Runtime::Runtime(boost::asio::io_context& loop, RuntimeOptions options)
    : loop_(loop), options_(std::move(options)), watchdog_(watchdog_options()) {
  if (options_.isolates == 0) throw StartupError("isolates per worker must be at least 1");
  for (size_t i = 0; i < options_.scripts.size(); ++i) {
    if (!script_by_name_.emplace(options_.scripts[i].name, i).second) {
      throw StartupError("two scripts are named \"" + options_.scripts[i].name + "\"");
    }
  }
  // Before the scripts' top levels run (the snapshot builder's child is told it too).
  web::set_user_agent(options_.user_agent);
  PreparedScripts prepared = prepare_scripts(options_, nullptr);
  scripts_ = std::move(prepared.scripts);
  baked_context_ = prepared.base;
  log_preparation(prepared);
  snapshot_ = prepared.build.snapshot;
  if (options_.egress && !options_.bench_no_js) {
    try {
      http_client_ = std::make_unique<egress::HttpClient>(loop_, *options_.egress);
    } catch (const std::runtime_error& error) {
      throw StartupError(error.what());  // outbound.ca_bundle cannot be loaded
    }
  }
  IsolateSettings settings;
  settings.snapshot = snapshot_;
  settings.heap_bytes = size_t{options_.limits.heap_mib} << 20;
  settings.array_buffer_bytes = settings.heap_bytes;
  settings.on_fatal = options_.on_fatal;
  settings.on_fatal_data = options_.on_fatal_data;
  std::function<void(WorkerIsolate&)> on_maker_done;
  if (options_.spare_contexts) {
    // On the maker's thread: only the isolate's address crosses to the loop, which checks it is
    // still in the pool before touching it.
    on_maker_done = [this, alive = std::weak_ptr<Runtime*>(alive_)](WorkerIsolate& isolate) {
      boost::asio::post(loop_, [alive, isolate = &isolate] {
        if (auto runtime = alive.lock()) (**runtime).on_maker_done(isolate);
      });
    };
  }
  // On the posting thread (a V8 background thread, or this one): the tasks run on the loop.
  auto on_tasks_posted = [this, alive = std::weak_ptr<Runtime*>(alive_)](WorkerIsolate& isolate,
                                                                         double delay_s) {
    auto run = [alive, isolate = &isolate] {
      if (auto runtime = alive.lock()) (**runtime).run_posted_tasks(isolate);
    };
    if (delay_s <= 0) return boost::asio::post(loop_, std::move(run));
    boost::asio::post(loop_, [this, alive, run = std::move(run), delay_s] {
      if (!alive.lock()) return;
      auto timer = std::make_shared<boost::asio::steady_timer>(
          loop_, std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                     std::chrono::duration<double>(delay_s)));
      timer->async_wait([timer, run](const boost::system::error_code& error) {
        if (!error) run();
      });
    });
  };
  pool_ = std::make_unique<IsolatePool>(scripts_, settings, options_.isolates,
                                        std::move(on_maker_done), std::move(on_tasks_posted));
}

void Runtime::log_preparation(const PreparedScripts& prepared) const {
  if (prepared.webassembly && !options_.webassembly) {
    log::info("WebAssembly is on: a script mentions it (cluster.yaml webassembly: auto)");
  }
  if (baked_context_ != BakedContext::plain) {
    log::info("requests start from a snapshot context with web APIs the scripts name already built",
              {{"context", std::string(to_string(baked_context_))}});
  }
  for (const ScriptConsoleLine& line : prepared.build.console) {
    log::write(line.level, line.text,
               {{"script", scripts_[line.script].spec.name}, {"at", "global scope"}});
  }
  const ScriptSnapshot& snapshot = *prepared.build.snapshot;
  for (size_t i = 0; i < scripts_.size(); ++i) {
    const ScriptStart& start = snapshot.start(i);
    if (!start.fallback_reason.empty()) {
      log::warn("the script's top level is evaluated in every request: it cannot be snapshotted",
                {{"script", scripts_[i].spec.name}, {"reason", start.fallback_reason}});
    }
    if (!start.warm_up_failure.empty()) {
      log::warn("the script's snapshot was taken without its warm-up requests",
                {{"script", scripts_[i].spec.name}, {"reason", start.warm_up_failure}});
    }
  }
  if (snapshot.built()) {
    log::info("scripts' snapshot built",
              {{"bytes", snapshot.blob_size()},
               {"ms", static_cast<int64_t>(prepared.build_ns / 1'000'000)}});
  }
}

Runtime::~Runtime() {
  // What a lost isolate left is never freed: V8 holds that isolate locked on a stranded thread,
  // and the requests' handles belong to it. (A worker that lost one ends with _Exit and does not
  // come here; a runtime that does lets it go unfreed.)
  for (Lost& lost : lost_) {
    [[maybe_unused]] WorkerIsolate* isolate = lost.isolate.release();
    [[maybe_unused]] auto* requests = lost.requests.release();
  }
  // The maker first: afterwards every isolate is free for the loop thread to drop contexts in.
  pool_->stop_maker();
  for (auto& [raw, request] : running_) request->abandon();
  running_.clear();
  finished_.clear();
  waiting_.clear();
  waiting_work_.reset();
  pool_.reset();
}

void Runtime::handle(HttpRequest request, std::shared_ptr<ResponseSink> sink) {
  if (options_.bench_no_js) {
    // The same bytes as config/examples/hello.js answers, so the two runs differ only by the JS.
    HttpResponse response;
    response.id = request.id;
    response.status = 200;
    response.headers.emplace_back("content-type", "text/plain; charset=utf-8");
    response.body = "Hello from wsup\n";
    ++served_;
    sink->respond(std::move(response));
    return;
  }
  auto script = script_by_name_.find(request.script);
  if (script == script_by_name_.end()) {
    log::error("request names no configured script",
               {{"req", request.id}, {"script", request.script}});
    HttpResponse response;
    response.id = request.id;
    response.status = 500;
    response.headers.emplace_back("content-type", "text/plain;charset=UTF-8");
    response.body = "Internal Server Error: no script named \"" + request.script + "\"\n";
    sink->respond(std::move(response));
    return;
  }
  if (waiting_.empty() && running_.size() < options_.concurrency &&
      start(script->second, request, sink)) {
    return;
  }
  waiting_.push_back(Waiting{std::move(request), std::move(sink)});
  keep_loop_busy_while_waiting();
}

bool Runtime::start(size_t script_index, HttpRequest& request,
                    std::shared_ptr<ResponseSink>& sink) {
  std::optional<size_t> chosen = pool_->choose(snapshot_->context_key(script_index));
  if (!chosen) return false;
  WorkerIsolate& isolate = pool_->at(*chosen);
  isolate.set_spare_script(script_index);
  // A counting sink would cost an allocation per request; served_ counts at the end instead.
  auto context = std::make_shared<RequestContext>(
      loop_, isolate, script_index, scripts_[script_index], options_.limits, enforcer_,
      http_client_.get(), std::move(request), std::move(sink),
      [this](RequestContext& finished) { on_finished(finished); });
  isolate.add_live_request();
  running_.emplace(context.get(), context);
  {
    // V8's queued tasks for this isolate run before each request (and before each spare).
    IsolateTurn turn(isolate);
    if (turn.held()) isolate.run_pending_tasks();
  }
  context->start();
  return true;
}

void Runtime::on_finished(RequestContext& request) {
  ++served_;
  times_.context_ns += request.context_ns();
  times_.script_ns += request.script_ns();
  times_.spare_hits += request.started_in_spare() ? 1 : 0;
  ++times_.requests;
  WorkerIsolate& isolate = request.isolate();
  isolate.remove_live_request();
  auto node = running_.extract(&request);
  if (!node.empty()) {
    finished_.push_back(std::move(node.mapped()));
    post(&Runtime::bury_finished);
  }
  if (request.isolate_must_be_replaced() && !isolate.condemned()) condemn(isolate);
  if (isolate.condemned() && isolate.live_requests() == 0) post(&Runtime::replace_condemned);
  // Started from the loop, not from this stack, so a long queue cannot recurse deeply.
  if (!waiting_.empty()) post(&Runtime::start_next_waiting);
  if (on_room_) post(&Runtime::announce_room);
}

void Runtime::condemn(WorkerIsolate& isolate) {
  log::warn("replacing an isolate that reached its heap limit",
            {{"live_requests", static_cast<int64_t>(isolate.live_requests())}});
  isolate.condemn();
  std::vector<std::shared_ptr<RequestContext>> victims;
  for (auto& [raw, request] : running_) {
    if (&request->isolate() == &isolate) victims.push_back(request);
  }
  // Each ends in a turn on the isolate (nested in the caller's), which calls on_finished.
  for (auto& victim : victims) victim->fail_isolate_condemned();
}

void Runtime::replace_condemned() {
  for (size_t i = 0; i < pool_->size(); ++i) {
    WorkerIsolate& isolate = pool_->at(i);
    if (!isolate.condemned() || isolate.live_requests() != 0) continue;
    // False while the maker holds it: its let-go (on_maker_done) brings us back.
    if (pool_->replace(i)) ++isolates_replaced_;
  }
  if (!waiting_.empty()) start_next_waiting();
}

void Runtime::on_maker_done(WorkerIsolate* isolate) {
  for (size_t i = 0; i < pool_->size(); ++i) {
    if (&pool_->at(i) != isolate) continue;
    if (isolate->condemned() && isolate->live_requests() == 0) return replace_condemned();
    isolate->run_deferred();
    if (!waiting_.empty()) start_next_waiting();
    return;
  }
}

void Runtime::run_posted_tasks(WorkerIsolate* isolate) {
  for (size_t i = 0; i < pool_->size(); ++i) {
    if (&pool_->at(i) != isolate) continue;
    IsolateTurn turn(*isolate);
    if (!turn.held()) {
      // The maker has it; it runs pending tasks itself first, and the rest come with this.
      isolate->defer([this, isolate] { run_posted_tasks(isolate); });
      return;
    }
    isolate->run_pending_tasks();
    // A task may have settled a promise of some request's context (WebAssembly.compile): its
    // reactions wait in that context's own microtask queue, so each request on the isolate
    // drains its queue, in a slice charged to it.
    std::vector<std::shared_ptr<RequestContext>> live;
    for (auto& [raw, request] : running_) {
      if (&request->isolate() == isolate) live.push_back(request);
    }
    // Every request on the isolate looks: none needs to wake the others on its context.
    for (auto& request : live) request->run_microtasks(false);
    return;
  }
}

void Runtime::announce_room() {
  if (on_room_ && has_room()) on_room_();
}

void Runtime::post(void (Runtime::*member)()) {
  boost::asio::post(loop_, [alive = std::weak_ptr<Runtime*>(alive_), member] {
    if (auto runtime = alive.lock()) ((**runtime).*member)();
  });
}

void Runtime::keep_loop_busy_while_waiting() {
  if (waiting_.empty()) {
    waiting_work_.reset();
  } else if (!waiting_work_) {
    waiting_work_.emplace(loop_.get_executor());
  }
}

void Runtime::start_next_waiting() {
  while (!waiting_.empty() && running_.size() < options_.concurrency) {
    // Out of the queue before start() runs JavaScript: were the thread stranded in there, the
    // queue must not still hold a request whose parts were moved into a RequestContext.
    Waiting next = std::move(waiting_.front());
    waiting_.pop_front();
    // handle() looked the script up already.
    const size_t script = script_by_name_.at(next.request.script);
    if (!start(script, next.request, next.sink)) {  // every isolate is being replaced
      waiting_.push_front(std::move(next));
      return;
    }
    keep_loop_busy_while_waiting();
  }
}

limits::CpuWatchdogOptions Runtime::watchdog_options() {
  limits::CpuWatchdogOptions watchdog;
  if (!options_.on_cpu_stuck) return watchdog;
  // On the watchdog's thread, the loop thread stuck: only atomics of the loop thread are read.
  watchdog.on_stuck = [on_stuck = options_.on_cpu_stuck,
                       hard_ms =
                           options_.limits.cpu_hard_ms_or_auto()](std::chrono::nanoseconds cpu) {
    on_stuck("kind=cpu_hard_limit req=" + std::to_string(RequestContext::slice_request_id()) +
             " slice_cpu_ms=" + std::to_string(cpu.count() / 1'000'000) +
             " cpu_hard_ms=" + std::to_string(hard_ms) +
             ": JavaScript ran past its hard CPU limit inside a built-in V8 does not interrupt");
  };
  return watchdog;
}

void Runtime::take_over_loop_thread() {
  watchdog_.take_over(::pthread_self());
}

void Runtime::isolate_lost(v8::Isolate* isolate, std::string_view reason) {
  RequestContext* culprit = RequestContext::in_slice();
  RequestContext::clear_in_slice();  // the stranded thread never left that slice
  Lost lost;
  lost.isolate = pool_->replace_lost(isolate);
  if (!lost.isolate) {
    log::error("V8 gave up on an isolate the runtime does not hold; its place was refilled",
               {{"reason", std::string(reason)}});
  } else {
    for (auto it = running_.begin(); it != running_.end();) {
      if (&it->second->isolate() != lost.isolate.get()) {
        ++it;
        continue;
      }
      RequestContext& request = *it->second;
      request.fail_isolate_lost(&request == culprit);
      lost.requests->push_back(std::move(it->second));
      it = running_.erase(it);
    }
    log::error(
        "isolate lost: V8 could not go on with it (its thread is stranded, not the worker); "
        "its requests got 503 and a fresh isolate took its place",
        {{"reason", std::string(reason)},
         {"req", culprit != nullptr && &culprit->isolate() == lost.isolate.get()
                     ? static_cast<int64_t>(culprit->id())
                     : int64_t{0}},
         {"requests", lost.requests->size()}});
    lost_.push_back(std::move(lost));
  }
  ++isolates_lost_;
  if (isolates_lost_ == pool_->size() && on_replacement_due_) {
    log::warn("this worker lost as many isolates as it runs; it asks to be replaced",
              {{"isolates_lost", isolates_lost_}});
    on_replacement_due_(std::to_string(isolates_lost_) +
                        " isolates lost, the last: " + std::string(reason));
  }
  if (!waiting_.empty()) post(&Runtime::start_next_waiting);
  if (on_room_) post(&Runtime::announce_room);
}

RuntimeTimes Runtime::times() const {
  RuntimeTimes times = times_;
  times.spare_context_ns = pool_->spare_context_ns();
  return times;
}

RuntimeStats Runtime::stats(bool full_gc) {
  RuntimeStats stats;
  stats.isolates = pool_->size();
  stats.running = running_.size();
  stats.waiting = waiting_.size();
  stats.served = served_;
  stats.isolates_replaced = isolates_replaced_;
  stats.isolates_lost = isolates_lost_;
  for (size_t i = 0; i < pool_->size(); ++i) {
    WorkerIsolate& isolate = pool_->at(i);
    {
      // An isolate the maker holds reports its last figures: waiting for it would make this
      // thread wait on the maker's Locker, which the holder word exists to prevent.
      IsolateTurn turn(isolate);
      if (turn.held()) {
        if (full_gc && isolate.live_requests() == 0) isolate.collect_garbage();
        isolate.isolate()->GetHeapStatistics(&isolate.last_report().heap);
        isolate.last_report().retired_microtask_queues = isolate.retired_microtask_queues();
      }
    }
    WorkerIsolate::Report& report = isolate.last_report();  // V8's getters are not const
    stats.heap_used_bytes += report.heap.used_heap_size();
    stats.native_contexts += report.heap.number_of_native_contexts();
    stats.detached_contexts += report.heap.number_of_detached_contexts();
    stats.retired_microtask_queues += report.retired_microtask_queues;
    stats.spare_contexts += isolate.has_spare_context() ? 1 : 0;
  }
  return stats;
}

}  // namespace wsup::worker

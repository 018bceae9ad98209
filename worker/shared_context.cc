#include "worker/shared_context.h"

#include <algorithm>
#include <cstdint>

#include "worker/request_context.h"

namespace wsup::worker {
namespace {

void throw_ended(v8::Isolate* isolate) {
  isolate->ThrowException(v8::Exception::TypeError(v8::String::NewFromUtf8Literal(
      isolate, "The request this code belongs to has ended: it can no longer set timers.")));
}

}  // namespace

SharedContext::SharedContext(v8::Isolate* isolate, v8::Local<v8::Context> context,
                             std::unique_ptr<v8::MicrotaskQueue> queue, std::string script_name,
                             uint64_t generation)
    : isolate_(isolate),
      queue_(std::move(queue)),
      context_(isolate, context),
      script_name_(std::move(script_name)),
      generation_(generation) {
  JsHost::attach(context, this);
}

SharedContext::~SharedContext() {
  if (context_.IsEmpty()) return;
  v8::HandleScope scope(isolate_);
  JsHost::attach(context_.Get(isolate_), nullptr);
}

void SharedContext::set_evaluated(v8::Local<v8::Object> internal, v8::Local<v8::Value> entry) {
  internal_.Reset(isolate_, internal);
  entry_.Reset(isolate_, entry);
}

void SharedContext::attach(RequestContext& request) {
  requests_[request.id()] = &request;
}

void SharedContext::detach(RequestContext& request) {
  requests_.erase(request.id());
}

std::vector<std::shared_ptr<RequestContext>> SharedContext::requests_besides(
    const RequestContext& request) {
  std::vector<std::shared_ptr<RequestContext>> others;
  for (auto& [id, other] : requests_) {
    if (other != &request) others.push_back(other->shared_from_this());
  }
  return others;
}

void SharedContext::set_current(uint64_t request_id) {
  // A Number (not an External): a reaction that runs after its request ended finds no request
  // under the id, rather than a dangling pointer.
  context()->SetContinuationPreservedEmbedderData(
      v8::Number::New(isolate_, static_cast<double>(request_id)));
}

RequestContext* SharedContext::current() const {
  v8::Local<v8::Value> data = context()->GetContinuationPreservedEmbedderData();
  if (!data->IsNumber()) return nullptr;
  auto found = requests_.find(static_cast<uint64_t>(data.As<v8::Number>()->Value()));
  return found == requests_.end() ? nullptr : found->second;
}

uint32_t SharedContext::set_timer(v8::Local<v8::Function> callback,
                                  std::vector<v8::Local<v8::Value>> arguments, double delay_ms,
                                  bool repeat) {
  if (RequestContext* request = current()) {
    return request->set_timer(callback, std::move(arguments), delay_ms, repeat);
  }
  throw_ended(isolate_);
  return 0;
}

void SharedContext::clear_timer(uint32_t id) {
  if (RequestContext* request = current()) request->clear_timer(id);
}

void SharedContext::console_message(log::Level level, std::string_view text) {
  if (RequestContext* request = current()) return request->console_message(level, text);
  // Code of a request that has ended (a reaction that ran late): the script's log still.
  log::write(level, text, {{"script", script_name_}, {"req", "ended"}});
}

// The running request's share of the log, so console.* converts a huge argument only up to it
// (as in a request's own context); an ended request's late output is not capped.
size_t SharedContext::console_room() const {
  if (RequestContext* request = current()) return request->console_room();
  return SIZE_MAX;
}

bool SharedContext::response_body_chunk(std::string_view bytes) {
  RequestContext* request = current();
  return request != nullptr && request->response_body_chunk(bytes);
}

void SharedContext::response_body_end() {
  if (RequestContext* request = current()) request->response_body_end();
}

void SharedContext::response_body_error(v8::Local<v8::Value> error) {
  if (RequestContext* request = current()) request->response_body_error(error);
}

// A rejection is reported by the request whose code rejected the promise (or added the late
// handler); one whose request has ended is not reported.
void SharedContext::promise_rejected_unhandled(v8::Local<v8::Promise> promise,
                                               v8::Local<v8::Value> reason) {
  if (RequestContext* request = current()) request->promise_rejected_unhandled(promise, reason);
}

void SharedContext::promise_handled_late(v8::Local<v8::Promise> promise) {
  if (RequestContext* request = current()) request->promise_handled_late(promise);
}

uint32_t SharedContext::fetch_start(egress::SubrequestSpec spec, v8::Local<v8::Object> handlers,
                                    std::string& refusal) {
  if (RequestContext* request = current()) {
    return request->fetch_start(std::move(spec), handlers, refusal);
  }
  refusal = "The request this code belongs to has ended: it can no longer make subrequests.";
  return 0;
}

// A subrequest's id is its request's: each of these reaches it only while the code that holds
// the id runs for that request.
void SharedContext::fetch_resume(uint32_t id) {
  if (RequestContext* request = current()) request->fetch_resume(id);
}

void SharedContext::fetch_abort(uint32_t id) {
  if (RequestContext* request = current()) request->fetch_abort(id);
}

void SharedContext::fetch_write(uint32_t id, std::string chunk) {
  if (RequestContext* request = current()) request->fetch_write(id, std::move(chunk));
}

void SharedContext::fetch_end_body(uint32_t id) {
  if (RequestContext* request = current()) request->fetch_end_body(id);
}

SharedContext* SharedContexts::current(size_t script) {
  for (Entry& entry : contexts_) {
    if (entry.script == script && !entry.context->retired()) return entry.context.get();
  }
  return nullptr;
}

uint64_t SharedContexts::next_generation(size_t script) {
  return ++generations_[script];
}

SharedContext& SharedContexts::install(size_t script, std::unique_ptr<SharedContext> context) {
  if (SharedContext* before = current(script)) before->retire();
  contexts_.push_back(Entry{script, std::move(context)});
  return *contexts_.back().context;
}

SharedContexts::Dropped SharedContexts::drop_if_done(SharedContext& context) {
  Dropped dropped;
  if (!context.retired() || context.live_requests() != 0) return dropped;
  auto found = std::find_if(contexts_.begin(), contexts_.end(),
                            [&](const Entry& entry) { return entry.context.get() == &context; });
  if (found == contexts_.end()) return dropped;
  dropped.context.Reset(context.isolate(), context.context());
  dropped.queue = context.release_microtasks();
  contexts_.erase(found);
  return dropped;
}

}  // namespace wsup::worker

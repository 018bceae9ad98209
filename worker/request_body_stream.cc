// RequestContext, part three: a response whose body is a ReadableStream. The head goes to the
// sink at once; response_body.js's pump reads the stream and hands each chunk to
// response_body_chunk (a native, in the request's slice), which passes it through the
// ResponseBodyPump to the sink; when the sink is full the pump waits, and on_sink_ready resumes
// it. A client that goes away cancels the stream (its source's cancel() runs). A fetched body
// sent on untouched feeds the same pump from C++ instead (request_fetch_pipe.cc). Lifecycle and
// slices are in request_context.cc, the script and the Response in request_script.cc.
#include "worker/isolate_pool.h"
#include "worker/js_values.h"
#include "worker/request_context.h"

namespace wsup::worker {

void RequestContext::begin_streaming(HttpResponse head) {
  responded_ = true;
  head.id = request_.id;
  sink_->on_ready = [weak = weak_from_this()] {
    if (auto request = weak.lock()) {
      request->in_turn([](RequestContext& self) { self.on_sink_ready(); });
    }
  };
  sink_->on_cancel = [weak = weak_from_this()] {
    if (auto request = weak.lock()) {
      request->in_turn([](RequestContext& self) { self.on_sink_cancel(); });
    }
  };
  // A fetched body sent on untouched keeps the upstream's Content-Length (chunked when it had
  // none, or when wsup's egress client decoded it), as workerd sends it.
  if (piped_fetch_ != 0) body_length_ = piped_length();
  sink_->begin(std::move(head), body_length_);
  pump_ = std::make_unique<ResponseBodyPump>(*sink_);
  if (piped_fetch_ != 0) return begin_piping();
  run_slice(false, [this](v8::Local<v8::Context> context) {
    v8::Local<v8::Object> internal = internal_.Get(v8_isolate_);
    v8::Local<v8::Value> start;
    v8::Local<v8::Value> stream = body_stream_.Get(v8_isolate_);
    body_stream_.Reset();
    v8::Local<v8::Value> pump;
    if (!internal->Get(context, v8::String::NewFromUtf8Literal(v8_isolate_, "pumpResponseBody"))
             .ToLocal(&start) ||
        !start.As<v8::Function>()
             ->Call(context, v8::Undefined(v8_isolate_), 1, &stream)
             .ToLocal(&pump) ||
        !pump->IsObject()) {
      return false;
    }
    pump_js_.Reset(v8_isolate_, pump.As<v8::Object>());
    return true;
  });
  if (pump_js_.IsEmpty()) cut_stream("its body stream could not be read");
}

bool RequestContext::response_body_chunk(std::string_view bytes) {
  if (!pump_) return false;
  const bool more = pump_->push(bytes);
  pump_paused_ = !more;
  return more;
}

void RequestContext::response_body_end() {
  if (pump_) pump_->close();
}

void RequestContext::response_body_error(v8::Local<v8::Value> error) {
  log_js_error("the response body stream failed", v8_isolate_->GetCurrentContext(), error, {});
  // What the stream gave before its error still reaches the client, then the body breaks off.
  cut_stream("its body stream failed", CutHeld::send);
}

void RequestContext::on_sink_ready() {
  if (finished_ || !pump_) return;
  pump_->flush();
  if (pump_paused_ && pump_->room() && !pump_->done()) {
    pump_paused_ = false;
    resume_body_source();
  }
  advance();
}

void RequestContext::on_sink_cancel() {
  if (finished_ || !streaming()) return;
  log::info("the client went away during the response body: its stream is cancelled",
            {{"script", script_.spec.name}, {"req", request_.id}});
  call_pump("cancel");
  if (piped_fetch_ != 0) drop_fetch(piped_fetch_);
  if (pump_) pump_->abort();
  advance();
}

void RequestContext::call_pump(const char* name) {
  if (pump_js_.IsEmpty() || context_.IsEmpty()) return;
  run_slice(false, [this, name](v8::Local<v8::Context> context) {
    v8::Local<v8::Object> pump = pump_js_.Get(v8_isolate_);
    v8::Local<v8::Value> method;
    return pump->Get(context, v8_string(v8_isolate_, name)).ToLocal(&method) &&
           method->IsFunction() &&
           !method.As<v8::Function>()->Call(context, pump, 0, nullptr).IsEmpty();
  });
}

void RequestContext::cut_stream(std::string_view why, CutHeld held) {
  if (!streaming()) return;
  log::warn("the response body was cut off", {{"script", script_.spec.name},
                                              {"req", request_.id},
                                              {"why", std::string(why)},
                                              {"bytes", static_cast<int64_t>(pump_->bytes())}});
  if (held == CutHeld::send)
    pump_->fail();
  else
    pump_->abort();
  // A subrequest feeding the answer has nowhere to send its body now (its entry stays: the
  // request's end releases it, so no waiting subrequest starts from here).
  auto piped = fetches_.find(piped_fetch_);
  if (piped != fetches_.end()) piped->second.subrequest.abort();
}

}  // namespace wsup::worker

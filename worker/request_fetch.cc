// RequestContext, part four: fetch(). fetch.js builds the Request and calls fetch_start (a
// native, in the request's slice); the request's SubrequestBudget admits it (now, or when a
// running one ends) and the worker's HttpClient runs it on the loop. Like a pending timer, a
// pending subrequest keeps the request alive and holds no isolate: each of the client's
// callbacks arrives on the loop outside any JavaScript, takes a turn on the request's isolate
// and calls fetch.js's handler in a slice of the request (its CPU charged to the request), then
// advance() looks at what that settled. The request's end aborts what is still running.
// Lifecycle and slices are in request_context.cc.
#include <charconv>
#include <cstring>

#include <boost/asio/post.hpp>

#include "config/cluster_config.h"
#include "worker/isolate_pool.h"
#include "worker/js_values.h"
#include "worker/request_context.h"

namespace wsup::worker {
namespace {

bool call_method(v8::Local<v8::Context> context, v8::Local<v8::Object> object, const char* name,
                 std::vector<v8::Local<v8::Value>> argv, v8::Local<v8::Value>* result = nullptr) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Value> method;
  v8::Local<v8::Value> value;
  if (!object->Get(context, v8_string(isolate, name)).ToLocal(&method) || !method->IsFunction() ||
      !method.As<v8::Function>()
           ->Call(context, object, static_cast<int>(argv.size()), argv.data())
           .ToLocal(&value)) {
    return false;
  }
  if (result != nullptr) *result = value;
  return true;
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// The response headers fetch() shows. When the client undid the Content-Encoding, the headers
// that describe the encoded bytes go: a Response handed on as it is (`return fetch(request)`)
// must not announce gzip over bytes that are no longer gzip, and wsup does not encode again.
v8::Local<v8::Array> head_headers(v8::Isolate* isolate, const egress::ResponseHead& head) {
  std::vector<v8::Local<v8::Value>> flat;
  flat.reserve(head.headers.size() * 2);
  for (const auto& [name, value] : head.headers) {
    if (!head.decoded_from.empty() &&
        (same_name(name, "content-encoding") || same_name(name, "content-length"))) {
      continue;
    }
    flat.push_back(v8_string(isolate, name));
    flat.push_back(v8_string(isolate, value));
  }
  return v8::Array::New(isolate, flat.data(), flat.size());
}

}  // namespace

uint32_t RequestContext::incoming_hops() const {
  for (const auto& [name, value] : request_.headers) {
    if (!same_name(name, config::kHopHeader)) continue;
    uint32_t hops = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), hops);
    return error == std::errc() && end == value.data() + value.size() ? hops : 0;
  }
  return 0;
}

uint32_t RequestContext::fetch_start(egress::SubrequestSpec spec, v8::Local<v8::Object> handlers,
                                     std::string& refusal) {
  if (http_client_ == nullptr) {
    refusal = "fetch() is not available: this runtime was started without an outbound client";
    return 0;
  }
  if (finished_) {
    refusal = "fetch() after the request ended";
    return 0;
  }
  spec.incoming_hops = incoming_hops();
  const uint32_t id = next_fetch_id_++;
  Fetch& fetch = fetches_[id];
  fetch.spec = std::move(spec);
  fetch.handlers.Reset(v8_isolate_, handlers);
  // The start function runs now, or later from the release of another ticket of this budget
  // (which lives in this object): `this` is alive whenever it runs.
  egress::SubrequestBudget::Ticket ticket =
      subrequest_budget_.admit([this, id] { start_fetch(id); });
  if (ticket.refused()) {
    fetches_.erase(id);
    refusal = subrequest_budget_.refusal_message();
    return 0;
  }
  fetches_.at(id).ticket = std::move(ticket);
  return id;
}

void RequestContext::start_fetch(uint32_t id) {
  auto it = fetches_.find(id);
  if (finished_ || it == fetches_.end() || !it->second.spec) return;
  egress::SubrequestSpec spec = std::move(*it->second.spec);
  it->second.spec.reset();
  // Never calls back from inside: the entry is complete before any callback comes.
  it->second.subrequest = http_client_->fetch(std::move(spec), fetch_callbacks(id));
}

egress::SubrequestCallbacks RequestContext::fetch_callbacks(uint32_t id) {
  // Each callback holds a weak reference: a request that ended meanwhile is skipped (its end
  // aborted the subrequest anyway, so nothing follows).
  std::weak_ptr<RequestContext> weak = weak_from_this();
  egress::SubrequestCallbacks callbacks;
  callbacks.on_head = [weak, id](egress::ResponseHead head) {
    auto request = weak.lock();
    if (!request) return;
    if (auto it = request->fetches_.find(id); it != request->fetches_.end()) {
      it->second.head_came = true;
      it->second.length = head.length;
    }
    request->in_turn([id, head = std::move(head)](RequestContext& self) {
      self.deliver_fetch(
          id, false, [&](v8::Local<v8::Context> context, v8::Local<v8::Object> handlers) {
            v8::Isolate* isolate = context->GetIsolate();
            return call_method(
                context, handlers, "head",
                {v8::Integer::New(isolate, head.status), v8_string(isolate, head.status_text),
                 head_headers(isolate, head), v8_string(isolate, head.url),
                 v8::Boolean::New(isolate, head.redirected)});
          });
    });
  };
  callbacks.on_body = [weak, id](std::string_view chunk) {
    if (auto request = weak.lock()) request->fetch_body(id, chunk);
  };
  callbacks.on_end = [weak, id] {
    if (auto request = weak.lock()) request->fetch_over(id, std::nullopt);
  };
  callbacks.on_error = [weak, id](egress::FetchError error) {
    if (auto request = weak.lock()) request->fetch_over(id, std::move(error.message));
  };
  callbacks.on_request_body_ready = [weak, id] {
    if (auto request = weak.lock()) {
      request->in_turn([id](RequestContext& self) {
        self.deliver_fetch(id, false,
                           [](v8::Local<v8::Context> context, v8::Local<v8::Object> handlers) {
                             return call_method(context, handlers, "bodyReady", {});
                           });
      });
    }
  };
  return callbacks;
}

void RequestContext::fetch_body(uint32_t id, std::string_view chunk) {
  auto it = fetches_.find(id);
  if (finished_ || it == fetches_.end()) return;
  Fetch& fetch = it->second;
  switch (fetch.route) {
    case BodyRoute::held:
      // Nobody asked for the body yet: keep this chunk and read nothing more until someone does.
      fetch.held.append(chunk);
      fetch.subrequest.pause();
      return;
    case BodyRoute::response:
      return pipe_chunk(fetch, chunk);
    case BodyRoute::script:
      // The chunk is valid during this call only, and the turn may be deferred.
      in_turn(
          [id, bytes = std::string(chunk)](RequestContext& self) { self.deliver_body(id, bytes); });
      return;
  }
}

void RequestContext::fetch_over(uint32_t id, std::optional<std::string> error) {
  auto it = fetches_.find(id);
  if (finished_ || it == fetches_.end()) return;
  Fetch& fetch = it->second;
  switch (fetch.head_came ? fetch.route : BodyRoute::script) {
    case BodyRoute::held:
      // Told to the script when it opens the body (release_held); the place in the budget
      // frees now, as the subrequest is over.
      fetch.held_over = true;
      fetch.held_error = std::move(error);
      fetch.ticket.release();
      return;
    case BodyRoute::response:
      pipe_over(id, std::move(error));
      return advance();
    case BodyRoute::script:
      in_turn([id, error = std::move(error)](RequestContext& self) mutable {
        self.deliver_over(id, std::move(error));
      });
      return;
  }
}

bool RequestContext::deliver_body(uint32_t id, const std::string& bytes) {
  bool more = true;
  if (auto it = fetches_.find(id); it != fetches_.end()) it->second.pulled = false;
  deliver_fetch(id, false, [&](v8::Local<v8::Context> context, v8::Local<v8::Object> handlers) {
    v8::Isolate* isolate = context->GetIsolate();
    v8::Local<v8::Uint8Array> array;
    if (!new_uint8_array(isolate, bytes.size()).ToLocal(&array)) return false;
    if (!bytes.empty()) std::memcpy(uint8_array_data(array), bytes.data(), bytes.size());
    v8::Local<v8::Value> result;
    if (!call_method(context, handlers, "body", {array}, &result)) return false;
    more = !result->IsFalse();
    return true;
  });
  // No read is waiting for more: read nothing more until the stream's pull().
  auto it = fetches_.find(id);
  if (it == fetches_.end() || more || it->second.pulled) return true;
  it->second.subrequest.pause();
  return false;
}

void RequestContext::deliver_over(uint32_t id, std::optional<std::string> error) {
  deliver_fetch(id, true, [&](v8::Local<v8::Context> context, v8::Local<v8::Object> handlers) {
    if (!error) return call_method(context, handlers, "end", {});
    return call_method(context, handlers, "error", {v8_string(context->GetIsolate(), *error)});
  });
}

void RequestContext::release_held(uint32_t id) {
  auto it = fetches_.find(id);
  if (finished_ || it == fetches_.end()) return;
  std::string held = std::move(it->second.held);
  it->second.held.clear();
  const bool over = it->second.held_over;
  std::optional<std::string> error = std::move(it->second.held_error);
  const bool more = held.empty() || deliver_body(id, held);
  if (over) return deliver_over(id, std::move(error));
  it = fetches_.find(id);  // the script may have cancelled meanwhile
  if (more && it != fetches_.end()) it->second.subrequest.resume();
}

bool RequestContext::subrequests_running() const {
  // A held end still on its way to the script (release_held) will run its JavaScript.
  for (const auto& [id, fetch] : fetches_) {
    if (!fetch.held_over || fetch.route != BodyRoute::held) return true;
  }
  return false;
}

void RequestContext::deliver_fetch(uint32_t id, bool last, const FetchCall& call) {
  if (finished_ || context_.IsEmpty()) return;
  auto it = fetches_.find(id);
  if (it == fetches_.end()) return;  // aborted meanwhile
  v8::HandleScope handle_scope(v8_isolate_);
  v8::Local<v8::Object> handlers = it->second.handlers.Get(v8_isolate_);
  // The subrequest is over: its place in the budget goes to the next one before its handler
  // runs, as the request's JavaScript would see it.
  if (last) drop_fetch(id);
  run_slice(false, [&](v8::Local<v8::Context> context) { return call(context, handlers); });
  advance();
}

void RequestContext::drop_fetch(uint32_t id) {
  auto it = fetches_.find(id);
  if (it == fetches_.end()) return;
  Fetch fetch = std::move(it->second);
  fetches_.erase(it);
  fetch.subrequest.abort();  // nothing more is called back (a no-op when it ended)
  fetch.ticket.release();    // may start a waiting one: the map is consistent again
}

void RequestContext::fetch_resume(uint32_t id) {
  auto it = fetches_.find(id);
  if (it == fetches_.end()) return;
  Fetch& fetch = it->second;
  if (fetch.route == BodyRoute::script) {
    fetch.pulled = true;
    return fetch.subrequest.resume();
  }
  if (fetch.route != BodyRoute::held) return;  // the runtime sends it: no reader to feed
  // The script's first read of the body: what was held goes to its stream, in a turn of its own
  // (this runs inside the stream's pull(), in the request's slice).
  fetch.route = BodyRoute::script;
  boost::asio::post(loop_, [weak = weak_from_this(), id] {
    if (auto request = weak.lock()) {
      request->in_turn([id](RequestContext& self) { self.release_held(id); });
    }
  });
}

void RequestContext::fetch_abort(uint32_t id) {
  drop_fetch(id);
  // The script aborted a subrequest whose body the runtime sends: the answer breaks off.
  if (id == piped_fetch_) cut_stream("its subrequest was aborted");
}

void RequestContext::fetch_write(uint32_t id, std::string chunk) {
  auto it = fetches_.find(id);
  if (it != fetches_.end()) it->second.subrequest.write_body(std::move(chunk));
}

void RequestContext::fetch_end_body(uint32_t id) {
  auto it = fetches_.find(id);
  if (it != fetches_.end()) it->second.subrequest.end_body();
}

void RequestContext::abort_fetches() {
  // finished_ is set, so start_fetch starts none of those the releases below let go.
  std::map<uint32_t, Fetch> fetches = std::move(fetches_);
  fetches_.clear();
  for (auto& [id, fetch] : fetches) fetch.subrequest.abort();
}

}  // namespace wsup::worker

// RequestContext, part five: a fetched body sent on as the answer's (`return fetch(request)`,
// `new Response(upstream.body, upstream)`). serializeResponse gave the subrequest's id instead of
// a stream (worker/api/body.js: a fetched body nobody opened, or whose stream nobody read or
// locked); the head has gone to the sink and its chunks now go from the client's callbacks
// through the ResponseBodyPump to the sink, in C++ on the loop: no JavaScript, no turn on the
// isolate per chunk. Backpressure is the JS pump's: a pump without room pauses the subrequest
// (it reads nothing more from its socket) and on_sink_ready resumes it. A subrequest that fails
// mid-body ends the answer abruptly after what came before, as a failing stream does. Its
// head keeps the upstream's Content-Length when the body comes as the upstream framed it
// (begin_streaming); one that breaks off short of it is cut, which the supervisor ends by
// closing the connection.
#include "worker/request_context.h"

namespace wsup::worker {

void RequestContext::begin_piping() {
  auto it = fetches_.find(piped_fetch_);
  if (it == fetches_.end()) {
    // Aborted between the script's return and now (its request's end, a limit).
    cut_stream("its subrequest was aborted");
    return;
  }
  Fetch& fetch = it->second;
  fetch.route = BodyRoute::response;
  http_client_->count_passthrough();
  std::string held = std::move(fetch.held);
  fetch.held.clear();
  if (fetch.held_over) {
    std::optional<std::string> error = std::move(fetch.held_error);
    if (!held.empty()) pump_->push(held);
    return pipe_over(piped_fetch_, std::move(error));  // advance(), our caller, ends it
  }
  if (!held.empty()) pipe_chunk(fetch, held);
  if (!pump_paused_) fetch.subrequest.resume();
}

std::optional<uint64_t> RequestContext::piped_length() const {
  auto it = fetches_.find(piped_fetch_);
  return it == fetches_.end() ? std::nullopt : it->second.length;
}

void RequestContext::pipe_chunk(Fetch& fetch, std::string_view chunk) {
  if (!streaming()) return;  // cut off meanwhile; the request's end aborts the subrequest
  if (!pump_->push(chunk)) {
    // The pump holds a chunk the sink has not taken: read nothing more until on_sink_ready.
    pump_paused_ = true;
    fetch.subrequest.pause();
  }
}

void RequestContext::pipe_over(uint32_t id, std::optional<std::string> error) {
  drop_fetch(id);
  if (error) {
    log::warn("the subrequest whose body is the response failed",
              {{"script", script_.spec.name}, {"req", request_.id}, {"error", *error}});
    // What came before the failure still reaches the client, then the body breaks off.
    cut_stream("its subrequest failed", CutHeld::send);
  } else if (pump_) {
    pump_->close();
  }
}

void RequestContext::resume_body_source() {
  if (piped_fetch_ == 0) return call_pump("resume");
  auto it = fetches_.find(piped_fetch_);
  if (it != fetches_.end()) it->second.subrequest.resume();
}

}  // namespace wsup::worker

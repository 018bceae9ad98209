#include "worker/channel_response_sink.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "shared/log.h"

namespace wsup::worker {

ChannelResponseSink::ChannelResponseSink(WorkerChannel& channel, uint64_t request_id, Defer defer,
                                         std::function<void()> finished)
    : channel_(channel),
      request_id_(request_id),
      defer_(std::move(defer)),
      finished_(std::move(finished)) {}

void ChannelResponseSink::respond(HttpResponse response) {
  if (phase_ != Phase::fresh) return ignored("response");
  auto self = shared_from_this();  // finish() may drop every other reference
  response.id = request_id_;
  RespondStatus status = channel_.respond(response);
  if (status == RespondStatus::ok) return finish();
  if (status == RespondStatus::too_large) {
    // More than one record: a head that declares the length, then the body chunk by chunk.
    std::string body = std::move(response.body);
    response.body.clear();
    status = channel_.begin(response, body.size());
    if (status == RespondStatus::ok) {
      phase_ = Phase::streaming;
      pending_ = std::move(body);
      end_asked_ = false;
      return;
    }
  }
  went_out(status, "response");
}

void ChannelResponseSink::begin(HttpResponse head, std::optional<uint64_t> length) {
  if (phase_ != Phase::fresh) return ignored("response head");
  auto self = shared_from_this();
  runtime_streams_ = true;
  head.id = request_id_;
  head.body.clear();
  const RespondStatus status = channel_.begin(head, length);
  if (status == RespondStatus::ok)
    phase_ = Phase::streaming;
  else
    went_out(status, "response head");
}

bool ChannelResponseSink::ready() const {
  return phase_ == Phase::streaming && !end_asked_ && pending_.empty() &&
         channel_.has_turn(request_id_);
}

void ChannelResponseSink::write(std::string chunk) {
  if (phase_ != Phase::streaming || end_asked_) return;  // cancelled or ended: nobody reads it
  auto self = shared_from_this();
  // Only while ready() by contract; a chunk written early is queued behind the rest, not lost.
  if (pending_.empty())
    pending_ = std::move(chunk);
  else
    pending_.append(chunk);
  pump();
}

void ChannelResponseSink::end(bool aborted) {
  if (phase_ != Phase::streaming || end_asked_) return;
  auto self = shared_from_this();
  end_asked_ = aborted;
  if (aborted) {
    pending_.clear();  // a body that broke off: what is left of it no longer matters
    pending_at_ = 0;
  }
  pump();
}

size_t ChannelResponseSink::max_chunk_bytes() const {
  return channel_.max_chunk_bytes();
}

void ChannelResponseSink::released() {
  auto self = shared_from_this();
  if (!pump() || !runtime_streams_ || !on_ready) return;
  auto ready = on_ready;  // a copy: the runtime may replace or clear it from inside the call
  ready();
}

void ChannelResponseSink::cancelled() {
  if (phase_ == Phase::finished) return;
  auto self = shared_from_this();
  cancelled_ = true;
  finish();
  if (auto cancel = on_cancel) cancel();  // a copy, as in released()
}

bool ChannelResponseSink::pump() {
  if (phase_ != Phase::streaming || !channel_.has_turn(request_id_)) return false;
  if (pending_at_ < pending_.size()) {
    const size_t n = std::min(channel_.max_chunk_bytes(), pending_.size() - pending_at_);
    const RespondStatus status =
        channel_.write(request_id_, std::string_view(pending_).substr(pending_at_, n));
    if (status != RespondStatus::ok) {
      went_out(status, "response chunk");
      return false;
    }
    pending_at_ += n;
    if (pending_at_ == pending_.size()) {
      pending_.clear();
      pending_at_ = 0;
    }
    return false;  // the next piece waits for this one's release
  }
  if (!end_asked_) return true;
  went_out(channel_.end(request_id_, *end_asked_), "response end");
  return false;
}

void ChannelResponseSink::went_out(RespondStatus status, const char* what) {
  switch (status) {
    case RespondStatus::ok:
      if (phase_ != Phase::streaming || end_asked_) finish();  // the last record went out
      return;
    case RespondStatus::cancelled:
      // Abandoned while we wrote: the channel reports the cancel (cancelled()) once it has
      // answered it.
      phase_ = Phase::closing;
      pending_.clear();
      return;
    case RespondStatus::too_large:
      // Headers past one record: the channel answered the supervisor with an error instead.
      log::warn("response headers do not fit one record; the client gets 502",
                {{"req", request_id_}, {"limit_bytes", channel_.max_record_bytes()}});
      break;
    case RespondStatus::unknown_request:
    case RespondStatus::not_your_turn:
      log::error("the channel refused a response record",
                 {{"req", request_id_}, {"what", what}, {"status", to_string(status)}});
      break;
  }
  finish();
  if (runtime_streams_ && on_cancel && defer_) {
    // Nobody will read the rest: let the runtime stop its stream (never from inside its call).
    defer_([self = shared_from_this()] {
      if (auto cancel = self->on_cancel) cancel();
    });
  }
}

void ChannelResponseSink::ignored(const char* what) const {
  // An answer that comes after a cancel is the normal end of a race; anything else is a bug.
  if (!cancelled_)
    log::warn("second answer to a request ignored", {{"req", request_id_}, {"what", what}});
}

void ChannelResponseSink::finish() {
  if (phase_ == Phase::finished) return;
  phase_ = Phase::finished;
  pending_.clear();
  pending_at_ = 0;
  if (auto finished = std::move(finished_)) finished();
}

}  // namespace wsup::worker

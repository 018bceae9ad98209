// SubrequestRun, the request body's half: a bytes body in slices, a streamed body chunk by
// chunk as the caller supplies it (one chunk on its way at a time: the caller hears
// on_request_body_ready when it may write the next), the end of the body.
#include <boost/asio/post.hpp>

#include "worker/egress/network_error.h"
#include "worker/egress/subrequest_run.h"

namespace wsup::worker::egress {
namespace asio = boost::asio;

namespace {
constexpr size_t kBytesSlice = 64 * 1024;  // a bytes body goes out in slices of this
}  // namespace

void SubrequestRun::on_head_written(const boost::beast::error_code& error) {
  if (request_ending_) return on_final_write(error);
  if (error) return on_write_failed(error);
  if (body_.kind == RequestBody::Kind::bytes) return send_next_bytes();
  body_ready_ = true;
  if (end_requested_) return end_body();
  if (callbacks_.on_request_body_ready) callbacks_.on_request_body_ready();
}

void SubrequestRun::send_next_bytes() {
  std::string_view rest = std::string_view(body_.bytes).substr(bytes_sent_);
  auto on_written = [self = shared_from_this(),
                     generation = generation_](const boost::beast::error_code& error) {
    if (!self->current(generation)) return;
    if (self->request_ending_) return self->on_final_write(error);
    if (error) return self->on_write_failed(error);
    self->send_next_bytes();
  };
  if (rest.empty()) {
    request_ending_ = true;
    return exchange_->finish_body(std::move(on_written));
  }
  rest = rest.substr(0, kBytesSlice);
  bytes_sent_ += rest.size();
  exchange_->write_body(rest, std::move(on_written));
}

bool SubrequestRun::write_body(std::string chunk) {
  if (finished_ || !body_ready_ || writing_ || end_requested_ ||
      body_.kind != RequestBody::Kind::stream)
    return false;
  if (body_.length && bytes_sent_ + chunk.size() > *body_.length) {
    asio::post(core_->loop, [self = shared_from_this(), generation = generation_] {
      if (self->current(generation))
        self->fail(FetchError::Kind::invalid_request,
                   "the request body is longer than its stated length of " +
                       std::to_string(*self->body_.length) + " bytes");
    });
    body_ready_ = false;
    return true;
  }
  body_ready_ = false;
  writing_ = true;
  bytes_sent_ += chunk.size();
  chunk_ = std::move(chunk);
  auto on_written = [self = shared_from_this(),
                     generation = generation_](const boost::beast::error_code& error) {
    if (self->current(generation)) self->on_body_written(error);
  };
  if (chunk_.empty())  // an empty chunk would end a chunked body: nothing to write
    asio::post(core_->loop, [on_written] { on_written({}); });
  else
    exchange_->write_body(chunk_, std::move(on_written));
  return true;
}

void SubrequestRun::on_body_written(const boost::beast::error_code& error) {
  writing_ = false;
  if (error) return on_write_failed(error);
  if (end_requested_) return end_body();
  body_ready_ = true;
  if (callbacks_.on_request_body_ready) callbacks_.on_request_body_ready();
}

void SubrequestRun::end_body() {
  if (finished_ || body_.kind != RequestBody::Kind::stream) return;
  end_requested_ = true;
  if (writing_ || !exchange_ || exchange_->request_written() || write_failed_) return;
  if (!body_ready_) return;  // the head is not out yet: on_head_written comes back here
  body_ready_ = false;
  if (body_.length && bytes_sent_ != *body_.length) {
    asio::post(core_->loop, [self = shared_from_this(), generation = generation_] {
      if (self->current(generation))
        self->fail(FetchError::Kind::invalid_request,
                   "the request body ended after " + std::to_string(self->bytes_sent_) +
                       " of its stated " + std::to_string(*self->body_.length) + " bytes");
    });
    return;
  }
  request_ending_ = true;
  exchange_->finish_body(
      [self = shared_from_this(), generation = generation_](const boost::beast::error_code& error) {
        if (self->current(generation)) self->on_final_write(error);
      });
}

// The request's last write is done. A response that was complete before this (its completion
// may run first even though the upstream answered after reading the body) ends now, so the
// connection is back in the pool before on_end.
void SubrequestRun::on_final_write(const boost::beast::error_code& error) {
  if (error) on_write_failed(error);
  if (end_after_write_) complete();
}

// The upstream may have answered and closed without reading the whole body (a 413, say): the
// read side decides; if no answer comes, the read fails too, or the timer ends it.
void SubrequestRun::on_write_failed(const boost::beast::error_code& error) {
  write_failed_ = true;
  body_ready_ = false;
  write_error_ = describe_network_error(error);
}

}  // namespace wsup::worker::egress

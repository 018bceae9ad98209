// HttpConnection's response side: settlements into bytes on the socket, whole or streamed, with
// the no-progress write deadline, and the access-log line of each answered request.
#include <algorithm>
#include <array>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/require.hpp>
#include <boost/beast/core/buffers_suffix.hpp>

#include "shared/log.h"
#include "supervisor/http_connection.h"
#include "supervisor/http_date.h"

namespace wsup::supervisor {
namespace {

using Clock = Dispatcher::Clock;
namespace beast = boost::beast;

}  // namespace

void HttpConnection::on_settled(DispatchResult result) {
  note_.worker = result.worker;
  if (result.outcome == Outcome::client_gone || phase_ != Phase::waiting) {
    if (result.stream) result.stream->cancel();
    note_.status = 499;  // nginx's "client closed request": logged, nothing is sent
    finish_request();
    return close();
  }
  if (result.outcome != Outcome::response) return answer(answer_for(result.outcome));
  note_.staged = true;
  note_.submitted = result.submitted;
  note_.answered = result.answered;
  note_.resumed = Clock::now();
  if (result.stream) return start_stream(result.response, std::move(result.stream));
  HttpResponse& response = result.response;
  write_response(response.status, response.headers, std::move(response.body), false);
}

void HttpConnection::answer(const FrontAnswer& answer) {
  HeaderList headers = {{"Content-Type", "text/plain; charset=utf-8"}};
  if (answer.retry_after) headers.emplace_back("Retry-After", "1");
  write_response(answer.status, headers, std::string(answer.body), answer.close);
}

void HttpConnection::write_response(int status, const HeaderList& headers, std::string body,
                                    bool close) {
  close_after_ = close || !keep_alive_ || live_.stopping || peer_closed_;
  Framing framing{close_after_, http10_ && !close_after_, false};
  framing_ = BodyFraming::none;
  note_.status = status;
  std::string head = response_head(status, headers, body.size(), framing, http_date_now());
  if (!sends_body(status, head_request_)) body.clear();
  send(std::move(head), std::move(body), {}, &HttpConnection::on_response_written);
}

void HttpConnection::send(std::string prefix, std::string body, std::string_view suffix,
                          void (HttpConnection::*then)()) {
  out_prefix_ = std::move(prefix);
  out_body_ = std::move(body);
  out_suffix_ = suffix;
  out_written_ = 0;
  after_write_ = then;
  phase_ = Phase::writing;
  write_some();
}

void HttpConnection::write_some() {
  // No progress for `write` ends it; each piece the socket takes moves the deadline on.
  Clock::time_point deadline = Clock::now() + context_.timeouts.write_timeout;
  if (stream_) deadline = std::min(deadline, wall_deadline_);
  set_deadline(deadline);
  std::array<asio::const_buffer, 3> all = {asio::buffer(out_prefix_), asio::buffer(out_body_),
                                           asio::buffer(out_suffix_.data(), out_suffix_.size())};
  beast::buffers_suffix<std::array<asio::const_buffer, 3>> rest(all);
  rest.consume(out_written_);
  socket_.async_write_some(rest, [self = shared_from_this()](beast::error_code ec, size_t bytes) {
    self->on_wrote_some(ec, bytes);
  });
}

void HttpConnection::on_wrote_some(beast::error_code ec, size_t bytes) {
  if (phase_ == Phase::closed) return;
  // The body's bytes among the ones written: those past the prefix, up to the body's end.
  auto body_part = [&](size_t written) {
    return std::min(std::max(written, out_prefix_.size()) - out_prefix_.size(), out_body_.size());
  };
  const size_t before = body_part(out_written_);
  out_written_ += bytes;
  note_.body_bytes += body_part(out_written_) - before;
  if (ec) return cut("client_gone", 499);
  if (out_written_ < out_prefix_.size() + out_body_.size() + out_suffix_.size())
    return write_some();
  out_prefix_.clear();
  out_body_ = std::string();  // a large body's memory goes now, not with the next response
  out_suffix_ = {};
  (this->*after_write_)();
}

void HttpConnection::on_response_written() {
  finish_request();
  if (close_after_) return linger();
  begin_request();
  parse();  // a pipelined request may be buffered already
}

void HttpConnection::start_stream(const HttpResponse& head,
                                  std::shared_ptr<ResponseStream> stream) {
  stream_ = std::move(stream);
  close_after_ = !keep_alive_ || live_.stopping || peer_closed_;
  const std::optional<uint64_t> length = stream_->length();
  std::optional<uint64_t> content_length;
  Framing framing;
  if (!sends_body(head.status, head_request_)) {
    framing_ = BodyFraming::none;
    if (head_request_) content_length = length;  // what a GET would have carried, when known
  } else if (length) {
    framing_ = BodyFraming::length;
    stream_left_ = *length;
    content_length = length;
  } else if (http10_) {
    framing_ = BodyFraming::until_close;  // HTTP/1.0 has no chunked coding
    close_after_ = true;
  } else {
    framing_ = BodyFraming::chunked;
    framing.chunked = true;
  }
  framing.close = close_after_;
  framing.keep_alive_10 = http10_ && !close_after_;
  note_.status = head.status;
  send(response_head(head.status, head.headers, content_length, framing, http_date_now()), {}, {},
       &HttpConnection::on_stream_head_written);
}

void HttpConnection::on_stream_head_written() {
  note_.head_written = Clock::now();
  if (framing_ == BodyFraming::none) {
    stream_->cancel();  // no body goes to this client: the worker stops producing it
    stream_.reset();
    return on_response_written();
  }
  stream_->release();
  next_chunk();
}

void HttpConnection::next_chunk() {
  phase_ = Phase::streaming;
  // A client that closed its side meanwhile is gone (no read is in flight to notice it later).
  if (peer_closed_) return cut("client_gone", 499);
  set_deadline(wall_deadline_);
  for (;;) {
    auto executor = asio::require(io_.get_executor(), asio::execution::outstanding_work.tracked);
    ResponseStream::Next next = stream_->take_or_wait([self = shared_from_this(), executor] {
      // On the worker's reader thread: continue on this connection's own.
      asio::post(executor, [self] {
        if (self->phase_ == Phase::streaming && self->stream_) self->next_chunk();
      });
    });
    switch (next.kind) {
      case ResponseStream::Next::Kind::nothing:
        return;  // woken when the worker's next record arrives
      case ResponseStream::Next::Kind::end:
        if (next.aborted)
          return cut(next.why, std::string_view(next.why) == "shutdown" ? 503 : 502);
        if (framing_ == BodyFraming::length && stream_left_ != 0)
          return cut("length_mismatch", 502);  // ended short of its declared length
        stream_.reset();
        if (framing_ == BodyFraming::chunked)
          return send({}, {}, kLastChunk, &HttpConnection::on_response_written);
        if (framing_ == BodyFraming::length)
          return send({}, std::move(held_byte_), {}, &HttpConnection::on_response_written);
        return on_response_written();  // until_close: close_after_ is set
      case ResponseStream::Next::Kind::chunk:
        break;
    }
    if (next.chunk.empty()) {
      stream_->release();  // an empty chunk would end a chunked body: nothing to write
      continue;
    }
    const size_t size = next.chunk.size();
    switch (framing_) {
      case BodyFraming::length:
        // Not one byte past the declared length: the client then sees the body end short.
        if (size > stream_left_) return cut("length_mismatch", 502);
        stream_left_ -= size;
        if (stream_left_ == 0) {
          // The body's last byte waits for the worker's end: should it send more instead,
          // the client must not have seen a complete body.
          held_byte_.assign(1, next.chunk.back());
          next.chunk.pop_back();
        }
        return send({}, std::move(next.chunk), {}, &HttpConnection::on_chunk_written);
      case BodyFraming::chunked:
        return send(chunk_size_line(size), std::move(next.chunk), kChunkEnd,
                    &HttpConnection::on_chunk_written);
      case BodyFraming::until_close:
      case BodyFraming::none:
        return send({}, std::move(next.chunk), {}, &HttpConnection::on_chunk_written);
    }
  }
}

void HttpConnection::on_chunk_written() {
  stream_->release();  // on the socket: the worker may send the next
  next_chunk();
}

void HttpConnection::cut(const char* why, int status) {
  if (phase_ == Phase::closed) return;
  if (stream_) {
    stream_->cancel();
    stream_.reset();
  }
  note_.sent_status = note_.status;
  note_.status = status;
  note_.cut = why;
  finish_request();
  if (framing_ == BodyFraming::until_close) {
    // A body ended by closing looks complete on a clean close: reset the connection instead.
    boost::system::error_code ignored;
    socket_.set_option(asio::socket_base::linger(true, 0), ignored);
  }
  close();
}

void HttpConnection::linger() {
  // Closing with unread input would reset the connection and could destroy the response on its
  // way to the client: stop sending, then drop what still arrives until EOF or linger time.
  if (peer_closed_) return close();
  phase_ = Phase::closing;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  buffer_.consume(buffer_.size());
  set_deadline(Clock::now() + context_.timeouts.linger_timeout);
  read_more();
}

void HttpConnection::finish_request() {
  if (note_.id == 0) return;
  const Clock::time_point written = Clock::now();
  auto latency = std::chrono::duration_cast<std::chrono::microseconds>(written - note_.start);
  // A streamed response's stages end when its head is out; its body may take minutes.
  const Clock::time_point answered_out =
      note_.head_written != Clock::time_point{} ? note_.head_written : written;
  if (note_.staged)
    context_.metrics.record_stages({note_.dispatched - note_.start,
                                    note_.submitted - note_.dispatched,
                                    note_.answered - note_.submitted,
                                    note_.resumed - note_.answered, answered_out - note_.resumed});
  context_.metrics.record_request(note_.script, note_.worker, note_.status, latency);
  AccessRecord record;
  record.time = std::chrono::system_clock::now();
  record.request_id = note_.id;
  record.remote = remote_;
  record.method = note_.method;
  record.target = note_.target;
  record.version = note_.version;
  record.status = note_.status;
  record.body_bytes = note_.body_bytes;
  record.duration = latency;
  record.script = note_.script;
  record.worker = note_.worker;
  record.cut = note_.cut;
  record.sent_status = note_.sent_status;
  context_.access_log.write(record);
  note_.id = 0;  // logged once
}

}  // namespace wsup::supervisor

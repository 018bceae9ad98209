#include "worker/egress/upstream_exchange.h"

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace wsup::worker::egress {
namespace http = boost::beast::http;
using boost::beast::error_code;

UpstreamExchange::UpstreamExchange(UpstreamConnection& connection, RequestHead head)
    : connection_(connection), serializer_(request_) {
  request_.version(11);
  request_.method_string(head.method);
  request_.target(head.target);
  for (auto& [name, value] : head.headers) request_.insert(name, value);
  head_request_ = head.method == "HEAD";
  switch (head.framing) {
    case Framing::none:
      break;
    case Framing::length:
      request_.content_length(head.length);
      break;
    case Framing::chunked:
      request_.chunked(true);
      break;
  }
  request_.body().data = nullptr;
  request_.body().size = 0;
  // A body of length 0 is no body to write: the head is the whole request.
  request_.body().more =
      head.framing == Framing::chunked || (head.framing == Framing::length && head.length > 0);
  new_parser();
}

void UpstreamExchange::new_parser() {
  parser_ = std::make_unique<Parser>();
  parser_->header_limit(UpstreamConnection::kHeaderLimit);
  parser_->body_limit(boost::none);  // the reader's pace bounds what is held, not a size
  if (head_request_) parser_->skip(true);
}

void UpstreamExchange::write_head(Done done) {
  const bool whole = !request_.body().more;
  connection_.visit([&](auto& stream) {
    auto on_written = [this, whole, done = std::move(done)](error_code error, size_t) {
      if (!error && whole) request_written_ = true;
      done(error);
    };
    if (whole)
      http::async_write(stream, serializer_, std::move(on_written));
    else
      http::async_write_header(stream, serializer_, std::move(on_written));
  });
}

void UpstreamExchange::write_body(std::string_view chunk, Done done) {
  request_.body().data = const_cast<char*>(chunk.data());
  request_.body().size = chunk.size();
  request_.body().more = true;
  connection_.visit([&](auto& stream) {
    http::async_write(stream, serializer_, [done = std::move(done)](error_code error, size_t) {
      done(error == http::error::need_buffer ? error_code() : error);
    });
  });
}

void UpstreamExchange::finish_body(Done done) {
  request_.body().data = nullptr;
  request_.body().size = 0;
  request_.body().more = false;
  connection_.visit([&](auto& stream) {
    http::async_write(stream, serializer_,
                      [this, done = std::move(done)](error_code error, size_t) {
                        if (error == boost::asio::error::operation_aborted) return done(error);
                        if (!error) request_written_ = true;
                        done(error);
                      });
  });
}

void UpstreamExchange::read_head(Done done) {
  connection_.visit([&](auto& stream) {
    http::async_read_header(
        stream, connection_.read_buffer(), *parser_,
        [this, done = std::move(done)](error_code error, size_t) mutable {
          if (error == boost::asio::error::operation_aborted) return done(error);
          if (parser_->got_some()) got_response_bytes_ = true;
          if (error) return done(error);
          const unsigned status = parser_->get().result_int();
          if (status >= 100 && status < 200 && status != 101) {
            new_parser();  // 100 Continue, 103 Early Hints: the real answer follows
            return read_head(std::move(done));
          }
          done(error);
        });
  });
}

std::string_view UpstreamExchange::body_bytes_read(error_code& error, std::span<char> buffer) {
  if (error == boost::asio::error::operation_aborted) return {};
  if (error == http::error::need_buffer) error = {};
  // TLS without close_notify: the end of a body framed by the connection's end.
  if (error == boost::asio::ssl::error::stream_truncated && parser_->need_eof()) {
    error = {};
    parser_->put_eof(error);
  }
  return std::string_view(buffer.data(), buffer.size() - parser_->get().body().size);
}

std::optional<uint64_t> UpstreamExchange::body_length() const {
  const unsigned status = parser_->get().result_int();
  if (head_request_ || status == 204 || status == 304 || parser_->chunked()) return std::nullopt;
  const boost::optional<uint64_t> length = parser_->content_length();
  if (!length) return std::nullopt;
  return *length;
}

bool UpstreamExchange::reusable() const {
  return request_written_ && parser_->is_done() && parser_->keep_alive() &&
         connection_.read_buffer().size() == 0;
}

}  // namespace wsup::worker::egress

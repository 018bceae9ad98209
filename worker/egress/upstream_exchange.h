// One request and its response on an UpstreamConnection, with Boost.Beast's serializer and
// parser: the head, a body in the caller's chunks (Content-Length or chunked), the response head
// (interim 1xx answers skipped), then the response body a piece at a time into the connection's
// body buffer, only when asked: between two read_body calls nothing is read from the socket.
//
// Writing and reading may overlap (one write and one read outstanding), so an upstream that
// answers before it has read the whole request body is heard. Every completion runs on the
// connection's loop. Pending operations reference the exchange and its connection: whoever owns
// them keeps both alive until each `done` has run (closing the connection ends them).
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "shared/http_message.h"
#include "worker/egress/upstream_connection.h"

namespace wsup::worker::egress {

class UpstreamExchange {
 public:
  using Done = std::function<void(boost::beast::error_code)>;

  enum class Framing { none, length, chunked };
  struct RequestHead {
    std::string method;
    std::string target;
    HeaderList headers;  // complete: Host and every other field; no framing fields
    Framing framing = Framing::none;
    uint64_t length = 0;  // Framing::length
  };

  UpstreamExchange(UpstreamConnection& connection, RequestHead head);
  UpstreamExchange(const UpstreamExchange&) = delete;
  UpstreamExchange& operator=(const UpstreamExchange&) = delete;

  // The request head (with Framing::none or a length of 0 the whole request).
  void write_head(Done done);
  // The next piece of the body; `chunk` must stay valid until `done`. Never more bytes in all
  // than a Framing::length head announced (the caller counts).
  void write_body(std::string_view chunk, Done done);
  // The end of the body (the last chunk of a chunked body).
  void finish_body(Done done);
  bool request_written() const { return request_written_; }
  // write_head writes the whole request (no body, or a body of length 0).
  bool head_is_whole_request() const { return !request_.body().more; }

  void read_head(Done done);
  const boost::beast::http::response_header<>& response() const { return parser_->get().base(); }
  // Some body bytes (possibly none, while framing bytes are parsed); call only while
  // !body_done(). done(error_code, std::string_view bytes): `bytes` points into the
  // connection's body buffer, valid until the next read_body. A template, not a std::function:
  // it runs once per chunk, and the handler then lives in Asio's recycled operation memory.
  template <typename Handler>
  void read_body(Handler&& done) {
    std::span<char> buffer = connection_.body_buffer();
    parser_->get().body().data = buffer.data();
    parser_->get().body().size = buffer.size();
    connection_.visit([&](auto& stream) {
      boost::beast::http::async_read_some(stream, connection_.read_buffer(), *parser_,
                                          [this, buffer, done = std::forward<Handler>(done)](
                                              boost::beast::error_code error, size_t) mutable {
                                            std::string_view bytes = body_bytes_read(error, buffer);
                                            done(error, bytes);
                                          });
    });
  }
  bool body_done() const { return parser_->is_done(); }
  // After the head: the body's Content-Length, when the upstream framed it so (not chunked, not
  // ended by closing) and the answer has a body (not HEAD, 204 or 304).
  std::optional<uint64_t> body_length() const;
  // The upstream sent at least one byte of a response (a failure before that on a reused
  // connection may be retried on a new one).
  bool got_response_bytes() const { return got_response_bytes_; }
  // The connection may carry another exchange: the whole request went out, the whole response
  // came in, and neither side said close.
  bool reusable() const;

 private:
  using Parser = boost::beast::http::response_parser<boost::beast::http::buffer_body>;
  void new_parser();
  // After a body read: the bytes it put into `buffer`; clears the errors that are none
  // (need_buffer, TLS ending without close_notify where the connection's end ends the body).
  std::string_view body_bytes_read(boost::beast::error_code& error, std::span<char> buffer);

  UpstreamConnection& connection_;
  boost::beast::http::request<boost::beast::http::buffer_body> request_;
  boost::beast::http::request_serializer<boost::beast::http::buffer_body> serializer_;
  std::unique_ptr<Parser> parser_;
  bool head_request_ = false;
  bool request_written_ = false;
  bool got_response_bytes_ = false;
};

}  // namespace wsup::worker::egress

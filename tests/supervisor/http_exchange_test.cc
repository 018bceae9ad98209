// The front's I/O-free translations: request targets, response heads, the front's own answers.
#include "supervisor/http_exchange.h"

#include <gtest/gtest.h>

#include <boost/beast/http/error.hpp>

using namespace wsup;
using namespace wsup::supervisor;

TEST(HttpExchange, RouterSeesThePathOfOriginAndAbsoluteFormTargets) {
  EXPECT_EQ(request_path("/a/b?x=1"), "/a/b?x=1");
  EXPECT_EQ(request_path("http://example.com/a?x=1"), "/a?x=1");
  EXPECT_EQ(request_path("https://example.com"), "/");
}

TEST(HttpExchange, WorkerGetsAnAbsoluteUrlHeadersInOrderAndTheBody) {
  BeastRequest message{http::verb::post, "/p?q=1", 11};
  message.insert("Host", "example.com:8080");
  message.insert("X-Two", "a");
  message.insert("x-two", "b");
  message.body() = "payload";
  HttpRequest request = to_http_request(message, 7, "api");
  EXPECT_EQ(request.id, 7u);
  EXPECT_EQ(request.script, "api");
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://example.com:8080/p?q=1");
  ASSERT_EQ(request.headers.size(), 3u);
  EXPECT_EQ(request.headers[1], (std::pair<std::string, std::string>{"X-Two", "a"}));
  EXPECT_EQ(request.headers[2], (std::pair<std::string, std::string>{"x-two", "b"}));
  EXPECT_EQ(request.body, "payload");
}

TEST(HttpExchange, ResponseHeadHasTheScriptsHeadersAndTheFrontsFramingOnly) {
  HeaderList headers = {
      {"X-A", "1"},          {"content-length", "5"}, {"Transfer-Encoding", "x"},
      {"Keep-Alive", "t=1"}, {"X-Bad", "a\r\nb"},     {"X-Nul", std::string(1, '\0')}};
  EXPECT_EQ(response_head(201, headers, 12, {}),
            "HTTP/1.1 201 Created\r\nX-A: 1\r\nContent-Length: 12\r\n\r\n");
  EXPECT_EQ(response_head(200, {}, 0, {.close = true}),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(response_head(200, {}, 3, {.keep_alive_10 = true}),
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HttpExchange, BodilessStatusesGetNoContentLengthAndUnknownOnesNoReason) {
  EXPECT_EQ(response_head(204, {}, 0, {}), "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(response_head(304, {}, 0, {}), "HTTP/1.1 304 Not Modified\r\n\r\n");
  EXPECT_EQ(response_head(299, {}, 0, {}), "HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(sends_body(204, false));
  EXPECT_FALSE(sends_body(200, true));  // HEAD
  EXPECT_TRUE(sends_body(200, false));
}

TEST(HttpExchange, ParseErrorsMapTo431And413And400AndCloseTheConnection) {
  EXPECT_EQ(answer_for_parse_error(http::error::header_limit).status, 431);
  EXPECT_EQ(answer_for_parse_error(http::error::body_limit).status, 413);
  EXPECT_EQ(answer_for_parse_error(http::error::bad_chunk).status, 400);
  EXPECT_EQ(answer_for_parse_error(http::error::bad_method).status, 400);
  EXPECT_TRUE(answer_for_parse_error(http::error::bad_chunk).close);
}

TEST(HttpExchange, DispatchOutcomesMapToTheirStatuses) {
  EXPECT_EQ(answer_for(Outcome::worker_died).status, 502);
  EXPECT_EQ(answer_for(Outcome::overloaded).status, 503);
  EXPECT_TRUE(answer_for(Outcome::overloaded).retry_after);
  EXPECT_EQ(answer_for(Outcome::no_worker).status, 503);
  EXPECT_TRUE(answer_for(Outcome::shutting_down).close);
  EXPECT_EQ(answer_for(Outcome::timed_out).status, 504);
  EXPECT_EQ(answer_for(Outcome::too_large).status, 413);
}

TEST(HttpExchange, AStreamedHeadIsChunkedOrDeclaresItsLengthAndChunkSizesAreHex) {
  EXPECT_EQ(response_head(200, {{"a", "b"}}, std::nullopt, {.chunked = true}),
            "HTTP/1.1 200 OK\r\na: b\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(response_head(200, {}, 42, {.chunked = true}),  // a known length wins
            "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n");
  EXPECT_EQ(response_head(200, {}, std::nullopt, {.close = true}),  // HTTP/1.0: ended by closing
            "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(response_head(204, {}, std::nullopt, {.chunked = true}),
            "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(chunk_size_line(1), "1\r\n");
  EXPECT_EQ(chunk_size_line(131040), "1ffe0\r\n");
}

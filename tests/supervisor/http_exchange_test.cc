// The front's I/O-free translations: request heads checked, response heads, the front's own
// answers.
#include "supervisor/http_exchange.h"
#include "supervisor/http_date.h"

#include <gtest/gtest.h>

#include <boost/beast/http/error.hpp>

using namespace wsup;
using namespace wsup::supervisor;

TEST(HttpExchange, WorkerGetsTheHeadsFieldsInOrderWithTheUrlsAuthorityAsHost) {
  BeastRequest message{http::verb::post, "/p?q=1", 11};
  message.insert("Host", "Example.com:80");
  message.insert("X-Two", "a");
  message.insert("x-two", "b");
  HeaderList headers = request_headers(message, "example.com");
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"Host", "example.com"}));
  EXPECT_EQ(headers[1], (std::pair<std::string, std::string>{"X-Two", "a"}));
  EXPECT_EQ(headers[2], (std::pair<std::string, std::string>{"x-two", "b"}));
  EXPECT_EQ(field_bytes(message),
            std::string("Host: Example.com:80\r\nX-Two: a\r\nx-two: b\r\n").size());
}

TEST(HttpExchange, AnHttp10RequestWithoutHostGetsTheAuthorityAsHost) {
  BeastRequest message{http::verb::get, "/", 10};
  message.insert("Accept", "*/*");
  HeaderList headers = request_headers(message, "127.0.0.1:8080");
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[1], (std::pair<std::string, std::string>{"Host", "127.0.0.1:8080"}));
}

namespace {

// check_head's status for a request with these fields (0: accepted).
int check(std::initializer_list<std::pair<std::string, std::string>> fields,
          unsigned version = 11) {
  BeastRequest message{http::verb::post, "/", version};
  for (const auto& [name, value] : fields) message.insert(name, value);
  std::optional<FrontAnswer> answer = check_head(message);
  if (!answer) return 0;
  EXPECT_TRUE(answer->close);
  return answer->status;
}

}  // namespace

TEST(HttpExchange, HostMustAppearOnceInHttp11) {
  EXPECT_EQ(check({{"Host", "a"}}), 0);
  EXPECT_EQ(check({}), 400);
  EXPECT_EQ(check({{"Host", "a"}, {"host", "b"}}), 400);
  EXPECT_EQ(check({{"Host", "a"}, {"Host", "a"}}), 400);
  EXPECT_EQ(check({}, 10), 0);  // HTTP/1.0 may leave it out
}

TEST(HttpExchange, FramingRulesOfRfc9112) {
  EXPECT_EQ(check({{"Host", "a"}, {"Transfer-Encoding", "chunked"}}), 0);
  EXPECT_EQ(check({{"Host", "a"}, {"Transfer-Encoding", "Chunked"}}), 0);
  EXPECT_EQ(check({{"Host", "a"}, {"Transfer-Encoding", "chunked"}}, 10), 400);
  EXPECT_EQ(check({{"Host", "a"}, {"Transfer-Encoding", "gzip, chunked"}}), 501);
  EXPECT_EQ(check({{"Host", "a"}, {"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}}),
            501);
  EXPECT_EQ(check({{"Host", "a"}, {"Transfer-Encoding", "chunked, gzip"}}), 400);
  EXPECT_EQ(check({{"Host", "a"}, {"Transfer-Encoding", "gzip"}}), 400);
  EXPECT_EQ(check({{"Host", "a"}, {"Transfer-Encoding", "chunked, chunked"}}), 400);
}

TEST(HttpExchange, ResponseHeadHasTheScriptsHeadersAndTheFrontsFramingOnly) {
  HeaderList headers = {
      {"X-A", "1"},          {"content-length", "5"}, {"Transfer-Encoding", "x"},
      {"Keep-Alive", "t=1"}, {"X-Bad", "a\r\nb"},     {"X-Nul", std::string(1, '\0')}};
  EXPECT_EQ(response_head(201, headers, 12, {}, ""),
            "HTTP/1.1 201 Created\r\nX-A: 1\r\nContent-Length: 12\r\n\r\n");
  EXPECT_EQ(response_head(200, {}, 0, {.close = true}, ""),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(response_head(200, {}, 3, {.keep_alive_10 = true}, ""),
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HttpExchange, BodilessStatusesGetNoContentLengthAndUnknownOnesNoReason) {
  EXPECT_EQ(response_head(204, {}, 0, {}, ""), "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(response_head(304, {}, 0, {}, ""), "HTTP/1.1 304 Not Modified\r\n\r\n");
  EXPECT_EQ(response_head(299, {}, 0, {}, ""), "HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n");
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
  EXPECT_EQ(response_head(200, {{"a", "b"}}, std::nullopt, {.chunked = true}, ""),
            "HTTP/1.1 200 OK\r\na: b\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(response_head(200, {}, 42, {.chunked = true}, ""),  // a known length wins
            "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n");
  EXPECT_EQ(
      response_head(200, {}, std::nullopt, {.close = true}, ""),  // HTTP/1.0: ended by closing
      "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(response_head(204, {}, std::nullopt, {.chunked = true}, ""),
            "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(chunk_size_line(1), "1\r\n");
  EXPECT_EQ(chunk_size_line(131040), "1ffe0\r\n");
}

TEST(HttpExchange, DateIsAddedUnlessTheScriptSetOne) {
  const std::string date = "Sun, 06 Nov 1994 08:49:37 GMT";
  EXPECT_EQ(response_head(200, {}, 0, {}, date),
            "HTTP/1.1 200 OK\r\nDate: " + date + "\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(response_head(200, {{"date", "x"}}, 0, {}, date),
            "HTTP/1.1 200 OK\r\ndate: x\r\nContent-Length: 0\r\n\r\n");
}

TEST(HttpExchange, DatesAreImfFixdate) {
  EXPECT_EQ(format_http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(http_date_now().size(), 29u);
}

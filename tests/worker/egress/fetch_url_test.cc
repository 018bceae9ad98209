// URLs a subrequest accepts, Location resolution, and Fetch's redirect rewrites (pure).
#include <gtest/gtest.h>

#include "worker/egress/fetch_url.h"
#include "worker/egress/redirect.h"

namespace wsup::worker::egress {
namespace {

FetchUrl url(const std::string& text) {
  std::string error;
  std::optional<FetchUrl> parsed = parse_fetch_url(text, error);
  EXPECT_TRUE(parsed) << text << ": " << error;
  return parsed.value_or(FetchUrl{});
}

std::string refusal(const std::string& text) {
  std::string error;
  EXPECT_FALSE(parse_fetch_url(text, error)) << text;
  return error;
}

TEST(FetchUrlTest, TakesApartHttpAndHttpsUrls) {
  FetchUrl plain = url("http://Example.COM/a/b?x=1#frag");
  EXPECT_FALSE(plain.origin.tls);
  EXPECT_EQ(plain.origin.host, "example.com");
  EXPECT_EQ(plain.origin.port, 80);
  EXPECT_EQ(plain.target, "/a/b?x=1");
  EXPECT_EQ(plain.origin.host_header(), "example.com");
  EXPECT_EQ(plain.origin.key(), "http://example.com:80");
  FetchUrl tls = url("https://api.example.com:8443");
  EXPECT_TRUE(tls.origin.tls);
  EXPECT_EQ(tls.origin.port, 8443);
  EXPECT_EQ(tls.target, "/");
  EXPECT_EQ(tls.origin.host_header(), "api.example.com:8443");
  FetchUrl v6 = url("http://[::1]:8080/");
  EXPECT_EQ(v6.origin.host, "::1");
  EXPECT_TRUE(v6.origin.literal);
  EXPECT_EQ(v6.origin.host_header(), "[::1]:8080");
  EXPECT_TRUE(url("http://10.0.0.1/").origin.literal);
  EXPECT_FALSE(url("http://example.com/").origin.literal);
}

TEST(FetchUrlTest, RefusesWhatASubrequestCannotReach) {
  EXPECT_NE(refusal("ftp://example.com/").find("the scheme 'ftp' is not supported"),
            std::string::npos);
  EXPECT_NE(refusal("http://user:pw@example.com/").find("credentials"), std::string::npos);
  EXPECT_NE(refusal("/relative").find("is not an absolute URL"), std::string::npos);
  EXPECT_NE(refusal("http://example.com:0/").find("not between 1 and 65535"), std::string::npos);
}

TEST(FetchUrlTest, ResolvesLocationsAndKeepsTheFragment) {
  std::string error;
  FetchUrl base = url("https://example.com/a/b?q#top");
  EXPECT_EQ(resolve_location(base, "c", error)->href, "https://example.com/a/c#top");
  EXPECT_EQ(resolve_location(base, "/x#own", error)->href, "https://example.com/x#own");
  EXPECT_EQ(resolve_location(base, "//other.example/p", error)->href,
            "https://other.example/p#top");
  EXPECT_EQ(resolve_location(base, "http://plain.example/", error)->origin.port, 80);
  EXPECT_EQ(resolve_location(base, "/a b", error)->target, "/a%20b");
  EXPECT_FALSE(resolve_location(base, "javascript:alert(1)", error));
  EXPECT_NE(error.find("the scheme 'javascript' is not supported"), std::string::npos) << error;
}

HopRequest post_to(const std::string& target) {
  HopRequest hop;
  hop.method = "POST";
  hop.url = url(target);
  hop.headers = {
      {"Content-Type", "text/plain"}, {"Authorization", "x"}, {"Cookie", "c"}, {"X-Other", "kept"}};
  hop.has_body = true;
  return hop;
}

TEST(RedirectTest, MethodRewritesFollowTheFetchStandard) {
  std::string error;
  for (int status : {301, 302}) {
    HopRequest next = *next_hop(post_to("http://a.example/"), status, "/x", error);
    EXPECT_EQ(next.method, "GET") << status;
    EXPECT_FALSE(next.has_body);
    EXPECT_EQ(next.headers.size(), 3u) << "Content-Type dropped, credentials kept (same origin)";
  }
  for (int status : {307, 308}) {
    HopRequest next = *next_hop(post_to("http://a.example/"), status, "/x", error);
    EXPECT_EQ(next.method, "POST");
    EXPECT_TRUE(next.has_body);
    EXPECT_EQ(next.headers.size(), 4u);
  }
  HopRequest put = post_to("http://a.example/");
  put.method = "PUT";
  EXPECT_EQ(next_hop(put, 303, "/x", error)->method, "GET");
  EXPECT_EQ(next_hop(put, 302, "/x", error)->method, "PUT") << "only POST changes on 301/302";
  put.method = "HEAD";
  EXPECT_EQ(next_hop(put, 303, "/x", error)->method, "HEAD");
}

TEST(RedirectTest, CrossOriginDropsCredentialsAndStreamsCannotBeResent) {
  std::string error;
  HopRequest next = *next_hop(post_to("http://a.example/"), 307, "http://a.example:8080/", error);
  ASSERT_EQ(next.headers.size(), 2u) << "another port is another origin";
  EXPECT_EQ(next.headers[0].first, "Content-Type");
  EXPECT_EQ(next.headers[1].first, "X-Other");
  HopRequest streamed = post_to("http://a.example/");
  streamed.body_replayable = false;
  EXPECT_FALSE(next_hop(streamed, 302, "/x", error)) << "Fetch: only 303 drops a stream body";
  EXPECT_TRUE(next_hop(streamed, 303, "/x", error));
  EXPECT_TRUE(is_redirect_status(308));
  EXPECT_FALSE(is_redirect_status(304));
}

}  // namespace
}  // namespace wsup::worker::egress

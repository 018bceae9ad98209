// The one URL of a request: what the router and the script's request.url both use.
#include "supervisor/request_url.h"

#include <gtest/gtest.h>

using namespace wsup::supervisor;

namespace {

// The canonical URL, or "400: <why>" when refused.
std::string url_of(std::string_view target, std::optional<std::string_view> host = "example.com",
                   std::string_view fallback = "127.0.0.1:8080") {
  std::string_view why;
  std::optional<RequestUrl> url = canonical_request_url(target, host, fallback, why);
  return url ? url->text() : "400: " + std::string(why.substr(0, why.size() - 1));
}

std::string authority_of(std::string_view text, uint16_t default_port = 80) {
  std::string out;
  return canonical_authority(text, default_port, out) ? out : "invalid";
}

}  // namespace

TEST(RequestUrl, OriginFormTakesItsAuthorityFromHost) {
  EXPECT_EQ(url_of("/a/b?x=1"), "http://example.com/a/b?x=1");
  EXPECT_EQ(url_of("/", "Example.COM:8080"), "http://example.com:8080/");
  EXPECT_EQ(url_of("/p", "example.com:80"), "http://example.com/p");
  EXPECT_EQ(url_of("/p", "example.com:0080"), "http://example.com/p");
  EXPECT_EQ(url_of("/p", "example.com:"), "http://example.com/p");
  EXPECT_EQ(url_of("/p", std::nullopt), "http://127.0.0.1:8080/p");  // HTTP/1.0, no Host
}

TEST(RequestUrl, AbsoluteFormTargetWinsOverHost) {
  EXPECT_EQ(url_of("http://Admin.Example:81/x?y", "public.example"), "http://admin.example:81/x?y");
  EXPECT_EQ(url_of("HTTPS://a.example:443"), "https://a.example/");
  EXPECT_EQ(url_of("http://a.example?q"), "http://a.example/?q");
  EXPECT_EQ(url_of("http://a.example\\x\\..\\y"), "http://a.example/y");
  RequestUrl url = *[] {
    std::string_view why;
    return canonical_request_url("http://b.example:8080/p?q=1", "a.example", "", why);
  }();
  EXPECT_EQ(url.authority(), "b.example:8080");
  EXPECT_EQ(url.path_and_query(), "/p?q=1");
}

TEST(RequestUrl, DotSegmentsAreRemovedAsRfc3986AndTheUrlStandardSay) {
  EXPECT_EQ(url_of("/pub/../admin/secret"), "http://example.com/admin/secret");
  EXPECT_EQ(url_of("/pub/%2e%2E/admin"), "http://example.com/admin");
  EXPECT_EQ(url_of("/pub/.%2e/admin"), "http://example.com/admin");
  EXPECT_EQ(url_of("/pub/%2e./admin"), "http://example.com/admin");
  EXPECT_EQ(url_of("/a/./b/."), "http://example.com/a/b/");
  EXPECT_EQ(url_of("/a/%2e/b"), "http://example.com/a/b");
  EXPECT_EQ(url_of("/a/b/.."), "http://example.com/a/");
  EXPECT_EQ(url_of("/../../x"), "http://example.com/x");
  EXPECT_EQ(url_of("/.."), "http://example.com/");
  EXPECT_EQ(url_of("/a/..?q=/../x"), "http://example.com/?q=/../x");  // not in the query
  EXPECT_EQ(url_of("/pub\\..\\admin"), "http://example.com/admin");   // '\' is '/'
  EXPECT_EQ(url_of("//a//b/"), "http://example.com//a//b/");          // empty segments stay
  EXPECT_EQ(url_of("/a/...b/..c"), "http://example.com/a/...b/..c");  // not dot segments
  EXPECT_EQ(url_of("/pub/%2e%2e%2fadmin"), "http://example.com/pub/%2e%2e%2fadmin");
}

TEST(RequestUrl, PercentEncodingFollowsTheUrlStandardsSets) {
  EXPECT_EQ(url_of("/a\"b<c>d`e{f}g"), "http://example.com/a%22b%3Cc%3Ed%60e%7Bf%7Dg");
  EXPECT_EQ(url_of("/caf\xC3\xA9?q=\xC3\xA9'\"<>"),
            "http://example.com/caf%C3%A9?q=%C3%A9%27%22%3C%3E");
  EXPECT_EQ(url_of("/x\x7F"), "http://example.com/x%7F");
  // Left as they are: encoded unreserved characters, lower-case hex, characters outside the sets.
  EXPECT_EQ(url_of("/%61dmin/%2f?%41=`{}|"), "http://example.com/%61dmin/%2f?%41=`{}|");
  EXPECT_EQ(url_of("/a|b^c[d]e'f"), "http://example.com/a|b^c[d]e'f");
}

TEST(RequestUrl, HostsAreDnsNamesIpv4OrIpv6WithAnOptionalPort) {
  EXPECT_EQ(authority_of("API.Example.com"), "api.example.com");
  EXPECT_EQ(authority_of("my_host-1.local."), "my_host-1.local.");
  EXPECT_EQ(authority_of("10.0.0.1:8080"), "10.0.0.1:8080");
  EXPECT_EQ(authority_of("[::1]"), "[::1]");
  EXPECT_EQ(authority_of("[0:0:0:0:0:0:0:1]:80"), "[::1]");
  EXPECT_EQ(authority_of("[2001:DB8:0:0:1:0:0:1]:8443"), "[2001:db8::1:0:0:1]:8443");
  EXPECT_EQ(authority_of("[1:0:0:2:0:0:0:3]"), "[1:0:0:2::3]");
  EXPECT_EQ(authority_of("[::ffff:1.2.3.4]"), "[::ffff:102:304]");
  EXPECT_EQ(authority_of("x:443", 443), "x");
  for (std::string_view bad : {"",          "a b",          "a/b",        "a@b",        "a..b",
                               ".a",        "a:b",          "a:1:2",      "a:65536",    "a:-1",
                               "a%2eb",     "[::1",         "[::1]x",     "[::1%eth0]", "[v1.x]",
                               "h\xC3\xA9", "127.1",        "0x7f.0.0.1", "1.2.3.4.",   "01.2.3.4",
                               "1.2.3.256", "example.0x10", "a.123",      "a!b",        "a,b"})
    EXPECT_EQ(authority_of(bad), "invalid") << bad;
}

TEST(RequestUrl, BadHostsAndTargetsAreRefused) {
  EXPECT_EQ(url_of("/x", "evil.example/admin?"), "400: wsup: invalid Host header");
  EXPECT_EQ(url_of("/x", ""), "400: wsup: invalid Host header");
  // Still checked when an absolute-form target supplies the authority.
  EXPECT_EQ(url_of("http://a.example/x", "a b"), "400: wsup: invalid Host header");
  EXPECT_EQ(url_of("http://user:pw@a.example/x"),
            "400: wsup: invalid authority in the request target");
  EXPECT_EQ(url_of("http:///x"), "400: wsup: invalid authority in the request target");
  EXPECT_EQ(url_of("*"), "400: wsup: the request target must be a path or an absolute http(s) URL");
  EXPECT_EQ(url_of("a.example:443"),
            "400: wsup: the request target must be a path or an absolute http(s) URL");
  EXPECT_EQ(url_of("ftp://a.example/x"),
            "400: wsup: the request target must be a path or an absolute http(s) URL");
  EXPECT_EQ(url_of("/a#frag"), "400: wsup: a request target cannot carry a fragment ('#')");
}

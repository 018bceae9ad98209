// Router precedence: exact host > wildcard host (longer suffix first) > any host; then exact path >
// longer prefix > shorter prefix; then config order.
#include <gtest/gtest.h>

#include "config/router.h"
#include "config/values.h"

namespace wsup::config {
namespace {

// A config whose scripts carry the given routes; script i is named "s<i>".
ClusterConfig config_with(std::vector<std::vector<std::string>> routes_per_script) {
  ClusterConfig config;
  for (size_t i = 0; i < routes_per_script.size(); ++i) {
    Script script;
    script.name = "s" + std::to_string(i);
    for (const std::string& pattern : routes_per_script[i]) {
      std::string error;
      std::optional<Route> route = parse_route(pattern, error);
      if (!route) ADD_FAILURE() << pattern << ": " << error;
      if (route) script.routes.push_back(*route);
    }
    config.scripts.push_back(script);
  }
  return config;
}

std::string matched(const Router& router, std::string_view host, std::string_view path) {
  int index = router.match(host, path);
  return index == Router::kNoMatch ? "none" : router.script_name(index);
}

TEST(Router, NoRoutesMatchesNothing) {
  Router router(config_with({{"/api/*"}}));
  EXPECT_EQ(matched(router, "example.com", "/other"), "none");
  EXPECT_EQ(matched(Router(), "example.com", "/"), "none");
}

TEST(Router, ExactHostBeatsWildcardHostBeatsAnyHost) {
  Router router(config_with({{"/*"}, {"*.example.com/*"}, {"api.example.com/*"}}));
  EXPECT_EQ(matched(router, "api.example.com", "/x"), "s2");
  EXPECT_EQ(matched(router, "www.example.com", "/x"), "s1");
  EXPECT_EQ(matched(router, "example.com", "/x"), "s0") << "*.example.com matches subdomains only";
  EXPECT_EQ(matched(router, "other.org", "/x"), "s0");
}

TEST(Router, HostBeatsPathSpecificity) {
  Router router(config_with({{"/api/v1/*"}, {"api.example.com/*"}}));
  EXPECT_EQ(matched(router, "api.example.com", "/api/v1/users"), "s1");
  EXPECT_EQ(matched(router, "other.org", "/api/v1/users"), "s0");
}

TEST(Router, LongerWildcardSuffixWins) {
  Router router(config_with({{"*.example.com/*"}, {"*.eu.example.com/*"}}));
  EXPECT_EQ(matched(router, "a.eu.example.com", "/"), "s1");
  EXPECT_EQ(matched(router, "a.us.example.com", "/"), "s0");
}

TEST(Router, LongerPathPrefixWinsAndExactPathBeatsPrefix) {
  Router router(config_with({{"/*"}, {"/api/*"}, {"/api/v1/*"}, {"/api/v1/health"}}));
  EXPECT_EQ(matched(router, "h", "/"), "s0");
  EXPECT_EQ(matched(router, "h", "/apix"), "s0") << "/api/* needs the slash";
  EXPECT_EQ(matched(router, "h", "/api/users"), "s1");
  EXPECT_EQ(matched(router, "h", "/api"), "s1") << "/api/* also serves /api";
  EXPECT_EQ(matched(router, "h", "/api/v1/users"), "s2");
  EXPECT_EQ(matched(router, "h", "/api/v1/health"), "s3");
  EXPECT_EQ(matched(router, "h", "/api/v1/health/deep"), "s2")
      << "an exact path matches only itself";
}

TEST(Router, AnyHostRoutesWithAndWithoutStarHostAreTheSame) {
  Router router(config_with({{"*/static/*"}, {"/*"}}));
  EXPECT_EQ(matched(router, "x.org", "/static/app.css"), "s0");
  EXPECT_EQ(matched(router, "x.org", "/index.html"), "s1");
}

TEST(Router, HostIsMatchedWithoutPortAndCaseInsensitively) {
  Router router(config_with({{"api.example.com/*"}, {"*.example.com/*"}}));
  EXPECT_EQ(matched(router, "API.Example.COM:8080", "/"), "s0");
  EXPECT_EQ(matched(router, "api.example.com.", "/"), "s0") << "a trailing dot is the same host";
  EXPECT_EQ(matched(router, "WWW.EXAMPLE.COM", "/"), "s1");
  EXPECT_EQ(matched(router, "[::1]:8080", "/"), "none");
}

TEST(Router, QueryAndFragmentAreIgnored) {
  Router router(config_with({{"/exact"}}));
  EXPECT_EQ(matched(router, "h", "/exact?x=1"), "s0");
  EXPECT_EQ(matched(router, "h", "/exact#top"), "s0");
  EXPECT_EQ(matched(router, "h", "/exact/"), "none");
}

TEST(Router, ConfigOrderBreaksTies) {
  // Validation refuses identical routes, but equally specific different ones can both match.
  Router router(config_with({{"/a*"}, {"/ab"}, {"/b*"}}));
  EXPECT_EQ(matched(router, "h", "/ab"), "s1");
  EXPECT_EQ(matched(router, "h", "/abc"), "s0");
}

}  // namespace
}  // namespace wsup::config

// URLPattern (the URL Pattern Standard) against cases from the web-platform-tests'
// urlpattern/resources/urlpatterntestdata.json (named groups, regexp groups, wildcards,
// modifiers, group braces, inputs as strings and with base URLs, canonicalized components,
// constructor errors, ignoreCase), in that file's format: a pattern's constructor arguments,
// its expected components or "error", and exec()'s expected groups for inputs (null: no match;
// a group of null: undefined). Only the components a case lists are compared.
#include "tests/worker/web/js_test_fixture.h"

namespace wsup::test {
namespace {

class UrlPatternTest : public WebPlatformTest {
 protected:
  // Runs the cases in `json` and returns one line per failure (empty when all pass).
  std::string RunCases(const std::string& json);
};

std::string UrlPatternTest::RunCases(const std::string& json) {
  return Eval(R"js(
    const cases = JSON.parse()js" +
              std::string("String.raw`") + json + "`" + R"js();
    const failures = [];
    for (const c of cases) {
      const label = JSON.stringify(c.pattern);
      let pattern;
      try {
        pattern = new URLPattern(...c.pattern);
      } catch (e) {
        if (c.expected_obj !== 'error') failures.push(`${label}: threw ${e}`);
        else if (!(e instanceof TypeError)) failures.push(`${label}: threw ${e.name}, not TypeError`);
        continue;
      }
      if (c.expected_obj === 'error') {
        failures.push(`${label}: accepted`);
        continue;
      }
      for (const [key, value] of Object.entries(c.expected_obj ?? {})) {
        if (pattern[key] !== value) failures.push(`${label}: ${key} is ${pattern[key]}, not ${value}`);
      }
      if (!('expected_match' in c)) continue;
      const inputs = c.inputs ?? [];
      const result = pattern.exec(...inputs);
      if (pattern.test(...inputs) !== (result !== null)) failures.push(`${label}: test() != exec()`);
      if (c.expected_match === null) {
        if (result !== null) failures.push(`${label}: matched ${JSON.stringify(inputs)}`);
        continue;
      }
      if (result === null) {
        failures.push(`${label}: did not match ${JSON.stringify(inputs)}`);
        continue;
      }
      for (const [component, want] of Object.entries(c.expected_match)) {
        const got = result[component];
        if (got.input !== want.input) {
          failures.push(`${label}: ${component}.input is ${got.input}, not ${want.input}`);
        }
        const wantGroups = Object.entries(want.groups).map(([k, v]) => [k, v ?? undefined]);
        const gotGroups = Object.entries(got.groups);
        if (wantGroups.length !== gotGroups.length ||
            wantGroups.some(([k, v]) => !(k in got.groups) || got.groups[k] !== v)) {
          failures.push(`${label}: ${component}.groups are ${JSON.stringify(got.groups)}, not ` +
                        JSON.stringify(want.groups));
        }
      }
    }
    failures.join('\n'))js");
}

TEST_F(UrlPatternTest, NamedGroupsRegexpGroupsAndWildcards) {
  EXPECT_EQ(RunCases(R"json([
    {"pattern": [{"pathname": "/foo/bar"}], "inputs": [{"pathname": "/foo/bar"}],
     "expected_match": {"pathname": {"input": "/foo/bar", "groups": {}}}},
    {"pattern": [{"pathname": "/foo/bar"}], "inputs": [{"pathname": "/foo/bar/"}],
     "expected_match": null},
    {"pattern": [{"pathname": "/foo/:bar"}], "inputs": [{"pathname": "/foo/bar"}],
     "expected_match": {"pathname": {"input": "/foo/bar", "groups": {"bar": "bar"}}}},
    {"pattern": [{"pathname": "/foo/:bar"}], "inputs": [{"pathname": "/foo/index.html"}],
     "expected_match": {"pathname": {"input": "/foo/index.html", "groups": {"bar": "index.html"}}}},
    {"pattern": [{"pathname": "/foo/:bar"}], "inputs": [{"pathname": "/foo/bar/"}],
     "expected_match": null},
    {"pattern": [{"pathname": "/foo/([^\\/]+?)"}], "inputs": [{"pathname": "/foo/bar"}],
     "expected_match": {"pathname": {"input": "/foo/bar", "groups": {"0": "bar"}}}},
    {"pattern": [{"pathname": "/foo/(.*)"}], "inputs": [{"pathname": "/foo/bar/baz"}],
     "expected_obj": {"pathname": "/foo/*"},
     "expected_match": {"pathname": {"input": "/foo/bar/baz", "groups": {"0": "bar/baz"}}}},
    {"pattern": [{"pathname": "/foo/*"}], "inputs": [{"pathname": "/foo/"}],
     "expected_match": {"pathname": {"input": "/foo/", "groups": {"0": ""}}}},
    {"pattern": [{"pathname": "/foo/*"}], "inputs": [{"pathname": "/foo"}],
     "expected_match": null},
    {"pattern": [{"pathname": "/foo/:bar(.*)"}], "inputs": [{"pathname": "/foo/bar/baz"}],
     "expected_match": {"pathname": {"input": "/foo/bar/baz", "groups": {"bar": "bar/baz"}}}},
    {"pattern": [{"pathname": "(foo)(.*)"}], "inputs": [{"pathname": "foobarbaz"}],
     "expected_match": {"pathname": {"input": "foobarbaz", "groups": {"0": "foo", "1": "barbaz"}}}},
    {"pattern": [{"pathname": "{:foo}(.*)"}], "inputs": [{"pathname": "foobarbaz"}],
     "expected_match": {"pathname": {"input": "foobarbaz", "groups": {"foo": "f", "0": "oobarbaz"}}}},
    {"pattern": [{"pathname": ":foo(baz)(.*)"}], "inputs": [{"pathname": "bazbar"}],
     "expected_match": {"pathname": {"input": "bazbar", "groups": {"foo": "baz", "0": "bar"}}}},
    {"pattern": [{"pathname": "*/*"}], "inputs": [{"pathname": "foo/bar"}],
     "expected_match": {"pathname": {"input": "foo/bar", "groups": {"0": "foo", "1": "bar"}}}},
    {"pattern": [{"pathname": "*//*"}], "inputs": [{"pathname": "foo/bar"}],
     "expected_match": null},
    {"pattern": [{"pathname": "/:café"}], "inputs": [{"pathname": "/foo"}],
     "expected_match": {"pathname": {"input": "/foo", "groups": {"café": "foo"}}}}
  ])json"),
            "");
}

TEST_F(UrlPatternTest, ModifiersAndGroupBraces) {
  EXPECT_EQ(RunCases(R"json([
    {"pattern": [{"pathname": "/foo/:bar?"}], "inputs": [{"pathname": "/foo"}],
     "expected_match": {"pathname": {"input": "/foo", "groups": {"bar": null}}}},
    {"pattern": [{"pathname": "/foo/:bar?"}], "inputs": [{"pathname": "/foo/"}],
     "expected_match": null},
    {"pattern": [{"pathname": "/foo/:bar+"}], "inputs": [{"pathname": "/foo/bar/baz"}],
     "expected_match": {"pathname": {"input": "/foo/bar/baz", "groups": {"bar": "bar/baz"}}}},
    {"pattern": [{"pathname": "/foo/:bar+"}], "inputs": [{"pathname": "/foo"}],
     "expected_match": null},
    {"pattern": [{"pathname": "/foo/:bar*"}], "inputs": [{"pathname": "/foo"}],
     "expected_match": {"pathname": {"input": "/foo", "groups": {"bar": null}}}},
    {"pattern": [{"pathname": "/foo/*?"}], "inputs": [{"pathname": "/foo"}],
     "expected_match": {"pathname": {"input": "/foo", "groups": {"0": null}}}},
    {"pattern": [{"pathname": "/foo{/bar}"}], "inputs": [{"pathname": "/foo/bar"}],
     "expected_obj": {"pathname": "/foo/bar"},
     "expected_match": {"pathname": {"input": "/foo/bar", "groups": {}}}},
    {"pattern": [{"pathname": "/foo{/bar}?"}], "inputs": [{"pathname": "/foo"}],
     "expected_match": {"pathname": {"input": "/foo", "groups": {}}}},
    {"pattern": [{"pathname": "/foo{/bar}+"}], "inputs": [{"pathname": "/foo/bar/bar"}],
     "expected_match": {"pathname": {"input": "/foo/bar/bar", "groups": {}}}},
    {"pattern": [{"pathname": "/foo{/bar}+"}], "inputs": [{"pathname": "/foo/bar/baz"}],
     "expected_match": null},
    {"pattern": [{"pathname": "/foo{/bar}*"}], "inputs": [{"pathname": "/foo"}],
     "expected_match": {"pathname": {"input": "/foo", "groups": {}}}},
    {"pattern": [{"pathname": "{:foo}{bar(.*)}"}], "inputs": [{"pathname": "foobarbaz"}],
     "expected_obj": {"pathname": ":foo{bar*}"},
     "expected_match": {"pathname": {"input": "foobarbaz", "groups": {"foo": "foo", "0": "baz"}}}}
  ])json"),
            "");
}

TEST_F(UrlPatternTest, WholeUrlsBaseUrlsAndCanonicalComponents) {
  EXPECT_EQ(RunCases(R"json([
    {"pattern": [{"pathname": "/foo/bar"}], "inputs": ["https://example.com/foo/bar"],
     "expected_match": {"hostname": {"input": "example.com", "groups": {"0": "example.com"}},
                        "pathname": {"input": "/foo/bar", "groups": {}},
                        "protocol": {"input": "https", "groups": {"0": "https"}}}},
    {"pattern": [{"pathname": "/foo/bar"}],
     "inputs": [{"pathname": "/foo/bar", "baseURL": "https://example.com"}],
     "expected_match": {"pathname": {"input": "/foo/bar", "groups": {}}}},
    {"pattern": [{"pathname": "/foo/bar", "baseURL": "https://example.com?query#hash"}],
     "inputs": ["https://example.com/foo/bar?otherquery#otherhash"],
     "expected_match": {"hash": {"input": "otherhash", "groups": {"0": "otherhash"}},
                        "hostname": {"input": "example.com", "groups": {}},
                        "search": {"input": "otherquery", "groups": {"0": "otherquery"}}}},
    {"pattern": [{"pathname": "/foo/bar", "baseURL": "https://example.com?query#hash"}],
     "inputs": ["https://other.com/foo/bar"], "expected_match": null},
    {"pattern": ["https://example.com/:id"], "inputs": ["https://example.com/42"],
     "expected_obj": {"protocol": "https", "hostname": "example.com", "pathname": "/:id"},
     "expected_match": {"pathname": {"input": "/42", "groups": {"id": "42"}}}},
    {"pattern": ["http://[:address]/"], "inputs": ["http://[::1]/"],
     "expected_match": {"hostname": {"input": "[::1]", "groups": {"address": "::1"}}}},
    {"pattern": [{"hostname": "café.com"}], "inputs": [{"hostname": "café.com"}],
     "expected_obj": {"hostname": "xn--caf-dma.com"},
     "expected_match": {"hostname": {"input": "xn--caf-dma.com", "groups": {}}}},
    {"pattern": [{"username": "café"}], "inputs": [{"username": "café"}],
     "expected_obj": {"username": "caf%C3%A9"},
     "expected_match": {"username": {"input": "caf%C3%A9", "groups": {}}}},
    {"pattern": [{"username": "caf%c3%a9"}], "inputs": [{"username": "café"}],
     "expected_match": null},
    {"pattern": [{"protocol": "(.*)"}], "inputs": [{"protocol": "café"}],
     "expected_match": null},
    {"pattern": [{"pathname": "/foo/bar"}, {"ignoreCase": true}],
     "inputs": [{"pathname": "/FOO/BAR"}],
     "expected_match": {"pathname": {"input": "/FOO/BAR", "groups": {}}}}
  ])json"),
            "");
}

TEST_F(UrlPatternTest, InvalidPatternsThrowTypeError) {
  EXPECT_EQ(RunCases(R"json([
    {"pattern": [{"pathname": "(café)"}], "expected_obj": "error"},
    {"pattern": [{"hostname": "(café)"}], "expected_obj": "error"},
    {"pattern": [{"pathname": "/:id/:id"}], "expected_obj": "error"},
    {"pattern": [{"pathname": "/foo", "baseURL": ""}], "expected_obj": "error"},
    {"pattern": ["/foo", ""], "expected_obj": "error"},
    {"pattern": [{"pathname": "/foo"}, "https://example.com"], "expected_obj": "error"},
    {"pattern": [{"hostname": "bad hostname"}], "expected_obj": "error"},
    {"pattern": [{"hostname": "bad@hostname"}], "expected_obj": "error"},
    {"pattern": ["https://foo{@example.com"], "expected_obj": "error"}
  ])json"),
            "");
}

TEST_F(UrlPatternTest, IsALazyGlobalClassWithRegExpGroupsReported) {
  EXPECT_EQ(Eval("const p = new URLPattern({pathname: '/a/:x(\\\\d+)'});"
                 "[typeof URLPattern, Object.prototype.toString.call(p), p.hasRegExpGroups,"
                 " new URLPattern({pathname: '/a/:x'}).hasRegExpGroups,"
                 " p.test({pathname: '/a/12'}), p.test({pathname: '/a/b'})].join()"),
            "function,[object URLPattern],true,false,true,false");
  // The family uses the original URL class, whatever the global holds now.
  EXPECT_EQ(Eval("globalThis.URL = null; new URLPattern('https://h/:p').exec('https://h/x')"
                 ".pathname.groups.p"),
            "x");
}

}  // namespace
}  // namespace wsup::test

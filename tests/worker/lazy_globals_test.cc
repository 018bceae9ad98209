// The lazy web platform families (worker/web/web_platform.cc): contexts made from the startup
// snapshot's default context carry only lazy global properties for URL, TextEncoder/TextDecoder,
// crypto, abort, structuredClone/performance/navigator; the first access in a context runs the
// family there. The snapshot's other contexts (worker/baked_context.h) carry some families
// already built; every test runs against each, since a script must not tell them apart.
#include <gtest/gtest.h>

#include <string>

#include "tests/worker/runtime_harness.h"
#include "worker/baked_context.h"

namespace wsup::worker::testing {
namespace {

class LazyGlobalsTest : public ::testing::TestWithParam<BakedContext> {};

std::string evaluate(const std::string& body) {
  return testing::evaluate(body, LazyGlobalsTest::GetParam());
}

TEST_P(LazyGlobalsTest, EveryFamilyWorksOnFirstUseInAFreshContext) {
  EXPECT_EQ(evaluate("return [new URL('/b?c=1', 'http://a').searchParams.get('c'),"
                     " new TextDecoder().decode(new TextEncoder().encode('\\u00e9')),"
                     " atob(btoa('x')), crypto.randomUUID().length,"
                     " structuredClone({a: [1]}).a[0], new AbortController().signal.aborted,"
                     " typeof performance.now(), navigator.userAgent];"),
            R"(["1","é","x",36,1,false,"number","wsup/0.1"])");
}

TEST_P(LazyGlobalsTest, LazyGlobalsLookLikeWebIdlGlobalsBeforeAndAfterFirstUse) {
  EXPECT_EQ(evaluate("const names = Object.getOwnPropertyNames(globalThis);"
                     "const lazy = ['URL', 'URLSearchParams', 'TextDecoder', 'crypto',"
                     " 'AbortSignal', 'structuredClone', 'performance'];"
                     "const d = Object.getOwnPropertyDescriptor(globalThis, 'URLSearchParams');"
                     "return [lazy.every((n) => names.includes(n)),"
                     " lazy.some((n) => Object.keys(globalThis).includes(n)),"
                     " typeof URL, typeof d.value, d.writable, d.enumerable, d.configurable,"
                     " new URL('http://h/').searchParams instanceof URLSearchParams,"
                     " Object.prototype.toString.call(crypto), typeof AbortSignal.timeout];"),
            R"([true,false,"function","function",true,false,true,true,"[object Crypto]",)"
            R"("function"])");
}

TEST_P(LazyGlobalsTest, GlobalsReplacedOrDeletedBeforeFirstUseStaySo) {
  EXPECT_EQ(evaluate("globalThis.URL = 5; delete globalThis.TextEncoder;"
                     "globalThis.DOMException = null;"
                     "let name; try { atob('*'); } catch (e) { name = e.name; }"
                     "return [URL, typeof TextEncoder, typeof URLSearchParams, name];"),
            R"([5,"undefined","function","InvalidCharacterError"])");
}

TEST_P(LazyGlobalsTest, AFamilyMadeInOneRequestIsInvisibleToTheNext) {
  // One isolate: both requests run on it, each in its own fresh context.
  auto harness = Harness::single(
      "export default { async fetch(request) {\n"
      "  const seen = [typeof URL.prototype.patched, typeof TextDecoder.prototype.patched,\n"
      "                typeof crypto.patched, String(new URL('http://h/x').href)];\n"
      "  URL.prototype.patched = 1; TextDecoder.prototype.patched = 1; crypto.patched = 1;\n"
      "  URLSearchParams.prototype.get = () => 'patched';\n"
      "  seen.push(new URL('http://h/?a=1').searchParams.get('a'));\n"
      "  return new Response(JSON.stringify(seen));\n"
      "} };\n",
      true, 1, {}, GetParam());
  const std::string expected = R"(["undefined","undefined","undefined","http://h/x","patched"])";
  EXPECT_EQ(harness->fetch().body, expected);
  EXPECT_EQ(harness->fetch().body, expected);
  EXPECT_EQ(harness->fetch().body, expected);
}

INSTANTIATE_TEST_SUITE_P(EachBakedContext, LazyGlobalsTest, ::testing::ValuesIn(kBakedContexts),
                         [](const ::testing::TestParamInfo<BakedContext>& param) {
                           return std::string(to_string(param.param));
                         });

LoadedScript script_with_source(const std::string& source) {
  LoadedScript script;
  script.source = source;
  return script;
}

LoadedScript module_importing(const std::string& imported_source) {
  LoadedScript script;
  script.modules.push_back(ModuleFile{"/a/main.mjs", "import './b.mjs';", {}, {}, "main.mjs"});
  script.modules.push_back(ModuleFile{"/a/b.mjs", imported_source, {}, {}, "b.mjs"});
  return script;
}

TEST(BakedContextChoiceTest, FollowsTheGlobalsTheScriptsName) {
  auto choose = [](std::vector<LoadedScript> scripts) { return baked_context_for(scripts); };
  EXPECT_EQ(choose({script_with_source("new Response('hi')")}), BakedContext::plain);
  EXPECT_EQ(choose({script_with_source("new URL(request.url)")}), BakedContext::url);
  EXPECT_EQ(choose({script_with_source("new URLSearchParams(q)")}), BakedContext::url);
  // One family other than URL is cheaper built on first use; DOMException is not.
  EXPECT_EQ(choose({script_with_source("crypto.randomUUID()")}), BakedContext::plain);
  EXPECT_EQ(choose({script_with_source("e instanceof DOMException")}), BakedContext::all);
  // Aborting makes a DOMException: AbortController brings DOMException's family along.
  EXPECT_EQ(choose({script_with_source("new AbortController().abort()")}), BakedContext::all);
  EXPECT_EQ(choose({script_with_source("new URL(u); new TextEncoder()")}), BakedContext::all);
  // Across scripts, and through a module's imports.
  EXPECT_EQ(choose({script_with_source("new URL(u)"), script_with_source("atob(x)")}),
            BakedContext::all);
  EXPECT_EQ(choose({module_importing("export const u = (r) => new URL(r.url);")}),
            BakedContext::url);
}

TEST(BakedContextChoiceTest, RequestsOfAUrlScriptStartFromTheUrlContext) {
  // Whatever context it comes from, a request's URL family is its own (the patch made by the
  // first request is not seen by the second), and it works on a URL form baked in and not.
  auto harness = Harness::single(
      "addEventListener('fetch', (e) => {\n"
      "  const seen = [typeof URL.prototype.patched, new URL(e.request.url).hostname,\n"
      "                new URL('file:///x/../y').pathname];\n"
      "  URL.prototype.patched = 1;\n"
      "  e.respondWith(new Response(JSON.stringify(seen)));\n"
      "});\n",
      false);
  const std::string expected = R"(["undefined","127.0.0.1","/y"])";
  EXPECT_EQ(harness->fetch("main", "http://127.0.0.1:8080/a?b=1").body, expected);
  EXPECT_EQ(harness->fetch("main", "http://127.0.0.1:8080/a?b=1").body, expected);
  EXPECT_EQ(harness->runtime().baked_context(), BakedContext::url);
}

}  // namespace
}  // namespace wsup::worker::testing

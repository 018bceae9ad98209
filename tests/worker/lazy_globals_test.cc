// The lazy web platform families (worker/api/web_platform.cc): contexts made from the startup
// snapshot carry only lazy global properties for URL, TextEncoder/TextDecoder, crypto, abort,
// structuredClone/performance/navigator; the first access in a context runs the family there.
#include <gtest/gtest.h>

#include "tests/worker/runtime_harness.h"

namespace wsup::worker::testing {
namespace {

TEST(LazyGlobalsTest, EveryFamilyWorksOnFirstUseInAFreshContext) {
  EXPECT_EQ(evaluate("return [new URL('/b?c=1', 'http://a').searchParams.get('c'),"
                     " new TextDecoder().decode(new TextEncoder().encode('\\u00e9')),"
                     " atob(btoa('x')), crypto.randomUUID().length,"
                     " structuredClone({a: [1]}).a[0], new AbortController().signal.aborted,"
                     " typeof performance.now(), navigator.userAgent];"),
            R"(["1","é","x",36,1,false,"number","wsup/0.1"])");
}

TEST(LazyGlobalsTest, LazyGlobalsLookLikeWebIdlGlobalsBeforeAndAfterFirstUse) {
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

TEST(LazyGlobalsTest, GlobalsReplacedOrDeletedBeforeFirstUseStaySo) {
  EXPECT_EQ(evaluate("globalThis.URL = 5; delete globalThis.TextEncoder;"
                     "globalThis.DOMException = null;"
                     "let name; try { atob('*'); } catch (e) { name = e.name; }"
                     "return [URL, typeof TextEncoder, typeof URLSearchParams, name];"),
            R"([5,"undefined","function","InvalidCharacterError"])");
}

TEST(LazyGlobalsTest, AFamilyMadeInOneRequestIsInvisibleToTheNext) {
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
      true, 1);
  const std::string expected = R"(["undefined","undefined","undefined","http://h/x","patched"])";
  EXPECT_EQ(harness->fetch().body, expected);
  EXPECT_EQ(harness->fetch().body, expected);
  EXPECT_EQ(harness->fetch().body, expected);
}

}  // namespace
}  // namespace wsup::worker::testing

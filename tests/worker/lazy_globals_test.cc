// The lazy web platform families (worker/web/web_platform.cc): contexts made from the startup
// snapshot's default context carry only lazy global properties for URL, TextEncoder/TextDecoder,
// crypto, abort, structuredClone/performance/navigator; the first access in a context runs the
// family there. The snapshot's other contexts (worker/baked_context.h) carry some families
// already built; every test runs against each, since a script must not tell them apart. And
// each runs twice: with the script's requests starting from its own snapshot context (built from
// that baked context, worker/script_snapshot.h), and with the script evaluated per request.
#include <gtest/gtest.h>

#include <string>

#include "tests/worker/runtime_harness.h"
#include "worker/baked_context.h"

namespace wsup::worker::testing {
namespace {

struct Start {
  BakedContext baked;
  bool snapshot;  // the script's requests start from its snapshot
};

class LazyGlobalsTest : public ::testing::TestWithParam<Start> {
 protected:
  static BakedContext baked() { return GetParam().baked; }
  static std::unique_ptr<Harness> single(const std::string& source, bool module) {
    return Harness::single(source, module, 1, {}, baked(), 64,
                           [](ScriptSpec& spec) { spec.snapshot = GetParam().snapshot; });
  }
};

std::string evaluate(const std::string& body) {
  return testing::evaluate(body, LazyGlobalsTest::GetParam().baked,
                           LazyGlobalsTest::GetParam().snapshot);
}

std::vector<Start> every_start() {
  std::vector<Start> starts;
  for (BakedContext baked : kBakedContexts) {
    starts.push_back(Start{baked, true});
    starts.push_back(Start{baked, false});
  }
  return starts;
}

TEST_P(LazyGlobalsTest, EveryFamilyWorksOnFirstUseInAFreshContext) {
  EXPECT_EQ(evaluate("return [new URL('/b?c=1', 'http://a').searchParams.get('c'),"
                     " new TextDecoder().decode(new TextEncoder().encode('\\u00e9')),"
                     " atob(btoa('x')), crypto.randomUUID().length,"
                     " structuredClone({a: [1]}).a[0], new AbortController().signal.aborted,"
                     " typeof performance.now(), navigator.userAgent];"),
            R"(["1","é","x",36,1,false,"number","Cloudflare-Workers"])");
  // The streams, stream adapters and Blob/FormData families (some baked into `all`).
  EXPECT_EQ(
      evaluate("const form = new FormData(); form.append('f', new File(['é'], 'n.txt'));\n"
               "const piped = new Blob(['ab']).stream().pipeThrough(new TextDecoderStream())"
               ".pipeThrough(new TransformStream({transform(c, k) {"
               " k.enqueue(c.toUpperCase()); }})).pipeThrough(new TextEncoderStream());\n"
               "const gz = new Response(new Response('zz').body.pipeThrough("
               "new CompressionStream('gzip')).pipeThrough(new DecompressionStream('gzip')));\n"
               "return [await new Response(piped).text(), await gz.text(),"
               " (await new Response(form).formData()).get('f').name,"
               " new WritableStream() instanceof WritableStream,"
               " typeof IdentityTransformStream, typeof FixedLengthStream];"),
      R"(["AB","zz","n.txt",true,"function","function"])");
}

// The families never baked into a snapshot context build on first use in every one of them.
TEST_P(LazyGlobalsTest, TheFamiliesBuiltOnlyOnFirstUseWorkFromEveryContext) {
  EXPECT_EQ(evaluate("const {port1, port2} = new MessageChannel();"
                     "const got = new Promise((resolve) => { port2.onmessage = (e) =>"
                     " resolve(e.data); });"
                     "port1.postMessage({n: 1});"
                     "return [new CustomEvent('x', {detail: 2}).detail,"
                     " new URLPattern({pathname: '/u/:id'}).exec('http://h/u/7').pathname"
                     ".groups.id, (await got).n, typeof reportError,"
                     " new TextDecoder('latin1').decode(new Uint8Array([0xE9])),"
                     " AbortSignal.any([AbortSignal.abort('r')]).reason, self === globalThis];"),
            R"([2,"7",1,"function","é","r",true])");
}

TEST_P(LazyGlobalsTest, LazyGlobalsLookLikeWebIdlGlobalsBeforeAndAfterFirstUse) {
  EXPECT_EQ(evaluate("const names = Object.getOwnPropertyNames(globalThis);"
                     "const lazy = ['URL', 'URLSearchParams', 'TextDecoder', 'crypto',"
                     " 'AbortSignal', 'structuredClone', 'performance', 'ReadableStream',"
                     " 'CompressionStream', 'Blob', 'FormData'];"
                     "const d = Object.getOwnPropertyDescriptor(globalThis, 'URLSearchParams');"
                     "return [lazy.every((n) => names.includes(n)),"
                     " lazy.some((n) => Object.keys(globalThis).includes(n)),"
                     " typeof URL, typeof d.value, d.writable, d.enumerable, d.configurable,"
                     " new URL('http://h/').searchParams instanceof URLSearchParams,"
                     " Object.prototype.toString.call(crypto), typeof AbortSignal.timeout];"),
            R"([true,false,"function","function",true,false,true,true,"[object Crypto]",)"
            R"("function"])");
}

TEST_P(LazyGlobalsTest, SubtleCryptoWorksOnFirstUseWhateverBuiltItAndGlobalsUserCodeReplaced) {
  // crypto.subtle builds the SubtleCrypto family through internal.subtle, not the globals.
  EXPECT_EQ(evaluate("globalThis.SubtleCrypto = 1; globalThis.DOMException = null;"
                     "const key = await crypto.subtle.importKey('raw', new Uint8Array(8),"
                     "  {name: 'HMAC', hash: 'SHA-256'}, false, ['sign']);"
                     "const mac = await crypto.subtle.sign('HMAC', key, new Uint8Array(4));"
                     "const error = await crypto.subtle.sign('HMAC', key, null)"
                     "  .catch((e) => e.name);"
                     "const missing = await crypto.subtle.digest('MD5', new Uint8Array(1))"
                     "  .catch((e) => e.name + ':' + e.code);"
                     "return [key instanceof CryptoKey, SubtleCrypto, mac.byteLength, error,"
                     "  missing, crypto.subtle === crypto.subtle,"
                     "  Object.prototype.toString.call(crypto.subtle)];"),
            R"([true,1,32,"TypeError","NotSupportedError:9",true,"[object SubtleCrypto]"])");
}

TEST_P(LazyGlobalsTest, GlobalsReplacedOrDeletedBeforeFirstUseStaySo) {
  EXPECT_EQ(evaluate("globalThis.URL = 5; delete globalThis.TextEncoder;"
                     "globalThis.DOMException = null; globalThis.ReadableStream = 7;"
                     "let name; try { atob('*'); } catch (e) { name = e.name; }"
                     "const text = await new Response('body').text();"
                     "return [URL, typeof TextEncoder, typeof URLSearchParams, name,"
                     " ReadableStream, new Response('s').body.constructor.name, text];"),
            R"([5,"undefined","function","InvalidCharacterError",7,"ReadableStream","body"])");
}

TEST_P(LazyGlobalsTest, AFamilyMadeInOneRequestIsInvisibleToTheNext) {
  // One isolate: both requests run on it, each in its own fresh context.
  auto harness = single(
      "export default { async fetch(request) {\n"
      "  const seen = [typeof URL.prototype.patched, typeof TextDecoder.prototype.patched,\n"
      "                typeof crypto.patched, typeof ReadableStream.prototype.patched,\n"
      "                typeof Blob.prototype.patched, String(new URL('http://h/x').href)];\n"
      "  URL.prototype.patched = 1; TextDecoder.prototype.patched = 1; crypto.patched = 1;\n"
      "  ReadableStream.prototype.patched = 1; Blob.prototype.patched = 1;\n"
      "  URLSearchParams.prototype.get = () => 'patched';\n"
      "  seen.push(new URL('http://h/?a=1').searchParams.get('a'));\n"
      "  return new Response(JSON.stringify(seen));\n"
      "} };\n",
      true);
  // The streams and Blob families share their compiled script across the isolate's contexts
  // (worker/web/family_scripts.h), never their objects.
  const std::string expected =
      R"(["undefined","undefined","undefined","undefined","undefined","http://h/x","patched"])";
  EXPECT_EQ(harness->fetch().body, expected);
  EXPECT_EQ(harness->fetch().body, expected);
  EXPECT_EQ(harness->fetch().body, expected);
}

TEST_P(LazyGlobalsTest, FamiliesUsedAtTopLevelWorkInEveryRequestAndStayTheirs) {
  // Built at top level (in the snapshot when there is one), then patched by each request: the
  // next request starts from the top level's state, never the patch.
  auto harness = single(
      "const base = new URL('http://h/a/');\n"
      "const bytes = new TextEncoder().encode('\\u00e9');\n"
      "const controller = new AbortController();\n"
      "export default { async fetch(request) {\n"
      "  const seen = [new URL('b', base).href, bytes.length, controller.signal.aborted,\n"
      "                typeof URL.prototype.patched, globalThis.leaked ?? 'none'];\n"
      "  URL.prototype.patched = 1; controller.abort(); globalThis.leaked = 'yes';\n"
      "  return new Response(JSON.stringify(seen));\n"
      "} };\n",
      true);
  const std::string expected = R"(["http://h/a/b",2,false,"undefined","none"])";
  EXPECT_EQ(harness->fetch().body, expected);
  EXPECT_EQ(harness->fetch().body, expected);
  EXPECT_EQ(harness->runtime().snapshot().snapshotted(0), GetParam().snapshot);
}

INSTANTIATE_TEST_SUITE_P(EachBakedContext, LazyGlobalsTest, ::testing::ValuesIn(every_start()),
                         [](const ::testing::TestParamInfo<Start>& param) {
                           return std::string(to_string(param.param.baked)) +
                                  (param.param.snapshot ? "_snapshot" : "_per_request");
                         });

LoadedScript script_with_source(const std::string& source) {
  LoadedScript script;
  script.source = source;
  return script;
}

LoadedScript module_importing(const std::string& imported_source) {
  LoadedScript script;
  script.modules.push_back(
      ModuleFile{"/a/main.mjs", "import './b.mjs';", {}, {}, ModuleFile::Kind::file, "main.mjs"});
  script.modules.push_back(
      ModuleFile{"/a/b.mjs", imported_source, {}, {}, ModuleFile::Kind::file, "b.mjs"});
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
  // SubtleCrypto is built only into `crypto`, for scripts that use it (crypto.subtle).
  EXPECT_EQ(choose({script_with_source("crypto.subtle.sign('HMAC', k, d)")}), BakedContext::crypto);
  EXPECT_EQ(choose({script_with_source("new URL(u); x instanceof CryptoKey")}),
            BakedContext::crypto);
  // Across scripts, and through a module's imports.
  EXPECT_EQ(choose({script_with_source("new URL(u)"), script_with_source("atob(x)")}),
            BakedContext::all);
  EXPECT_EQ(choose({module_importing("export const u = (r) => new URL(r.url);")}),
            BakedContext::url);
  // Families that are never baked decide nothing: URLPattern beside URL keeps `url`.
  EXPECT_EQ(choose({script_with_source("new URLPattern(p).test(new URL(u))")}), BakedContext::url);
  EXPECT_EQ(choose({script_with_source("new MessageChannel(); new CustomEvent('x')")}),
            BakedContext::plain);
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

// Request and Response against the WHATWG Fetch standard, as Cloudflare Workers exposes them.
#include <gtest/gtest.h>

#include "tests/worker/runtime_harness.h"

namespace wsup::worker::testing {
namespace {

TEST(ResponseTest, DefaultsFollowTheSpec) {
  EXPECT_EQ(evaluate("const r = new Response();\n"
                     "return [r.status, r.statusText, r.ok, r.url, r.redirected, r.type, "
                     "r.bodyUsed, [...r.headers], await r.text()];"),
            R"([200,"",true,"",false,"default",false,[],""])");
}

TEST(ResponseTest, StringBodyGetsTextPlainUtf8) {
  EXPECT_EQ(evaluate("const r = new Response('héllo', {status: 404, statusText: 'Nope'});\n"
                     "return [r.status, r.statusText, r.ok, r.headers.get('content-type'), "
                     "await r.text()];"),
            R"([404,"Nope",false,"text/plain;charset=UTF-8","héllo"])");
}

TEST(ResponseTest, StatusOutside200To599IsARangeError) {
  EXPECT_EQ(evaluate("new Response('', {status: 199});").rfind("THROWS RangeError", 0), 0u);
  EXPECT_EQ(evaluate("new Response('', {status: 600});").rfind("THROWS RangeError", 0), 0u);
  EXPECT_EQ(evaluate("return new Response(null, {status: 599}).status;"), "599");
}

TEST(ResponseTest, NullBodyStatusWithABodyIsATypeError) {
  EXPECT_EQ(evaluate("new Response('x', {status: 204});").rfind("THROWS TypeError", 0), 0u);
  EXPECT_EQ(evaluate("return new Response(null, {status: 204}).status;"), "204");
}

TEST(ResponseTest, ArrayBufferAndTypedArrayBodiesAreCopied) {
  EXPECT_EQ(
      evaluate("const bytes = new Uint8Array([104, 105]);\n"
               "const a = new Response(bytes.buffer); const b = new Response(bytes.subarray(1));\n"
               "bytes[0] = 0;\n"
               "return [a.headers.get('content-type'), await a.text(), "
               "[...new Uint8Array(await b.arrayBuffer())]];"),
      R"([null,"hi",[105]])");
}

TEST(ResponseTest, BodyCanBeReadOnceAndBodyUsedSaysSo) {
  EXPECT_EQ(evaluate("const r = new Response('{\"a\":1}');\n"
                     "const first = await r.json(); const used = r.bodyUsed;\n"
                     "let second; try { await r.text(); } catch (e) { second = e.name; }\n"
                     "return [first, used, second];"),
            R"([{"a":1},true,"TypeError"])");
}

TEST(ResponseTest, CloneTeesTheBodyAndFailsAfterUse) {
  EXPECT_EQ(evaluate("const r = new Response('abc', {status: 201, headers: {x: '1'}});\n"
                     "const c = r.clone(); c.headers.set('x', '2');\n"
                     "const texts = [await r.text(), await c.text()];\n"
                     "let error; try { r.clone(); } catch (e) { error = e.name; }\n"
                     "return [texts, c.status, r.headers.get('x'), c.headers.get('x'), error];"),
            R"([["abc","abc"],201,"1","2","TypeError"])");
}

TEST(ResponseTest, JsonStaticSetsContentTypeAndStatus) {
  EXPECT_EQ(
      evaluate(
          "const r = Response.json({a: [1, 'x']}, {status: 202, headers: {'x-y': 'z'}});\n"
          "const custom = Response.json(1, {headers: {'content-type': 'application/ld+json'}});\n"
          "return [r.status, r.headers.get('content-type'), r.headers.get('x-y'), "
          "await r.text(), custom.headers.get('content-type')];"),
      R"([202,"application/json","z","{\"a\":[1,\"x\"]}","application/ld+json"])");
  EXPECT_EQ(evaluate("Response.json(undefined);").rfind("THROWS TypeError", 0), 0u);
}

TEST(ResponseTest, RedirectStaticSetsLocationAndChecksStatus) {
  EXPECT_EQ(
      evaluate("const r = Response.redirect('https://example.com/next', 301);\n"
               "const d = Response.redirect('https://example.com/');\n"
               "let mutable = true; try { r.headers.set('a', 'b'); } catch { mutable = false; }\n"
               "return [r.status, r.headers.get('location'), d.status, mutable];"),
      R"([301,"https://example.com/next",302,false])");
  EXPECT_EQ(
      evaluate("Response.redirect('https://example.com/', 200);").rfind("THROWS RangeError", 0),
      0u);
}

TEST(ResponseTest, ErrorStaticIsTypeErrorWithStatusZero) {
  EXPECT_EQ(evaluate("const r = Response.error(); return [r.type, r.status, r.ok];"),
            R"(["error",0,false])");
}

TEST(ResponseTest, UrlSearchParamsBodyIsFormEncoded) {
  EXPECT_EQ(evaluate("const r = new Response(new URLSearchParams({a: '1 2', b: 'x&y'}));\n"
                     "return [r.headers.get('content-type'), await r.text()];"),
            R"(["application/x-www-form-urlencoded;charset=UTF-8","a=1+2&b=x%26y"])");
}

TEST(ResponseTest, ArbitraryObjectsBecomeTheirStringForm) {
  EXPECT_EQ(evaluate("return await new Response({toString() { return 'custom'; }}).text();"),
            R"("custom")");
}

TEST(RequestTest, ConstructorDefaultsAndAccessors) {
  EXPECT_EQ(evaluate("const r = new Request('https://example.com/a?b');\n"
                     "return [r.method, r.url, r.redirect, [...r.headers], r.bodyUsed, "
                     "Object.prototype.toString.call(r)];"),
            R"(["GET","https://example.com/a?b","follow",[],false,"[object Request]"])");
}

TEST(RequestTest, MethodsAreNormalizedAndValidated) {
  EXPECT_EQ(evaluate("return [new Request('https://x/', {method: 'post'}).method, "
                     "new Request('https://x/', {method: 'patch'}).method, "
                     "new Request('https://x/', {method: 'Custom'}).method];"),
            R"(["POST","patch","Custom"])");
  EXPECT_EQ(
      evaluate("new Request('https://x/', {method: 'CONNECT'});").rfind("THROWS TypeError", 0), 0u);
  EXPECT_EQ(
      evaluate("new Request('https://x/', {method: 'bad method'});").rfind("THROWS TypeError", 0),
      0u);
}

TEST(RequestTest, GetAndHeadCannotHaveABody) {
  EXPECT_EQ(evaluate("new Request('https://x/', {body: 'x'});"),
            "THROWS TypeError: Request with a GET or HEAD method cannot have a body.");
  EXPECT_EQ(evaluate("new Request('https://x/', {method: 'HEAD', body: 'x'});")
                .rfind("THROWS TypeError", 0),
            0u);
}

TEST(RequestTest, BodyMethodsAndContentType) {
  EXPECT_EQ(
      evaluate(
          "const r = new Request('https://x/', {method: 'POST', body: '{\"n\":1}'});\n"
          "const b = new Request('https://x/', {method: 'PUT', body: new Uint8Array([1,2])});\n"
          "return [r.headers.get('content-type'), await r.json(), r.bodyUsed, "
          "b.headers.has('content-type'), [...new Uint8Array(await b.arrayBuffer())]];"),
      R"(["text/plain;charset=UTF-8",{"n":1},true,false,[1,2]])");
}

TEST(RequestTest, ConstructingFromARequestCopiesAndTakesTheBody) {
  EXPECT_EQ(
      evaluate("const a = new Request('https://x/p', {method: 'POST', body: 'data', headers: "
               "{k: 'v'}, redirect: 'manual'});\n"
               "const b = new Request(a, {headers: {k2: 'v2'}});\n"
               "return [b.method, b.url, b.redirect, [...b.headers], a.bodyUsed, await b.text()];"),
      R"(["POST","https://x/p","manual",[["k2","v2"]],true,"data"])");
  EXPECT_EQ(
      evaluate("const a = new Request('https://x/', {method: 'POST', body: 'x'}); await a.text();\n"
               "new Request(a);")
          .rfind("THROWS TypeError", 0),
      0u);
}

TEST(RequestTest, CloneKeepsBodyAndFieldsWithoutConsumingTheOriginal) {
  EXPECT_EQ(
      evaluate(
          "const a = new Request('https://x/', {method: 'POST', body: 'x', headers: {h: '1'}});\n"
          "const c = a.clone();\n"
          "return [a.bodyUsed, await c.text(), await a.text(), c.method, c.headers.get('h')];"),
      R"([false,"x","x","POST","1"])");
}

TEST(RequestTest, SignalDefaultsToANeverAbortedSignalAndFollowsInit) {
  EXPECT_EQ(evaluate("const plain = new Request('https://x/');\n"
                     "const controller = new AbortController(); controller.abort('stop');\n"
                     "const given = new Request('https://x/', {signal: controller.signal});\n"
                     "const copied = new Request(given);\n"
                     "return [plain.signal instanceof AbortSignal, plain.signal.aborted, "
                     "given.signal.aborted, copied.signal === controller.signal];"),
            R"([true,false,true,true])");
}

TEST(RequestTest, RelativeUrlsAndCredentialsAreTypeErrors) {
  EXPECT_EQ(evaluate("new Request('/relative');").rfind("THROWS TypeError", 0), 0u);
  EXPECT_EQ(evaluate("new Request('https://user:pw@x/');").rfind("THROWS TypeError", 0), 0u);
  EXPECT_EQ(evaluate("return new Request('HTTPS://EXAMPLE.com/a/../b').url;"),
            R"("https://example.com/b")");
}

TEST(RequestTest, InvalidRedirectModeIsATypeError) {
  EXPECT_EQ(evaluate("new Request('https://x/', {redirect: 'nope'});").rfind("THROWS TypeError", 0),
            0u);
}

TEST(FetchEventTest, ConstructorNeedsARequest) {
  EXPECT_EQ(evaluate("new FetchEvent('fetch');").rfind("THROWS TypeError", 0), 0u);
  EXPECT_EQ(evaluate("const e = new FetchEvent('fetch', {request: new Request('https://x/a')});\n"
                     "return [e.type, e.request.url];"),
            R"(["fetch","https://x/a"])");
}

TEST(FetchEventTest, ServiceWorkerEventHasRequestAndRejectsSecondRespondWith) {
  auto harness = Harness::single(
      "addEventListener('fetch', (e) => {\n"
      "  e.respondWith(new Response(e.request.url + ' ' + (e instanceof FetchEvent)));\n"
      "  try { e.respondWith(new Response('again')); } catch (err) { console.log('second "
      "respondWith rejected'); }\n"
      "});\n"
      "addEventListener('fetch', (e) => { /* a second listener sees the same event */ });\n",
      false);
  ::testing::internal::CaptureStderr();
  HttpResponse response = harness->fetch("main", "http://example.com/x");
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(response.body, "http://example.com/x true");
  EXPECT_NE(log.find("second respondWith rejected"), std::string::npos);
}

}  // namespace
}  // namespace wsup::worker::testing

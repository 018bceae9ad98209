// Request and Response bodies per the Fetch standard (WPT fetch/api/body/*,
// fetch/api/request/{request-init-stream,request-disturbed,request-consume}.any.js,
// fetch/api/response/{response-stream-disturbed-*,response-clone,response-consume-stream}.any.js,
// fetch/api/basic/request-headers... and xhr/formdata for the multipart round trips): `body` is
// null or a ReadableStream, whole bodies stay whole until `.body` is read, a stream made over a
// whole body and handed on untouched is taken whole, and the runtime's serializeResponse /
// toBodyBytes contract (worker/api/README.md).
#include <gtest/gtest.h>

#include <string>

#include "tests/worker/runtime_harness.h"
#include "worker/startup_snapshot.h"

namespace wsup::worker::testing {
namespace {

TEST(BodyTest, BodyIsNullOrAReadableStream) {
  EXPECT_EQ(evaluate("const r = new Response('x');\n"
                     "return [new Response().body, new Response(null).body,"
                     " new Request('http://a/').body, request.body,"
                     " r.body instanceof ReadableStream, r.body === r.body,"
                     " Object.prototype.toString.call(r.body), r.bodyUsed];"),
            R"([null,null,null,null,true,true,"[object ReadableStream]",false])");
}

TEST(BodyTest, ReadingTheStreamGivesTheBytesAndUsesTheBody) {
  EXPECT_EQ(
      evaluate("const r = new Response('héllo');\n"
               "const reader = r.body.getReader(); const chunks = [];\n"
               "for (;;) { const {value, done} = await reader.read(); if (done) break;"
               " chunks.push(...value); }\n"
               "let error; try { await r.text(); } catch (e) { error = e.name; }\n"
               "return [new TextDecoder().decode(new Uint8Array(chunks)), r.bodyUsed, error];"),
      R"(["héllo",true,"TypeError"])");
}

TEST(BodyTest, ALockedBodyCannotBeReadOrCloned) {
  EXPECT_EQ(evaluate("const r = new Response('x'); r.body.getReader();\n"
                     "let read, cloned, wrapped;\n"
                     "try { await r.arrayBuffer(); } catch (e) { read = e.name; }\n"
                     "try { r.clone(); } catch (e) { cloned = e.name; }\n"
                     "try { new Response(r.body); } catch (e) { wrapped = e.name; }\n"
                     "return [r.bodyUsed, read, cloned, wrapped];"),
            R"([false,"TypeError","TypeError","TypeError"])");
}

TEST(BodyTest, RewrappingAResponseKeepsItsBody) {
  // Hono's cors and every middleware that sets a header after next(): new Response(res.body, res).
  EXPECT_EQ(evaluate("const r = new Response('payload', {status: 201, headers: {a: '1'}});\n"
                     "const w = new Response(r.body, r); w.headers.set('b', '2');\n"
                     "const same = w.body === r.body;\n"
                     "const text = await w.text();\n"
                     "let again; try { await r.text(); } catch (e) { again = e.name; }\n"
                     "return [w.status, w.headers.get('a'), w.headers.get('b'), same, text,"
                     " r.bodyUsed, again];"),
            R"([201,"1","2",true,"payload",true,"TypeError"])");
}

TEST(BodyTest, UserStreamsAreReadChunkByChunk) {
  EXPECT_EQ(evaluate("const s = new ReadableStream({start(c) {"
                     " c.enqueue(new TextEncoder().encode('ab')); c.enqueue(new Uint8Array([99]));"
                     " c.enqueue(new Uint16Array([0x6564]).buffer); c.close(); }});\n"
                     "const r = new Response(s);\n"
                     "return [r.body === s, r.headers.get('content-type'), await r.text(),"
                     " r.bodyUsed];"),
            R"([true,null,"abcde",true])");
  EXPECT_EQ(evaluate("const s = new ReadableStream({start(c) { c.enqueue('text'); c.close(); }});"
                     "\nreturn await new Response(s).text();"),
            "THROWS TypeError: This ReadableStream did not return bytes.");
}

TEST(BodyTest, ADisturbedStreamCannotBecomeABody) {
  EXPECT_EQ(evaluate("const s = new ReadableStream({start(c) { c.enqueue(new Uint8Array(1)); }});"
                     "\nconst reader = s.getReader(); await reader.read(); reader.releaseLock();\n"
                     "new Response(s);"),
            "THROWS TypeError: The ReadableStream of a body must be neither read from nor "
            "locked.");
}

TEST(BodyTest, CloneTeesStreamsAndSharesWholeBodies) {
  EXPECT_EQ(evaluate("const s = new ReadableStream({start(c) {"
                     " c.enqueue(new Uint8Array([104, 105])); c.close(); }});\n"
                     "const r = new Response(s); const c = r.clone();\n"
                     "const whole = new Response('w'); const wc = whole.clone();\n"
                     // etag middleware: hashes res.clone().body, then sends res.
                     "const etag = new Response('tagged'); const tagged = etag.clone().body;\n"
                     "const reader = tagged.getReader(); const first = await reader.read();\n"
                     "return [await c.text(), await r.text(), r.body !== s, await wc.text(),"
                     " await whole.text(), first.value.length, await etag.text()];"),
            R"(["hi","hi",true,"w","w",6,"tagged"])");
}

TEST(BodyTest, ConsumersOfEveryKind) {
  EXPECT_EQ(evaluate("const r = () => new Response('ab', {headers: {'content-type': 'Text/X'}});\n"
                     "const bytes = await r().bytes(); const buffer = await r().arrayBuffer();\n"
                     "const blob = await r().blob();\n"
                     "return [bytes instanceof Uint8Array, [...bytes], buffer.byteLength,"
                     " blob instanceof Blob, blob.type, await blob.text(),"
                     " await new Response('\\ufeffbom').text(), (await r().json().catch((e) =>"
                     " e.name))];"),
            R"([true,[97,98],2,true,"text/x","ab","bom","SyntaxError"])");
}

TEST(BodyTest, BlobAndUrlSearchParamsBodies) {
  EXPECT_EQ(evaluate("const b = new Response(new Blob(['x'], {type: 'image/png'}));\n"
                     "const n = new Response(new Blob(['y']));\n"
                     "const u = new Response(new URLSearchParams({a: '1 2'}));\n"
                     "return [b.headers.get('content-type'), await b.text(),"
                     " n.headers.get('content-type'), u.headers.get('content-type'),"
                     " await u.text()];"),
            R"(["image/png","x",null,"application/x-www-form-urlencoded;charset=UTF-8","a=1+2"])");
}

TEST(BodyTest, FormDataRoundTripsThroughMultipart) {
  EXPECT_EQ(
      evaluate("const f = new FormData(); f.append('name', 'välue\\nline');\n"
               "f.append('fïle', new File(['bytes\\r\\n--x'], 'a \"q\".txt', {type: 'text/x'}));"
               "\nconst r = new Response(f); const type = r.headers.get('content-type');\n"
               "const back = await r.formData(); const file = back.get('fïle');\n"
               "return [/^multipart\\/form-data; boundary=\\S+$/.test(type),"
               " back.get('name'), file instanceof File, file.name, file.type,"
               " await file.text()];"),
      R"([true,"välue\r\nline",true,"a \"q\".txt","text/x","bytes\r\n--x"])");
}

TEST(BodyTest, FormDataParsesUrlEncodedBodies) {
  EXPECT_EQ(evaluate("const r = new Request('http://a/', {method: 'POST', body: 'a=1&b=%C3%A9+x',"
                     " headers: {'content-type': 'application/x-www-form-urlencoded'}});\n"
                     "const f = await r.formData(); return [...f];"),
            R"([["a","1"],["b","é x"]])");
}

TEST(BodyTest, MultipartParsingFollowsTheBoundaryAndRefusesMalformedBodies) {
  const std::string parse =
      "const parse = (body, type = 'multipart/form-data; boundary=\"XyZ\"') =>"
      " new Response(body, {headers: {'content-type': type}}).formData()"
      ".then((f) => JSON.stringify([...f].map(([k, v]) => typeof v === 'string' ? [k, v]"
      " : [k, v.name, v.type, v.size])), (e) => e.name + ': ' + e.message);\n";
  EXPECT_EQ(
      evaluate(parse +
               "return await parse('--XyZ\\r\\nContent-Disposition: form-data; name=\"a\"\\r\\n"
               "\\r\\n1\\r\\n--XyZ\\r\\nContent-Disposition: form-data; name=\"f\"; "
               "filename=\"f.bin\"\\r\\n\\r\\n\\r\\n--XyZ--\\r\\n');"),
      R"("[[\"a\",\"1\"],[\"f\",\"f.bin\",\"text/plain\",0]]")");
  EXPECT_EQ(evaluate(parse + "return await parse('--XyZ\\r\\n\\r\\nx\\r\\n--XyZ--');"),
            R"("TypeError: Failed to parse the body as multipart/form-data: a part has no )"
            R"(Content-Disposition name")");
  EXPECT_EQ(evaluate(parse + "return await parse('--XyZ\\r\\nContent-Disposition: form-data; "
                             "name=\"a\"\\r\\n\\r\\nnever closed');"),
            R"("TypeError: Failed to parse the body as multipart/form-data: a part is not )"
            R"(closed by the boundary")");
  EXPECT_EQ(evaluate(parse + "return await parse('garbage');"),
            R"("TypeError: Failed to parse the body as multipart/form-data: it does not start )"
            R"(with the boundary")");
  EXPECT_EQ(evaluate(parse + "return await parse('--XyZ--', 'multipart/form-data');"),
            R"("TypeError: Failed to parse the body as multipart/form-data: the Content-Type )"
            R"(has no usable boundary parameter")");
  EXPECT_EQ(evaluate(parse + "return await parse('a=1', 'text/plain');"),
            R"("TypeError: Failed to parse the body as FormData: its Content-Type is )"
            R"(\"text/plain\", not multipart/form-data or application/x-www-form-urlencoded")");
}

TEST(BodyTest, HostileMultipartIsRefusedWithoutBlowingUp) {
  // A megabyte of near-boundaries (CR LF - -) never closed: linear work, then a TypeError.
  EXPECT_EQ(
      evaluate("const body = '--B\\r\\nContent-Disposition: form-data; name=\"a\"\\r\\n\\r\\n'"
               " + '\\r\\n--'.repeat(1 << 18);\n"
               "return await new Response(body, {headers: {'content-type':"
               " 'multipart/form-data; boundary=B'}}).formData().then(() => 'parsed',"
               " (e) => e.name);"),
      R"("TypeError")");
}

TEST(RequestBodyTest, RequestMembersHaveTheStandardDefaults) {
  EXPECT_EQ(evaluate("const r = new Request('http://a/');\n"
                     "return [r.mode, r.credentials, r.cache, r.destination, r.referrer,"
                     " r.referrerPolicy, r.integrity, r.keepalive, r.duplex,"
                     " r.isReloadNavigation, r.isHistoryNavigation];"),
            R"(["cors","same-origin","default","","about:client","","",false,"half",false,)"
            R"(false])");
  EXPECT_EQ(evaluate("const r = new Request('http://a/', {mode: 'no-cors', cache: 'no-store',"
                     " credentials: 'include', integrity: 'sha256-x', keepalive: true});\n"
                     "const copy = new Request(r);\n"
                     "return [copy.mode, copy.cache, copy.credentials, copy.integrity,"
                     " copy.keepalive, request.mode];"),
            R"(["no-cors","no-store","include","sha256-x",true,"cors"])");
  EXPECT_EQ(
      evaluate("new Request('http://a/', {mode: 'navigate'});")
          .rfind("THROWS TypeError: Failed to construct 'Request': Cannot construct a Request", 0),
      0u);
  EXPECT_EQ(
      evaluate("new Request('http://a/', {cache: 'sometimes'});").rfind("THROWS TypeError", 0), 0u);
}

TEST(RequestBodyTest, ANewRequestTakesTheBodyAndTheOldOneIsUsed) {
  EXPECT_EQ(evaluate("const a = new Request('http://a/', {method: 'POST', body: 'data'});\n"
                     "// b as the init of c: c shares b's body, read later.\n"
                     "const b = new Request(a); const c = new Request('http://c/', b);\n"
                     "let again; try { new Request(a); } catch (e) { again = e.name; }\n"
                     "return [a.bodyUsed, b.bodyUsed, c.url, c.method, await c.text(), again];"),
            R"([true,false,"http://c/","POST","data","TypeError"])");
  EXPECT_EQ(evaluate("const s = new ReadableStream({start(c) { c.enqueue(new Uint8Array([120]));"
                     " c.close(); }});\n"
                     "const r = new Request('http://a/', {method: 'PUT', body: s, duplex: 'half'});"
                     "\nreturn [r.body === s, await new Request(r).text(), r.bodyUsed];"),
            R"([true,"x",true])");
}

TEST(RequestBodyTest, IncomingBodiesAreStreamsABodyLimitCanCount) {
  // Hono's bodyLimit: reads req.body chunk by chunk and refuses past the limit.
  auto harness = Harness::single(
      "export default { async fetch(request) {\n"
      "  if (request.body === null) return new Response('no body');\n"
      "  let size = 0; const reader = request.body.getReader();\n"
      "  for (;;) { const {value, done} = await reader.read(); if (done) break;\n"
      "    size += value.byteLength; if (size > 1024) return new Response('too big', {status: "
      "413}); }\n"
      "  return new Response(`ok ${size}`);\n"
      "} };\n",
      true);
  EXPECT_EQ(
      harness->fetch(make_request("main", "http://a/", "POST", {}, std::string(5000, 'x'))).status,
      413);
  HttpResponse small = harness->fetch(make_request("main", "http://a/", "POST", {}, "12345"));
  EXPECT_EQ(small.body, "ok 5");
  EXPECT_EQ(harness->fetch(make_request("main", "http://a/", "GET")).body, "no body");
}

TEST(ResponseBodyToRuntimeTest, RewrappedAndClonedBodiesReachTheClientWhole) {
  auto harness = Harness::single(
      "export default { async fetch(request) {\n"
      "  const big = new Uint8Array(1 << 20); for (let i = 0; i < big.length; i++) big[i] = i % "
      "251;\n"
      "  const inner = new Response(big, {headers: {'x-inner': '1'}});\n"
      "  const outer = new Response(inner.body, inner); outer.headers.set('x-outer', '2');\n"
      "  return outer;\n"
      "} };\n",
      true);
  HttpResponse response = harness->fetch();
  ASSERT_EQ(response.status, 200);
  ASSERT_EQ(response.body.size(), size_t{1} << 20);
  bool same = true;
  for (size_t i = 0; i < response.body.size(); ++i)
    same = same && static_cast<unsigned char>(response.body[i]) == i % 251;
  EXPECT_TRUE(same);
  ASSERT_NE(find_header(response, "x-outer"), nullptr);
}

TEST(ResponseBodyToRuntimeTest, AUsedResponseIsA500WithTheReason) {
  auto harness = Harness::single(
      "export default { async fetch() { const r = new Response('x'); await r.text(); return r; "
      "} };",
      true);
  HttpResponse response = harness->fetch();
  EXPECT_EQ(response.status, 500);
  EXPECT_NE(response.body.find("did not return a Response that can be sent"), std::string::npos);
}

// The runtime's side of the contract, called the way request_script.cc calls it.
class SerializeResponseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ensure_v8();
    allocator_.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = allocator_.get();
    isolate_ = v8::Isolate::New(params);
  }
  void TearDown() override { isolate_->Dispose(); }

  // Runs `body` as `(internal) => { body }` in a context with every wsup global; returns
  // JSON.stringify of its result once its promise (if any) settled.
  std::string run(const std::string& body) {
    v8::Isolate::Scope isolate_scope(isolate_);
    v8::HandleScope scope(isolate_);
    v8::Local<v8::Context> context = v8::Context::New(isolate_);
    v8::Context::Scope context_scope(context);
    v8::Local<v8::Object> internal = install_wsup_globals(context);
    v8::TryCatch try_catch(isolate_);
    const std::string source =
        "(async (internal) => { try { return JSON.stringify(await (async () => {" + body +
        "})()); } catch (e) { return 'THROWS ' + e.name + ': ' + e.message; } })";
    v8::Local<v8::Value> function, result;
    v8::Local<v8::Value> argv[] = {internal};
    if (!v8::Script::Compile(context,
                             v8::String::NewFromUtf8(isolate_, source.c_str()).ToLocalChecked())
             .ToLocalChecked()
             ->Run(context)
             .ToLocal(&function) ||
        !function.As<v8::Function>()->Call(context, context->Global(), 1, argv).ToLocal(&result)) {
      return "compile or call failed";
    }
    isolate_->PerformMicrotaskCheckpoint();
    v8::Local<v8::Promise> promise = result.As<v8::Promise>();
    if (promise->State() != v8::Promise::kFulfilled) return "PENDING";
    v8::String::Utf8Value text(isolate_, promise->Result());
    return *text;
  }

 private:
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
};

TEST_F(SerializeResponseTest, WholeBodiesComeWholeWithTheirLength) {
  EXPECT_EQ(run("const s = (r) => { const [status, headers, body, length] ="
                " internal.serializeResponse(r);"
                " return [status, headers, typeof body === 'string' ? body :"
                " body === null ? null : Array.from(body), length]; };\n"
                "const r = new Response('h\\u00e9', {status: 203});\n"
                "const wrapped = new Response(r.body, r);\n"
                "return [s(r), s(new Response(new Uint8Array([1, 2]))), s(new Response(null)),"
                " s(wrapped)];"),
            R"([[203,["content-type","text/plain;charset=UTF-8"],"hé",3],[200,[],[1,2],2],)"
            R"([200,[],null,null],[203,["content-type","text/plain;charset=UTF-8"],"hé",3]])");
}

TEST_F(SerializeResponseTest, StreamsComeAsStreamsWithADeclaredLengthWhenFixed) {
  EXPECT_EQ(run("const user = new ReadableStream();\n"
                "const fixed = new FixedLengthStream(5);\n"
                "const a = internal.serializeResponse(new Response(user));\n"
                "const b = internal.serializeResponse(new Response(fixed.readable));\n"
                "return [a[2] === user, a[3], b[2] === fixed.readable, b[3]];"),
            R"([true,null,true,5])");
}

TEST_F(SerializeResponseTest, UnusableResponsesAreNullWithAReason) {
  EXPECT_EQ(run("const used = new Response('x'); await used.text();\n"
                "const locked = new Response('y'); locked.body.getReader();\n"
                "const out = [];\n"
                "for (const value of [used, locked, Response.error(), {status: 200}, 'text']) {\n"
                "  out.push([internal.serializeResponse(value), internal.lastSerializeError]);\n"
                "}\n"
                "return out;"),
            R"([[null,"the Response cannot be sent: its body has already been read"],)"
            R"([null,"the Response cannot be sent: its body is locked to a reader"],)"
            R"x([null,"the handler returned Response.error()"],)x"
            R"([null,"the handler's result is not a Response"],)"
            R"([null,"the handler's result is not a Response"]])");
}

TEST_F(SerializeResponseTest, ToBodyBytesAcceptsBytesAndRefusesTheRest) {
  EXPECT_EQ(run("new ReadableStream();  // the family the helper lives in\n"
                "const out = [internal.toBodyBytes(new Uint8Array([1])),"
                " internal.toBodyBytes(new Uint16Array([0x0302])),"
                " internal.toBodyBytes(new Uint8Array([9, 4]).buffer)].map((b) =>"
                " [b instanceof Uint8Array, Array.from(b)]);\n"
                "for (const bad of ['s', 1, null, {}]) {\n"
                "  try { internal.toBodyBytes(bad); } catch (e) { out.push(e.name + ': ' +"
                " e.message); }\n"
                "}\n"
                "return out;"),
            R"([[true,[1]],[true,[2,3]],[true,[9,4]],)"
            R"("TypeError: This ReadableStream did not return bytes.",)"
            R"("TypeError: This ReadableStream did not return bytes.",)"
            R"("TypeError: This ReadableStream did not return bytes.",)"
            R"("TypeError: This ReadableStream did not return bytes."])");
}

}  // namespace
}  // namespace wsup::worker::testing

// performance, navigator, and how the globals are installed (WebIDL attributes, no leaks of
// the installer's private objects).
#include "tests/worker/web/js_test_fixture.h"
#include "worker/web/web_platform.h"

namespace wsup::test {
namespace {

using GlobalsTest = WebPlatformTest;

TEST_F(GlobalsTest, PerformanceNowIsMonotonicAndTracksTimeOrigin) {
  EXPECT_EQ(Eval("const a = performance.now(), b = performance.now();"
                 "typeof a === 'number' && a >= 0 && b >= a"),
            "true");
  EXPECT_EQ(Eval("Math.abs(performance.timeOrigin + performance.now() - Date.now()) < 1000"),
            "true");
  EXPECT_EQ(Eval("JSON.stringify(performance.toJSON()) === JSON.stringify({timeOrigin: "
                 "performance.timeOrigin})"),
            "true");
}

// Workers libraries (Hono's getRuntimeKey) pick their Cloudflare code paths from this string;
// cluster.yaml's user_agent changes it (runtime_globals_test checks that path).
TEST_F(GlobalsTest, NavigatorUserAgentIsCloudflareWorkersByDefault) {
  EXPECT_EQ(Eval("navigator.userAgent"), "Cloudflare-Workers");
}

TEST_F(GlobalsTest, SelfIsTheGlobalScope) {
  EXPECT_EQ(Eval("const d = Object.getOwnPropertyDescriptor(globalThis, 'self');"
                 "[self === globalThis, d.value === globalThis, d.writable, d.enumerable,"
                 " d.configurable].join()"),
            "true,true,true,false,true");
}

TEST_F(GlobalsTest, GlobalsAreNonEnumerableAndInstallerStateIsUnreachable) {
  EXPECT_EQ(Eval("Object.keys(globalThis).join(',')"), "");
  EXPECT_EQ(Eval("const d = Object.getOwnPropertyDescriptor(globalThis, 'URL');"
                 "[d.writable, d.enumerable, d.configurable].join(',')"),
            "true,false,true");
  EXPECT_EQ(Eval("[typeof natives, typeof internal, typeof URL, typeof TextDecoder, typeof "
                 "structuredClone, typeof atob, typeof crypto.subtle.digest].join(',')"),
            "undefined,undefined,function,function,function,function,function");
  // A user replacing a global does not break the APIs that use it internally.
  EXPECT_EQ(Eval("globalThis.DOMException = null; globalThis.URLSearchParams = null;"
                 "try { atob('*') } catch (e) { e.name + new URL('http://h/?a=1').searchParams"
                 ".get('a') }"),
            "InvalidCharacterError1");
}

TEST_F(GlobalsTest, InstallFailureReturnsFalseWithTheExceptionPending) {
  v8::Isolate::Scope isolate_scope(isolate());
  v8::HandleScope scope(isolate());
  v8::Local<v8::Context> sealed = v8::Context::New(isolate());
  ASSERT_EQ(EvalIn(sealed, "Object.preventExtensions(globalThis); 'sealed'"), "sealed");
  v8::TryCatch try_catch(isolate());
  EXPECT_FALSE(worker::web::install_web_platform(sealed));
  ASSERT_TRUE(try_catch.HasCaught());
  v8::Context::Scope context_scope(sealed);  // ToString of the exception needs a context
  v8::String::Utf8Value message(isolate(), try_catch.Exception());
  EXPECT_EQ(std::string(*message).rfind("TypeError", 0), 0u) << *message;
}

}  // namespace
}  // namespace wsup::test

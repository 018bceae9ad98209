// Proves the runtime can bake the web platform into a V8 startup snapshot: install under
// v8::SnapshotCreator, create the blob, start a new isolate from it with the external
// references, and use the APIs in a context deserialized from it.
#include <memory>
#include <vector>

#include "tests/worker/web/js_test_fixture.h"
#include "tests/worker/web/web_platform_snapshot.h"

namespace wsup::test {
namespace {

// For the one V8Engine per binary; the parameter is how the blob treats compiled code.
class SnapshotTest
    : public WebPlatformTest,
      public ::testing::WithParamInterface<v8::SnapshotCreator::FunctionCodeHandling> {};

TEST_P(SnapshotTest, ApisWorkInAContextDeserializedFromASnapshot) {
  const std::vector<intptr_t> references = WebPlatformReferences();
  StartupBlob blob;
  ASSERT_TRUE(MakeWebPlatformSnapshot(references, blob, GetParam()));
  ASSERT_NE(blob.data.data, nullptr);
  ASSERT_GT(blob.data.raw_size, 0);

  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(
      v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.snapshot_blob = &blob.data;
  params.external_references = references.data();
  params.array_buffer_allocator = allocator.get();
  v8::Isolate* isolate = v8::Isolate::New(params);
  {
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope scope(isolate);
    for (int round = 0; round < 2; ++round) {  // two contexts: each gets its own copy
      v8::Local<v8::Context> context = v8::Context::New(isolate);
      EXPECT_EQ(EvalIn(context, "new URL('../c?x=1', 'http://EXAMPLE.com:80/a/b').href"),
                "http://example.com/c?x=1");
      EXPECT_EQ(EvalIn(context, "new TextDecoder().decode(new TextEncoder().encode('\\u20ac'))"),
                "\u20AC");
      EXPECT_EQ(EvalIn(context, "btoa('hi') + atob('aGk=')"), "aGk=hi");
      EXPECT_EQ(EvalIn(context, "structuredClone(new Map([[1, 2]])).get(1)"), "2");
      EXPECT_EQ(EvalIn(context,
                       "crypto.randomUUID().length + ',' + "
                       "crypto.getRandomValues(new Uint8Array(4)).length"),
                "36,4");
      EXPECT_EQ(EvalIn(context,
                       "const c = new AbortController(); c.abort(); "
                       "c.signal.reason.name"),
                "AbortError");
      EXPECT_EQ(
          EvalIn(context, "performance.now() >= 0 && navigator.userAgent === 'Cloudflare-Workers'"),
          "true");
      EXPECT_EQ(EvalIn(context,
                       "globalThis.mark === undefined ? (globalThis.mark = 1, 'fresh') "
                       ": 'leaked'"),
                "fresh");
      EXPECT_EQ(
          EvalIn(context,
                 "globalThis.hex = ''; crypto.subtle.digest('SHA-1', new Uint8Array(0))"
                 ".then((b) => { globalThis.hex = new Uint8Array(b)[0].toString(16); }); 'ok'"),
          "ok");
      isolate->PerformMicrotaskCheckpoint();
      EXPECT_EQ(EvalIn(context, "hex"), "da");  // SHA-1('') = da39a3ee...
    }
  }
  isolate->Dispose();
}

INSTANTIATE_TEST_SUITE_P(CodeHandling, SnapshotTest,
                         ::testing::Values(v8::SnapshotCreator::FunctionCodeHandling::kKeep,
                                           v8::SnapshotCreator::FunctionCodeHandling::kClear),
                         [](const auto& test_param) {
                           return test_param.param ==
                                          v8::SnapshotCreator::FunctionCodeHandling::kKeep
                                      ? "KeepCode"
                                      : "ClearCode";
                         });

}  // namespace
}  // namespace wsup::test

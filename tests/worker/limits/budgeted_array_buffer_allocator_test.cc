// BudgetedArrayBufferAllocator: past the budget JavaScript gets a RangeError, and the
// accounting follows backing stores back to zero.
#include "worker/limits/budgeted_array_buffer_allocator.h"

#include <gtest/gtest.h>

#include "tests/support/eventually.h"
#include "tests/worker/limits/v8_test_support.h"

namespace wsup::worker::limits {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

TEST(BudgetedArrayBufferAllocatorTest, RefusesPastTheBudgetAndCountsBytes) {
  BudgetedArrayBufferAllocator allocator(4 * kMiB);
  void* a = allocator.Allocate(3 * kMiB);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(static_cast<unsigned char*>(a)[3 * kMiB - 1], 0);  // zeroed
  EXPECT_EQ(allocator.AllocateUninitialized(2 * kMiB), nullptr);
  EXPECT_EQ(allocator.refusals(), 1u);
  EXPECT_EQ(allocator.bytes_in_use(), 3 * kMiB);
  EXPECT_EQ(allocator.Reallocate(a, 3 * kMiB, 5 * kMiB), nullptr);  // a is still valid
  EXPECT_EQ(allocator.bytes_in_use(), 3 * kMiB);
  void* b = allocator.Reallocate(a, 3 * kMiB, 4 * kMiB);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(static_cast<unsigned char*>(b)[4 * kMiB - 1], 0);  // grown tail zeroed
  EXPECT_EQ(allocator.bytes_in_use(), 4 * kMiB);
  b = allocator.Reallocate(b, 4 * kMiB, kMiB);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(allocator.bytes_in_use(), kMiB);
  allocator.Free(b, kMiB);
  EXPECT_EQ(allocator.bytes_in_use(), 0u);
}

TEST(BudgetedArrayBufferAllocatorTest, HugeArrayBufferIsARangeErrorNotADeadProcess) {
  auto allocator = BudgetedArrayBufferAllocator::create(64 * kMiB);
  testing::IsolatePtr isolate = testing::new_isolate(0, allocator);
  EXPECT_EQ(testing::run_js(isolate.get(), "new ArrayBuffer(2 ** 31)").rfind("threw RangeError", 0),
            0u);
  EXPECT_GE(allocator->refusals(), 1u);
  // Within the budget, buffers still work on the same isolate.
  EXPECT_EQ(testing::run_js(isolate.get(), "new Uint8Array(1024).fill(7)[1023]"), "7");
}

TEST(BudgetedArrayBufferAllocatorTest, AccountingReturnsToZeroAfterGcAndDispose) {
  auto allocator = BudgetedArrayBufferAllocator::create(64 * kMiB);
  testing::IsolatePtr isolate = testing::new_isolate(0, allocator);
  {
    v8::Isolate::Scope isolate_scope(isolate.get());
    v8::HandleScope handle_scope(isolate.get());
    v8::Local<v8::Context> context = v8::Context::New(isolate.get());
    v8::Context::Scope context_scope(context);
    auto source = v8::String::NewFromUtf8Literal(
        isolate.get(), "globalThis.kept = new ArrayBuffer(4 * 1024 * 1024); kept.byteLength");
    v8::Script::Compile(context, source).ToLocalChecked()->Run(context).ToLocalChecked();
    EXPECT_GE(allocator->bytes_in_use(), 4 * kMiB);
  }
  // The context is gone; a full GC frees the buffer (sweeping may finish on a V8 thread).
  const bool freed = wsup::testing::eventually([&] {
    isolate->LowMemoryNotification();
    return allocator->bytes_in_use() == 0;
  });
  EXPECT_TRUE(freed) << allocator->bytes_in_use() << " bytes still in use";

  // Buffers still alive at dispose are freed with the isolate.
  EXPECT_EQ(testing::run_js(isolate.get(), "globalThis.kept = new ArrayBuffer(1 << 20); 1"), "1");
  isolate.reset();
  EXPECT_EQ(allocator->bytes_in_use(), 0u);
}

}  // namespace
}  // namespace wsup::worker::limits

// RecyclingPageAllocator on top of V8's own page allocator (from a default platform that is
// never handed to V8): what it parks, what it hands back, and in what state.
#include "worker/recycling_page_allocator.h"

#include <gtest/gtest.h>
#include <libplatform/libplatform.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace wsup::worker {
namespace {

constexpr size_t kPage = size_t{256} << 10;

class RecyclingPageAllocatorTest : public ::testing::Test {
 protected:
  std::unique_ptr<v8::Platform> platform_ = v8::platform::NewDefaultPlatform(1);
  v8::PageAllocator& system_ = *platform_->GetPageAllocator();
};

TEST_F(RecyclingPageAllocatorTest, AFreedPageIsHandedBackZeroFilledWithoutANewMapping) {
  RecyclingPageAllocator pages(system_, kPage, 4);
  auto* first = static_cast<unsigned char*>(
      pages.AllocatePages(nullptr, kPage, kPage, v8::PageAllocator::kReadWrite));
  ASSERT_NE(first, nullptr);
  std::memset(first, 0xAB, kPage);
  ASSERT_TRUE(pages.FreePages(first, kPage));
  EXPECT_EQ(pages.parked(), 1u);

  auto* second = static_cast<unsigned char*>(
      pages.AllocatePages(nullptr, kPage, kPage, v8::PageAllocator::kReadWrite));
  EXPECT_EQ(second, first);
  EXPECT_EQ(pages.reused(), 1u);
  EXPECT_EQ(pages.parked(), 0u);
  EXPECT_TRUE(std::all_of(second, second + kPage, [](unsigned char b) { return b == 0; }));
  pages.FreePages(second, kPage);
}

// V8 reserves with no access and then commits with SetPermissions: a recycled page must take
// that path too, and keep its contents zero, even if V8 had uncommitted it before freeing it.
TEST_F(RecyclingPageAllocatorTest, ARecycledPageCanBeReservedThenCommitted) {
  RecyclingPageAllocator pages(system_, kPage, 4);
  void* first = pages.AllocatePages(nullptr, kPage, kPage, v8::PageAllocator::kReadWrite);
  std::memset(first, 0x5A, kPage);
  ASSERT_TRUE(pages.SetPermissions(first, kPage, v8::PageAllocator::kNoAccess));
  pages.FreePages(first, kPage);
  auto* reserved = static_cast<unsigned char*>(
      pages.AllocatePages(nullptr, kPage, kPage, v8::PageAllocator::kNoAccess));
  ASSERT_EQ(reserved, first);
  ASSERT_TRUE(pages.SetPermissions(reserved, kPage, v8::PageAllocator::kReadWrite));
  EXPECT_EQ(reserved[0], 0);
  EXPECT_EQ(reserved[kPage - 1], 0);
  pages.FreePages(reserved, kPage);
}

TEST_F(RecyclingPageAllocatorTest, ParksAtMostItsCapacityAndOnlyItsSize) {
  RecyclingPageAllocator pages(system_, kPage, 2);
  std::vector<void*> regions;
  for (int i = 0; i < 3; ++i)
    regions.push_back(pages.AllocatePages(nullptr, kPage, kPage, v8::PageAllocator::kReadWrite));
  void* larger = pages.AllocatePages(nullptr, 2 * kPage, kPage, v8::PageAllocator::kReadWrite);
  ASSERT_NE(larger, nullptr);
  EXPECT_TRUE(pages.FreePages(larger, 2 * kPage));
  EXPECT_EQ(pages.parked(), 0u);
  for (void* region : regions) EXPECT_TRUE(pages.FreePages(region, kPage));
  EXPECT_EQ(pages.parked(), 2u);
}

}  // namespace
}  // namespace wsup::worker

#include "worker/worker_platform.h"

namespace wsup::worker {
namespace {

// V8's regular heap page (kPageSize in V8 10.2's globals.h: 1 << 18). Large objects and code
// get other sizes and are not recycled.
constexpr size_t kHeapPageBytes = size_t{256} << 10;
// 64 pages, 16 MiB per worker process: more than the old space a worker frees between two
// mark-sweeps at its default heap size (~12 MiB, --trace-gc), so most frees are recycled.
constexpr size_t kParkedPages = 64;

}  // namespace

WorkerPlatform::WorkerPlatform(std::unique_ptr<v8::Platform> default_platform)
    : default_(std::move(default_platform)),
      pages_(std::make_unique<RecyclingPageAllocator>(*default_->GetPageAllocator(), kHeapPageBytes,
                                                      kParkedPages)) {}

WorkerPlatform::~WorkerPlatform() = default;

}  // namespace wsup::worker

// WebAssembly memories count against their isolate's ArrayBuffer budget.
//
// V8 does not take a WebAssembly.Memory from the isolate's ArrayBuffer::Allocator: it reserves
// address space from the platform's page allocator (the memory's maximum size, up to 4 GiB)
// and commits the initial pages with SetPermissions, later pages as the memory grows. So this
// page allocator sits in front of the others (WorkerPlatform) and charges those commits to the
// account of the isolate on whose thread the memory was made:
// - a reservation is a WebAssembly memory when it asks for no access with an alignment of 64 KiB
//   (a WebAssembly page; V8's heap asks for 256 KiB). It is refused when the account has no room
//   left at all: `new WebAssembly.Memory()` throws a RangeError.
// - its first commit (the initial pages) cannot be refused: V8 ends the process when it fails.
//   It is charged anyway, and an account that goes over says so (`over_budget`): the runtime
//   stops the isolate's JavaScript and treats it as out of memory (503, isolate replaced). A
//   memory larger than the whole budget is refused before that, by V8's --wasm-max-mem-pages
//   (set from the budget: set_max_pages).
// - later commits (Memory.grow, memory.grow) are refused past the budget: grow() throws a
//   RangeError, memory.grow returns -1.
// - freeing the reservation gives back what was charged, on whatever thread V8 frees it.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include <v8-platform.h>

#include "worker/forwarding_page_allocator.h"

namespace v8 {
class Isolate;
}

namespace wsup::worker {

// How one isolate's WebAssembly memory is charged (its ArrayBuffer budget). Any thread.
struct WasmMemoryAccount {
  std::function<bool(size_t bytes)> try_charge;  // false: past the budget, nothing charged
  std::function<bool(size_t bytes)> charge;      // cannot be refused: false when it went past
  std::function<void(size_t bytes)> uncharge;
  std::function<bool()> has_room;
  std::function<void()> over_budget;  // on the isolate's thread, right after `charge` went past
};

class WasmMemoryPageAllocator final : public ForwardingPageAllocator {
 public:
  static constexpr size_t kWasmPageBytes = 64 * 1024;

  explicit WasmMemoryPageAllocator(v8::PageAllocator& next) : ForwardingPageAllocator(next) {}

  // The account of `isolate` (opened right after Isolate::New, closed before Dispose). Memories
  // still alive when it closes keep charging what they hold to it until they are freed.
  static void open_account(v8::Isolate* isolate, WasmMemoryAccount account);
  static void close_account(v8::Isolate* isolate);
  // The largest memory one isolate may make, in bytes: --wasm-max-mem-pages (process-wide).
  static void set_max_bytes(size_t bytes);

  void* AllocatePages(void* hint, size_t length, size_t alignment, Permission permissions) override;
  bool FreePages(void* address, size_t length) override;
  bool SetPermissions(void* address, size_t length, Permission permissions) override;

  // Bytes of WebAssembly memory committed now, over all isolates (tests, diagnostics).
  size_t committed_bytes() const;

 private:
  struct Memory {
    size_t reserved = 0;
    size_t committed = 0;
    std::shared_ptr<WasmMemoryAccount> account;  // null: made outside any known isolate
  };

  mutable std::mutex mutex_;
  std::map<char*, Memory> memories_;  // by reservation start
};

}  // namespace wsup::worker

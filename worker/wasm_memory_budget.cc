#include "worker/wasm_memory_budget.h"

#include <algorithm>
#include <string>

#include <v8-initialization.h>
#include <v8-isolate.h>

namespace wsup::worker {
namespace {

std::mutex g_accounts_mutex;
std::map<v8::Isolate*, std::shared_ptr<WasmMemoryAccount>> g_accounts;

std::shared_ptr<WasmMemoryAccount> account_of(v8::Isolate* isolate) {
  if (isolate == nullptr) return nullptr;
  std::lock_guard lock(g_accounts_mutex);
  auto it = g_accounts.find(isolate);
  return it == g_accounts.end() ? nullptr : it->second;
}

}  // namespace

void WasmMemoryPageAllocator::open_account(v8::Isolate* isolate, WasmMemoryAccount account) {
  std::lock_guard lock(g_accounts_mutex);
  g_accounts[isolate] = std::make_shared<WasmMemoryAccount>(std::move(account));
}

void WasmMemoryPageAllocator::close_account(v8::Isolate* isolate) {
  std::lock_guard lock(g_accounts_mutex);
  g_accounts.erase(isolate);
}

void WasmMemoryPageAllocator::set_max_bytes(size_t bytes) {
  const size_t pages = std::clamp<size_t>(bytes / kWasmPageBytes, 1, 65536);
  v8::V8::SetFlagsFromString(("--wasm-max-mem-pages=" + std::to_string(pages)).c_str());
}

void* WasmMemoryPageAllocator::AllocatePages(void* hint, size_t length, size_t alignment,
                                             Permission permissions) {
  if (alignment != kWasmPageBytes || permissions != kNoAccess)
    return next_.AllocatePages(hint, length, alignment, permissions);
  // A WebAssembly memory, made on the thread of the isolate that runs the script.
  std::shared_ptr<WasmMemoryAccount> account = account_of(v8::Isolate::TryGetCurrent());
  if (account && !account->has_room()) return nullptr;  // V8 throws a RangeError
  void* start = next_.AllocatePages(hint, length, alignment, permissions);
  if (start == nullptr) return nullptr;
  std::lock_guard lock(mutex_);
  memories_[static_cast<char*>(start)] = Memory{length, 0, std::move(account)};
  return start;
}

bool WasmMemoryPageAllocator::SetPermissions(void* address, size_t length, Permission permissions) {
  std::shared_ptr<WasmMemoryAccount> went_over;
  {
    std::unique_lock lock(mutex_);
    auto it = memories_.find(static_cast<char*>(address));
    // V8 commits a memory's pages from its start: the initial size, then the size after growing.
    if (it == memories_.end() || permissions != kReadWrite || length <= it->second.committed ||
        !it->second.account) {
      lock.unlock();
      return next_.SetPermissions(address, length, permissions);
    }
    Memory& memory = it->second;
    const size_t more = length - memory.committed;
    const bool first = memory.committed == 0;
    if (first) {
      // A failed first commit would end the process: charged even past the budget.
      if (!memory.account->charge(more)) went_over = memory.account;
    } else if (!memory.account->try_charge(more)) {
      return false;  // grow() throws a RangeError; memory.grow gives -1
    }
    if (!next_.SetPermissions(address, length, permissions)) {
      memory.account->uncharge(more);
      return false;
    }
    memory.committed = length;
  }
  // Past the budget with a memory it could not refuse: the isolate is out of memory.
  if (went_over) went_over->over_budget();
  return true;
}

bool WasmMemoryPageAllocator::FreePages(void* address, size_t length) {
  {
    std::lock_guard lock(mutex_);
    auto it = memories_.find(static_cast<char*>(address));
    if (it != memories_.end()) {
      if (it->second.account) it->second.account->uncharge(it->second.committed);
      memories_.erase(it);
    }
  }
  return next_.FreePages(address, length);
}

size_t WasmMemoryPageAllocator::committed_bytes() const {
  std::lock_guard lock(mutex_);
  size_t total = 0;
  for (const auto& [start, memory] : memories_) total += memory.committed;
  return total;
}

}  // namespace wsup::worker

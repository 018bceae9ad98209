#include "worker/web/runtime_hooks.h"

#include <atomic>

namespace wsup::worker::web {
namespace {

// Written before the runtime's first isolate exists and read by the natives afterwards; relaxed
// suffices because every writer stores the same functions (the hooks are process constants).
std::atomic<bool (*)(v8::Isolate*, const char*)> g_allow_random{nullptr};
std::atomic<bool (*)()> g_clock_frozen{nullptr};
std::atomic<void (*)(v8::Isolate*, const char*)> g_native_state_made{nullptr};
std::atomic<void (*)(v8::Isolate*)> g_weak_collections_made{nullptr};

}  // namespace

void set_runtime_hooks(const RuntimeHooks& hooks) {
  g_allow_random.store(hooks.allow_random, std::memory_order_relaxed);
  g_clock_frozen.store(hooks.clock_frozen, std::memory_order_relaxed);
  g_native_state_made.store(hooks.native_state_made, std::memory_order_relaxed);
  g_weak_collections_made.store(hooks.weak_collections_made, std::memory_order_relaxed);
}

bool random_allowed(v8::Isolate* isolate, const char* what) {
  auto allow = g_allow_random.load(std::memory_order_relaxed);
  return allow == nullptr || allow(isolate, what);
}

bool clock_frozen() {
  auto frozen = g_clock_frozen.load(std::memory_order_relaxed);
  return frozen != nullptr && frozen();
}

void note_native_state(v8::Isolate* isolate, const char* what) {
  auto made = g_native_state_made.load(std::memory_order_relaxed);
  if (made != nullptr) made(isolate, what);
}

void note_weak_collections(v8::Isolate* isolate) {
  auto made = g_weak_collections_made.load(std::memory_order_relaxed);
  if (made != nullptr) made(isolate);
}

}  // namespace wsup::worker::web

// What each context from the runtime's startup snapshot carries: V8 heap snapshots taken with 1
// and with 1 + N live contexts, their nodes grouped by type and name (a closure's function name,
// an object's constructor, V8's "system / Map" and the like), and the difference divided by N,
// largest first. For finding what a per-request context pays to deserialize; not a benchmark.
//
//   build/release/tests/bench/context_inventory [N=50] [rows=60] [bare]
// (`bare`: V8's own snapshot, without wsup's globals, to compare with.)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <v8-profiler.h>
#include <v8.h>

#include "shared/log.h"
#include "tests/worker/runtime_harness.h"
#include "worker/startup_snapshot.h"

namespace {

struct Group {
  double count = 0;
  double bytes = 0;
};

const char* type_name(v8::HeapGraphNode::Type type) {
  switch (type) {
    case v8::HeapGraphNode::kHidden:
      return "hidden";
    case v8::HeapGraphNode::kArray:
      return "array";
    case v8::HeapGraphNode::kString:
      return "string";
    case v8::HeapGraphNode::kObject:
      return "object";
    case v8::HeapGraphNode::kCode:
      return "code";
    case v8::HeapGraphNode::kClosure:
      return "closure";
    case v8::HeapGraphNode::kRegExp:
      return "regexp";
    case v8::HeapGraphNode::kHeapNumber:
      return "number";
    case v8::HeapGraphNode::kNative:
      return "native";
    case v8::HeapGraphNode::kSynthetic:
      return "synthetic";
    case v8::HeapGraphNode::kConsString:
      return "cons string";
    case v8::HeapGraphNode::kSlicedString:
      return "sliced string";
    case v8::HeapGraphNode::kSymbol:
      return "symbol";
    case v8::HeapGraphNode::kBigInt:
      return "bigint";
    default:
      return "other";
  }
}

std::map<std::string, Group> inventory(v8::Isolate* isolate) {
  isolate->LowMemoryNotification();
  const v8::HeapSnapshot* snapshot = isolate->GetHeapProfiler()->TakeHeapSnapshot();
  std::map<std::string, Group> groups;
  for (int i = 0; i < snapshot->GetNodesCount(); ++i) {
    const v8::HeapGraphNode* node = snapshot->GetNode(i);
    v8::String::Utf8Value name(isolate, node->GetName());
    std::string key = std::string(type_name(node->GetType())) + " " +
                      std::string(*name, std::min<size_t>(name.length(), 70));
    Group& group = groups[key];
    group.count += 1;
    group.bytes += static_cast<double>(node->GetShallowSize());
  }
  if (std::getenv("INVENTORY_BIG") != nullptr) {
    // Who holds the large property stores (INVENTORY_BIG=bytes).
    const int threshold = std::atoi(std::getenv("INVENTORY_BIG"));
    for (int i = 0; i < snapshot->GetNodesCount(); ++i) {
      const v8::HeapGraphNode* node = snapshot->GetNode(i);
      for (int e = 0; e < node->GetChildrenCount(); ++e) {
        const v8::HeapGraphNode* child = node->GetChild(e)->GetToNode();
        if (child->GetShallowSize() < static_cast<size_t>(threshold)) continue;
        if (child->GetType() != v8::HeapGraphNode::kArray) continue;
        v8::String::Utf8Value parent(isolate, node->GetName());
        v8::String::Utf8Value name(isolate, child->GetName());
        std::printf("big: %zu %s <- %s %s (%d children)\n", child->GetShallowSize(), *name,
                    type_name(node->GetType()), *parent, child->GetChildrenCount());
      }
    }
  }
  const_cast<v8::HeapSnapshot*>(snapshot)->Delete();
  return groups;
}

}  // namespace

int main(int argc, char** argv) {
  const int contexts = argc > 1 ? std::atoi(argv[1]) : 50;
  const size_t rows = argc > 2 ? static_cast<size_t>(std::atoi(argv[2])) : 60;
  wsup::worker::testing::ensure_v8();
  wsup::log::set_level(wsup::log::Level::warn);
  const wsup::worker::StartupSnapshot& startup = wsup::worker::StartupSnapshot::instance();
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(
      v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator.get();
  if (argc <= 3 || std::string(argv[3]) != "bare") {
    params.snapshot_blob = startup.blob();
    params.external_references = startup.external_references();
  }
  v8::Isolate* isolate = v8::Isolate::New(params);
  {
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope scope(isolate);
    std::vector<v8::Local<v8::Context>> live{v8::Context::New(isolate)};
    const std::map<std::string, Group> before = inventory(isolate);
    for (int i = 0; i < contexts; ++i) live.push_back(v8::Context::New(isolate));
    const std::map<std::string, Group> after = inventory(isolate);
    std::vector<std::pair<std::string, Group>> per_context;
    Group total;
    for (const auto& [key, group] : after) {
      Group difference = group;
      if (auto found = before.find(key); found != before.end()) {
        difference.count -= found->second.count;
        difference.bytes -= found->second.bytes;
      }
      difference.count /= contexts;
      difference.bytes /= contexts;
      total.count += difference.count;
      total.bytes += difference.bytes;
      if (difference.count > 0.01 || difference.bytes > 1)
        per_context.emplace_back(key, difference);
    }
    std::sort(per_context.begin(), per_context.end(),
              [](const auto& a, const auto& b) { return a.second.bytes > b.second.bytes; });
    std::printf("per context: %.1f objects, %.0f bytes\n", total.count, total.bytes);
    for (size_t i = 0; i < std::min(rows, per_context.size()); ++i) {
      std::printf("%8.1f %9.0f  %s\n", per_context[i].second.count, per_context[i].second.bytes,
                  per_context[i].first.c_str());
    }
  }
  isolate->Dispose();
  return 0;
}

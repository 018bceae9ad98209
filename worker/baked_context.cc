#include "worker/baked_context.h"

#include <set>
#include <string>

#include "worker/web/web_platform.h"

namespace wsup::worker {
namespace {

// A family by one of its globals, so that reordering the families cannot break the rules.
size_t family_defining(std::string_view global) {
  const auto families = web::lazy_family_globals();
  for (size_t i = 0; i < families.size(); ++i) {
    for (std::string_view name : families[i])
      if (name == global) return i;
  }
  return families.size();
}
size_t url_family() {
  return family_defining("URL");
}
size_t dom_exception_family() {
  return family_defining("DOMException");
}
size_t abort_family() {
  return family_defining("AbortController");
}
size_t subtle_family() {
  return family_defining("SubtleCrypto");
}
// Scripts reach SubtleCrypto as crypto.subtle more often than by its globals' names.
constexpr std::string_view kSubtleWord = "subtle";

bool names_any(const std::string& text, const std::vector<std::string_view>& globals) {
  for (std::string_view name : globals)
    if (text.find(name) != std::string::npos) return true;
  return false;
}

}  // namespace

std::vector<size_t> families_baked_into(BakedContext kind) {
  switch (kind) {
    case BakedContext::plain:
      return {};
    case BakedContext::url:
      return {url_family()};
    case BakedContext::all:
    case BakedContext::crypto: {
      // Never the large families (streams, Blob/FormData): deserializing one of those costs
      // every request about what building it costs the requests that use it.
      std::vector<size_t> families;
      for (size_t i = 0; i < web::lazy_family_globals().size(); ++i) {
        if (web::lazy_family_built_on_first_use_only(i)) continue;
        if (kind == BakedContext::crypto || i != subtle_family()) families.push_back(i);
      }
      return families;
    }
  }
  return {};
}

BakedContext baked_context_for(const std::vector<LoadedScript>& scripts) {
  const auto families = web::lazy_family_globals();
  std::set<size_t> named;
  for (const LoadedScript& script : scripts) {
    std::vector<const std::string*> texts{&script.source};
    for (const ModuleFile& file : script.modules) texts.push_back(&file.source);
    for (const std::string* text : texts) {
      // A family built on first use only is never baked: it decides nothing here.
      for (size_t i = 0; i < families.size(); ++i)
        if (!web::lazy_family_built_on_first_use_only(i) && names_any(*text, families[i]))
          named.insert(i);
      if (text->find(kSubtleWord) != std::string::npos) named.insert(subtle_family());
    }
  }
  // Measured (runtime_bench BM_HmacSignRequest): building crypto and SubtleCrypto on first use
  // costs a request ~360 µs, starting from `crypto` ~200 (deserializing every family included).
  if (named.contains(subtle_family())) return BakedContext::crypto;
  // Aborting makes a DOMException (the abort reason), so abort's common path runs that family.
  if (named.contains(abort_family())) named.insert(dom_exception_family());
  // Measured (runtime_bench, docs/PERFORMANCE.md): over `plain`, `url` costs ~30 µs per
  // context and `all` ~75; building a family on first use costs 40-50 µs (URL ~135,
  // DOMException ~110). So one family other than URL or DOMException is cheaper left lazy.
  if (named.empty()) return BakedContext::plain;
  if (named == std::set<size_t>{url_family()}) return BakedContext::url;
  if (named.size() == 1 && !named.contains(dom_exception_family())) return BakedContext::plain;
  return BakedContext::all;
}

std::string_view to_string(BakedContext kind) {
  switch (kind) {
    case BakedContext::plain:
      return "plain";
    case BakedContext::url:
      return "url";
    case BakedContext::all:
      return "all";
    case BakedContext::crypto:
      return "crypto";
  }
  return "?";
}

}  // namespace wsup::worker

// Route lookup: (host, path) -> the script that serves it. Built once per config (load/reload),
// then read concurrently by every HTTP thread without locks or allocation.
//
// Precedence, most specific first (docs/CONFIG.md "Routes"):
//   1. exact host ("api.example.com") beats wildcard host ("*.example.com") beats any host ("/x/*",
//      "*/x/*"); among wildcard hosts the longer suffix wins;
//   2. within the same host class, an exact path ("/health") beats any prefix pattern, and a longer
//      prefix ("/api/v1/*") beats a shorter one ("/api/*", "/*");
//   3. on a complete tie, the route written first in the config wins (validation warns about exact
//      duplicates as errors).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/cluster_config.h"

namespace wsup::config {

class Router {
 public:
  static constexpr int kNoMatch = -1;

  Router() = default;
  explicit Router(const ClusterConfig& config);

  // Index into config.scripts of the script serving this request, or kNoMatch (-> 404).
  // `host` may carry a ":port" suffix and any letter case; `path` must start with '/' and may carry
  // a
  // "?query" (ignored). No allocation, no locks: safe from any number of threads at once.
  int match(std::string_view host, std::string_view path) const noexcept;

  // Script name for match()'s result, for logs.
  const std::string& script_name(int index) const {
    return script_names_.at(static_cast<size_t>(index));
  }

  struct Entry {
    std::string host;  // lower case; "" = any host; "*.example.com" stored as suffix ".example.com"
    bool host_wildcard = false;
    std::string path;  // prefix without the trailing '*', or the exact path
    bool path_prefix = false;
    int script = kNoMatch;
  };

 private:
  std::vector<Entry> entries_;  // sorted most specific first; match() returns the first hit
  std::vector<std::string> script_names_;
};

}  // namespace wsup::config

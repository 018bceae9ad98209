#include "config/router.h"

#include <algorithm>
#include <tuple>

#include "shared/ascii.h"

namespace wsup::config {
namespace {

// "Example.com:8080" -> "Example.com", "[::1]:80" -> "[::1]", "example.com." -> "example.com".
std::string_view host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  host = host.substr(0, host.find(':'));
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return host;
}

// 0 = exact host, 1 = wildcard host, 2 = any host: lower is more specific.
int host_rank(const Router::Entry& entry) {
  return entry.host.empty() ? 2 : entry.host_wildcard ? 1 : 0;
}

}  // namespace

Router::Router(const ClusterConfig& config) {
  for (size_t s = 0; s < config.scripts.size(); ++s) {
    script_names_.push_back(config.scripts[s].name);
    for (const Route& route : config.scripts[s].routes) {
      Entry entry;
      entry.script = static_cast<int>(s);
      entry.host_wildcard = route.host.starts_with("*.");
      entry.host =
          entry.host_wildcard ? route.host.substr(1) : route.host;  // keep the dot: ".example.com"
      entry.path_prefix = route.path.ends_with('*');
      entry.path = entry.path_prefix ? route.path.substr(0, route.path.size() - 1) : route.path;
      entries_.push_back(std::move(entry));
    }
  }
  // stable_sort keeps config order on a full tie.
  std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return std::tuple(host_rank(a), -static_cast<long>(a.host.size()), a.path_prefix,
                      -static_cast<long>(a.path.size())) <
           std::tuple(host_rank(b), -static_cast<long>(b.host.size()), b.path_prefix,
                      -static_cast<long>(b.path.size()));
  });
}

int Router::match(std::string_view host, std::string_view path) const noexcept {
  host = host_without_port(host);
  path = path.substr(0, path.find_first_of("?#"));
  for (const Entry& entry : entries_) {
    if (entry.host_wildcard) {
      if (host.size() <= entry.host.size() ||
          !ascii_iequals(host.substr(host.size() - entry.host.size()), entry.host))
        continue;
    } else if (!entry.host.empty() && !ascii_iequals(host, entry.host)) {
      continue;
    }
    if (!entry.path_prefix) {
      if (path == entry.path) return entry.script;
    } else if (path.starts_with(entry.path)) {
      return entry.script;
    } else if (entry.path.size() > 1 && entry.path.back() == '/' &&
               path == std::string_view(entry.path).substr(0, entry.path.size() - 1)) {
      return entry.script;  // "/api/*" also serves "/api"
    }
  }
  return kNoMatch;
}

}  // namespace wsup::config

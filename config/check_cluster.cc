// Checks that need the whole config: addresses bound twice, script names and routes used twice.
#include <map>
#include <string>

#include "config/sections.h"

namespace wsup::config::detail {
namespace {

std::string position(const SourceLocation& where) {
  return std::to_string(where.line) + ":" + std::to_string(where.column);
}

std::string address_text(const ListenAddress& address) {
  bool v6 = address.host.find(':') != std::string::npos;
  return (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

bool is_wildcard_host(const std::string& host) {
  return host == "0.0.0.0" || host == "::";
}

// Two sockets cannot bind the same port when the hosts are equal or either is the any-address.
bool addresses_clash(const ListenAddress& a, const ListenAddress& b) {
  return a.port == b.port &&
         (a.host == b.host || is_wildcard_host(a.host) || is_wildcard_host(b.host));
}

}  // namespace

void check_cluster(const ClusterConfig& config, DiagnosticList& diagnostics) {
  for (size_t i = 0; i < config.listen.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (addresses_clash(config.listen[i], config.listen[j])) {
        diagnostics.add(config.listen[i].where, "listen",
                        "address " + address_text(config.listen[i]) + " clashes with " +
                            address_text(config.listen[j]) + " at " +
                            position(config.listen[j].where));
        break;
      }
    }
  }
  if (config.admin.http) {
    for (const ListenAddress& address : config.listen) {
      if (addresses_clash(*config.admin.http, address)) {
        diagnostics.add(config.admin.http->where, "admin.http",
                        "address " + address_text(*config.admin.http) +
                            " clashes with listen address " + address_text(address) + " at " +
                            position(address.where));
        break;
      }
    }
  }

  std::map<std::string, const Script*> scripts_by_name;
  // "host/path" -> (script, route) that claimed it first.
  std::map<std::string, std::pair<const Script*, const Route*>> routes_by_key;
  for (size_t i = 0; i < config.scripts.size(); ++i) {
    const Script& script = config.scripts[i];
    std::string path = "scripts[" + std::to_string(i) + "]";
    if (!script.name.empty()) {
      auto [first, inserted] = scripts_by_name.emplace(script.name, &script);
      if (!inserted)
        diagnostics.add(script.where, path + ".name",
                        "duplicate script name '" + script.name + "' (first used at " +
                            position(first->second->where) + ")");
    }
    for (size_t r = 0; r < script.routes.size(); ++r) {
      const Route& route = script.routes[r];
      auto [first, inserted] =
          routes_by_key.emplace(route.host + route.path, std::pair{&script, &route});
      if (!inserted) {
        const auto& [other_script, other_route] = first->second;
        diagnostics.add(route.where, path + ".routes[" + std::to_string(r) + "]",
                        "route \"" + route.pattern + "\" is already served by script '" +
                            other_script->name + "' at " + position(other_route->where) +
                            "; it could never match here");
      }
    }
  }
}

}  // namespace wsup::config::detail

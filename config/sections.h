// Internal to config/: one reader per part of cluster.yaml, each filling its piece of ClusterConfig
// and adding every problem it sees to the DiagnosticList.
#pragma once

#include <filesystem>

#include "config/yaml_reader.h"

namespace wsup::config::detail {

// The whole document (top-level keys, listen, limits, http, logging, admin; scripts via
// read_scripts, outbound via read_outbound).
void read_cluster(const Field& root, const std::filesystem::path& base_dir, ClusterConfig& config,
                  DiagnosticList& diagnostics);

// `scripts:`: names, paths (resolved against base_dir and checked readable), module, routes, vars,
// secrets.
void read_scripts(const Field& field, const std::filesystem::path& base_dir,
                  std::vector<Script>& scripts, DiagnosticList& diagnostics);

// `outbound:`: allow/deny rules (config/outbound_rule.h), default, CA bundle (resolved against
// base_dir and checked readable), connection pool, hop limit.
void read_outbound(const Field& field, const std::filesystem::path& base_dir, Outbound& outbound,
                   DiagnosticList& diagnostics);

// Checks across keys: duplicate listen addresses, duplicate script names and routes.
void check_cluster(const ClusterConfig& config, DiagnosticList& diagnostics);

}  // namespace wsup::config::detail

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

// `wrangler:` of a script entry (config/read_wrangler.cc): the wrangler file's name, main, vars,
// compatibility settings and triggers.crons into `script`, main's text into `source`; each key
// wsup does not support becomes a notice. The entry's own keys, read after, override these.
// False when the file could not be read or parsed (reported).
bool read_wrangler(const Field& field, const std::filesystem::path& base_dir, Script& script,
                   std::string& source, DiagnosticList& diagnostics);

// `vars_file:` of a script entry: a dotenv file whose entries become string vars, over those of
// the wrangler file (config/dotenv.h).
void read_vars_file(const Field& field, const std::filesystem::path& base_dir, Script& script,
                    DiagnosticList& diagnostics);

// Shared by the script readers (read_scripts.cc).
bool is_script_name(std::string_view text);   // 1-64 letters, digits, - or _
bool is_binding_name(std::string_view text);  // a JavaScript identifier (env.NAME)
bool is_date(std::string_view text);          // "YYYY-MM-DD", a real date
bool is_known_compatibility_flag(std::string_view flag);
// Resolves the script file `path`, checks it can be read and sets script.path; fills `source`.
void read_script_file(const std::filesystem::path& path, const SourceLocation& where,
                      const std::string& key_path, Script& script, std::string& source,
                      DiagnosticList& diagnostics);

// Checks across keys: duplicate listen addresses, duplicate script names and routes.
void check_cluster(const ClusterConfig& config, DiagnosticList& diagnostics);

}  // namespace wsup::config::detail

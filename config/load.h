// Reading cluster.yaml: YAML text -> validated ClusterConfig, or a ConfigError listing every
// problem. Both binaries call load(); nothing starts on a config that throws.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/cluster_config.h"

namespace wsup::config {

// One problem found in a config file.
struct Diagnostic {
  SourceLocation
      where;  // line/column 1-based; 0 when the problem has no position (e.g. file missing)
  std::string key_path;  // "limits.cpu_ms", "scripts[1].routes[0]"; "" for the whole document
  std::string message;   // "must be at least 1, got 0"

  // "cluster.yaml:12:5: limits.cpu_ms: must be at least 1, got 0" (":line:column" left out when 0).
  std::string to_string() const;
};

// The one exception type for configuration errors. what() is every diagnostic's to_string(), one
// per line, in file order, ready to print to a terminal as is.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<Diagnostic> errors);
  const std::vector<Diagnostic>& errors() const noexcept { return errors_; }

 private:
  std::vector<Diagnostic> errors_;
};

// Reads and validates the file at `path`. Script paths resolve against the file's folder and
// each script file must exist and be readable (compiling it is the worker's job).
// Throws ConfigError listing ALL errors found (syntax, unknown keys, types, ranges, scripts).
ClusterConfig load(const std::string& path);

// Same, from text already in memory. `file_name_for_messages` names the file in diagnostics and
// its folder is the base for relative script paths ("" or a bare name = current directory).
ClusterConfig parse(std::string_view yaml_text, const std::string& file_name_for_messages);

// Checks that every secret's environment variable is set in this process's environment (load()
// does not, so `wsup check` works on machines without the secrets). Throws ConfigError with one
// diagnostic per unset variable, at the script's location. For whoever starts the workers.
void require_secrets(const ClusterConfig& config);

}  // namespace wsup::config

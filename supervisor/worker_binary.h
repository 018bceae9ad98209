// Locating wsup-worker and running its `--check` mode.
#pragma once

#include <string>
#include <vector>

namespace wsup::supervisor {

// `explicit_path` when given; else wsup-worker next to this executable, else
// ../lib/wsup/wsup-worker (installed layout), else ../worker/wsup-worker (build tree). Throws
// std::runtime_error listing where it looked.
std::string find_worker_binary(const std::string& explicit_path);

struct CheckResult {
  bool ok = false;
  std::string output;  // the worker's stdout+stderr (compile errors with file:line:column)
  // With list_files: every script file the check read (module graphs' imports, and the file
  // that did not compile), passed or failed; empty when the config itself was refused.
  std::vector<std::string> files;
};
// Runs `wsup-worker --check CONFIG`, which compiles every script, and captures its output.
CheckResult run_worker_check(const std::string& worker_binary, const std::string& config_path,
                             bool list_files = false);

}  // namespace wsup::supervisor

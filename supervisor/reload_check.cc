#include "supervisor/reload_check.h"

#include "config/load.h"
#include "supervisor/worker_binary.h"

namespace wsup::supervisor {

std::future<ReloadVerdict> start_reload_check(const std::string& config_path,
                                              const std::string& worker_binary, bool list_files) {
  return std::async(std::launch::async, [config_path, worker_binary, list_files] {
    ReloadVerdict verdict;
    const std::string refused = "reload refused, workers keep running:\n";
    try {
      config::ClusterConfig next = config::load(config_path);
      config::require_secrets(next);
      CheckResult check = run_worker_check(worker_binary, config_path, list_files);
      verdict.files = std::move(check.files);
      if (check.ok)
        verdict.config = std::move(next);
      else
        verdict.refusal = {false, refused + check.output};
    } catch (const std::exception& e) {
      verdict.refusal = {false, refused + e.what() + "\n"};
    }
    return verdict;
  });
}

}  // namespace wsup::supervisor

// The first half of a reload, off the main loop: re-read and validate the config, require its
// secrets, and have `wsup-worker --check` compile every script. Nothing changes unless it passes.
#pragma once

#include <future>
#include <optional>
#include <string>
#include <vector>

#include "config/cluster_config.h"
#include "supervisor/control.h"

namespace wsup::supervisor {

struct ReloadVerdict {
  std::optional<config::ClusterConfig> config;  // set when the reload may go ahead
  ControlReply refusal;                         // otherwise: why not (file:line:column messages)
  std::vector<std::string> files;               // with list_files: the script files the check read
};

// `list_files`: fill ReloadVerdict::files (wsup dev's watch list), passed or refused.
std::future<ReloadVerdict> start_reload_check(const std::string& config_path,
                                              const std::string& worker_binary,
                                              bool list_files = false);

}  // namespace wsup::supervisor

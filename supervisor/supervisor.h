// `wsup start`: the supervisor process. Its main loop reads top to bottom like nginx's master:
// signals arrive through a signalfd (blocked in every thread, so no handler runs at all),
// control commands through a queue + eventfd, worker exits through pidfds; every wake-up ends in
// one WorkerPool::tick(). SIGTERM/SIGINT/stop drain and stop, SIGHUP/reload reload.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace wsup::supervisor {

struct StartOptions {
  std::string config_path;
  std::string control_path;   // "" = admin.control_socket or the default path
  std::string worker_binary;  // "" = found next to wsup
  // wsup dev: reload when one of these files changes, or one the scripts were read from (the
  // worker's check lists every file of their module graphs, again after each reload check).
  // Empty: not dev mode.
  std::vector<std::string> watch_files;
  // wsup dev: called on the main loop when a watched file changed, before the reload check reads
  // config_path again: rewrites the generated config for the project's files as they are now (a
  // .dev.vars created after the start). Empty: nothing to do.
  std::function<void()> before_reload;
};

// Runs until stopped. Throws config::ConfigError (bad config) or std::runtime_error (start-up
// failure: no worker ready, port in use, ...) with a user-facing message. Returns the exit code.
int run_supervisor(const StartOptions& options);

}  // namespace wsup::supervisor

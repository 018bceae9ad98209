// The `wsup` subcommands; main.cc only picks one. Each returns the process exit code and prints
// its own messages (stdout for results, stderr for errors).
#pragma once

#include <string>
#include <vector>

namespace wsup::supervisor {

using Args = std::vector<std::string>;  // arguments after the subcommand name

int cmd_start(const Args& args);
int cmd_check(const Args& args);
int cmd_dev(const Args& args);
// status, restart-worker, reload, stop: talk to a running supervisor.
int cmd_control(const std::string& name, const Args& args);
int cmd_help(const Args& args);  // `wsup help [COMMAND]`
int cmd_version();

}  // namespace wsup::supervisor

// Reading a subcommand's arguments (cli.cc, cli_dev.cc). Usage errors throw
// std::invalid_argument, which main.cc turns into exit status 2.
#pragma once

#include <optional>
#include <string>

#include "supervisor/cli.h"

namespace wsup::supervisor {

// Pulls "--name VALUE" (or "--name=VALUE") out of args: the first one, if any.
std::optional<std::string> take_option(Args& args, const std::string& name);
bool take_flag(Args& args, const std::string& name);

[[noreturn]] void usage_error(const std::string& command, const std::string& message);

// After a command took its options: anything left that looks like one is not one of them (and
// is never read as a file name).
void no_unknown_options(const std::string& command, const Args& args);
void no_extra_arguments(const std::string& command, const Args& args);

}  // namespace wsup::supervisor

// wsup: the supervisor's command line. Dispatch only; the commands live in cli.cc, their help
// in cli_help.cc. Exit status: 0 success, 1 failure, 2 usage error (no command, an unknown
// command or option, a missing argument).
#include <cstdio>
#include <stdexcept>
#include <string>

#include "config/load.h"
#include "supervisor/cli.h"
#include "supervisor/cli_help.h"

namespace {
bool asks_for_help(const wsup::supervisor::Args& args) {
  for (const std::string& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace wsup::supervisor;
  if (argc < 2) {
    std::fputs(overall_help().c_str(), stderr);
    return 2;
  }
  std::string command = argv[1];
  Args args(argv + 2, argv + argc);
  try {
    if (command == "--version" || command == "version") return cmd_version();
    if (command == "help" || command == "--help" || command == "-h") return cmd_help(args);
    if (!command_help(command)) {
      std::fprintf(stderr, "wsup: unknown command '%s' (see 'wsup help')\n", command.c_str());
      return 2;
    }
    if (asks_for_help(args)) {
      std::fputs(command_help(command)->c_str(), stdout);
      return 0;
    }
    if (command == "start") return cmd_start(args);
    if (command == "check") return cmd_check(args);
    if (command == "dev") return cmd_dev(args);
    return cmd_control(command, args);  // status, restart-worker, reload, stop
  } catch (const wsup::config::ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());  // file:line:column: key: message, one per line
    return 1;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "wsup: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wsup: %s\n", e.what());
    return 1;
  }
}

// wsup: the supervisor's command line. Dispatch only; the commands live in cli.cc.
#include <cstdio>
#include <stdexcept>
#include <string>

#include "config/load.h"
#include "supervisor/cli.h"

int main(int argc, char** argv) {
  using namespace wsup::supervisor;
  std::string command = argc > 1 ? argv[1] : "help";
  Args args(argv + (argc > 1 ? 2 : 1), argv + argc);
  try {
    if (command == "--version" || command == "version") return cmd_version();
    if (command == "help" || command == "--help" || command == "-h") return cmd_help();
    if (command == "start") return cmd_start(args);
    if (command == "check") return cmd_check(args);
    if (command == "dev") return cmd_dev(args);
    if (command == "status" || command == "restart-worker" || command == "reload" ||
        command == "stop")
      return cmd_control(command, args);
    std::fprintf(stderr, "wsup: unknown command '%s' (see 'wsup help')\n", command.c_str());
    return 2;
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

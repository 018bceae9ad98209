#include "supervisor/cli_args.h"

#include <stdexcept>

namespace wsup::supervisor {

std::optional<std::string> take_option(Args& args, const std::string& name) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name && i + 1 == args.size())
      throw std::invalid_argument("option " + name + " needs a value (see 'wsup help')");
    if (args[i] == name) {
      std::string v = args[i + 1];
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      return v;
    }
    if (args[i].starts_with(name + "=")) {
      std::string v = args[i].substr(name.size() + 1);
      args.erase(args.begin() + static_cast<long>(i));
      return v;
    }
  }
  return std::nullopt;
}

bool take_flag(Args& args, const std::string& name) {
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i] == name) {
      args.erase(args.begin() + static_cast<long>(i));
      return true;
    }
  return false;
}

[[noreturn]] void usage_error(const std::string& command, const std::string& message) {
  throw std::invalid_argument(message + " (see 'wsup " + command + " --help')");
}

void no_unknown_options(const std::string& command, const Args& args) {
  for (const std::string& a : args)
    if (a.size() > 1 && a.front() == '-')
      usage_error(command, "wsup " + command + " has no option '" + a + "'");
}

void no_extra_arguments(const std::string& command, const Args& args) {
  if (!args.empty()) usage_error(command, "unexpected argument '" + args.front() + "'");
}

}  // namespace wsup::supervisor

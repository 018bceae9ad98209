// The text of `wsup help` and of `wsup COMMAND --help` (or `wsup help COMMAND`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wsup::supervisor {

std::string overall_help();
// The usage of one command; nullopt when `command` is not one.
std::optional<std::string> command_help(std::string_view command);

}  // namespace wsup::supervisor

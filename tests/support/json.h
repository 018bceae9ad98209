// Checking JSON that the binaries write: Boost.JSON's parser, which refuses what is not JSON,
// invalid UTF-8 inside strings included.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace wsup::testing {

// `text` parsed as one JSON document; nullopt (and the reason in `error`) when it is not JSON.
std::optional<boost::json::value> parse_json(std::string_view text, std::string* error = nullptr);

// The string that `quoted` (a JSON string literal, quotes included) stands for; nullopt when
// it is not a valid JSON string.
std::optional<std::string> json_string(std::string_view quoted);

}  // namespace wsup::testing

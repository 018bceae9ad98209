// The one translation unit that compiles Boost.JSON (header-only mode) for the tests.
#include "tests/support/json.h"

#include <boost/json/src.hpp>

namespace wsup::testing {

std::optional<boost::json::value> parse_json(std::string_view text, std::string* error) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  if (ec) {
    if (error) *error = ec.message();
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> json_string(std::string_view quoted) {
  std::optional<boost::json::value> value = parse_json(quoted);
  if (!value || !value->is_string()) return std::nullopt;
  return std::string(value->as_string());
}

}  // namespace wsup::testing

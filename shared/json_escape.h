// JSON string escaping, shared by the access log, the status report, the config's JSON vars and
// the load generator's report.
#pragma once

#include <string>
#include <string_view>

namespace wsup {

// The characters of `text` as they go between the quotes of a JSON string: `"` and `\` escaped,
// control characters (and DEL) as \n, \r, \t or \u00XX. Bytes >= 0x80 pass through (UTF-8).
std::string json_escape(std::string_view text);

}  // namespace wsup

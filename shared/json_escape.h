// JSON string escaping: the one place JSON text comes from in both binaries (the access log, the
// status report, the config's JSON vars, the logger's quoted values) and in the chaos load
// generator's report.
//
// Boost.JSON's serializer is not used: it copies bytes >= 0x80 through unchecked, so a request
// path with invalid UTF-8 would make an access-log line that is not JSON.
#pragma once

#include <string>
#include <string_view>

namespace wsup {

// The characters of `text` as they go between the quotes of a JSON string (RFC 8259), so that the
// result is always valid JSON whatever bytes came in: `"` and `\` escaped, control characters and
// DEL as \n, \r, \t or \u00XX, well-formed UTF-8 copied as it is, and each ill-formed UTF-8
// sequence (a stray byte, a truncated, overlong or surrogate sequence, past U+10FFFF) replaced by
// one \ufffd, the way the WHATWG Encoding Standard's decoder replaces it.
std::string json_escape(std::string_view text);

}  // namespace wsup

// Text -> value conversions for cluster.yaml scalars, independent of YAML so they can be tested
// alone. Each returns the value, or std::nullopt and a user-facing reason in `error`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/cluster_config.h"

namespace wsup::config {

// Decimal integer, optional leading '+', '_' separators allowed ("1_000"). No sign for negatives:
// a '-' gives the error "must not be negative".
std::optional<uint64_t> parse_unsigned(std::string_view text, std::string& error);

// Byte size: a plain integer (bytes) or an integer/decimal with a unit: B, KB/MB/GB (powers of
// 1000), KiB/MiB/GiB (powers of 1024); units are case-insensitive, a space before them is allowed.
std::optional<uint64_t> parse_size_bytes(std::string_view text, std::string& error);

// Duration: a number with a unit ms, s, m or h ("500ms", "10s", "1.5s"), rounded to whole
// milliseconds. A plain number is milliseconds when `bare_number_is_ms`, else an error.
std::optional<uint64_t> parse_duration_ms(std::string_view text, bool bare_number_is_ms,
                                          std::string& error);

// "host:port", "[v6addr]:port" or a bare port (host 127.0.0.1). Port 1..65535. The host is kept
// without brackets. `where` is left for the caller.
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error);

// A route pattern: "api.example.com/*", "*.example.com/api/*", "/hello/*", "*/static/*", "/exact".
// The host is lower-cased ("" = any host), the path keeps its trailing '*' if any.
std::optional<Route> parse_route(std::string_view text, std::string& error);

// Optimal-string-alignment edit distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace wsup::config

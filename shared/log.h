// The one logger of both binaries: a line per event, key=value fields, to stderr by default.
//
//   log::info("worker ready", {{"worker", 3}, {"pid", 4711}});
//   -> ts=2026-11-25T11:50:02.123Z level=info msg="worker ready" worker=3 pid=4711
//
// Thread-safe (one write(2) per line, so lines from several processes never interleave).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace wsup::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, int64_t v) : key(k), value(v) {}
  Field(std::string_view k, uint64_t v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(std::string_view k, int v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(std::string_view k, unsigned v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(std::string_view k, long long v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(std::string_view k, unsigned long long v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  std::string_view key;
  std::variant<std::string, int64_t, double> value;
};
using Fields = std::initializer_list<Field>;

// Process-wide settings; call before other threads start.
void set_level(Level level);
Level level();
// Opens `destination` ("stderr", "stdout" or a file path, appended to). Throws on failure.
void set_destination(const std::string& destination);
// Fields added to every line of this process, e.g. {"worker", 3}.
void set_process_fields(std::string fields_text);

bool enabled(Level level);
void write(Level level, std::string_view message, Fields fields = {});

inline void debug(std::string_view m, Fields f = {}) {
  if (enabled(Level::debug)) write(Level::debug, m, f);
}
inline void info(std::string_view m, Fields f = {}) {
  if (enabled(Level::info)) write(Level::info, m, f);
}
inline void warn(std::string_view m, Fields f = {}) {
  if (enabled(Level::warn)) write(Level::warn, m, f);
}
inline void error(std::string_view m, Fields f = {}) {
  if (enabled(Level::error)) write(Level::error, m, f);
}

// Formats one line without writing it (used by tests and by the access log).
std::string format(Level level, std::string_view message, Fields fields);
// A value as it is when it is printable ASCII without spaces, quotes, '=' or '\'; otherwise quoted
// as a JSON string (shared/json_escape.h: control characters as \u00XX, invalid UTF-8 as \ufffd).
std::string quote(std::string_view value);

}  // namespace wsup::log

// The one logger of both binaries: a line per event, in the format cluster.yaml's
// `logging.format` names, to stderr by default.
//
//   log::info("worker ready", {{"worker", 3}, {"pid", 4711}});
//   logfmt -> ts=2026-11-25T11:50:02.123Z level=info msg="worker ready" worker=3 pid=4711
//   json   -> {"ts":"2026-11-25T11:50:02.123Z","level":"info","msg":"worker ready","worker":3,...}
//
// Every line is valid in every byte whatever the values hold: strings go through
// shared/json_escape.h (control characters as \u00XX, ill-formed UTF-8 as \ufffd).
//
// Two sinks: the log (`logging.destination`) and the access log (`logging.access_file`, the log
// itself when not set). Each line is one write(2) to an O_APPEND descriptor, so lines from several
// threads and processes never interleave. reopen() (SIGUSR1) reopens the files in place: the
// descriptor numbers stay, dup3() swaps what is behind them, so a line being written goes whole
// to the old file or whole to the new one. A write that fails or is short is counted
// (write_failures(), `wsup_log_write_failures_total`), never retried: a retried remainder could
// land after another process's line.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace wsup::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };
enum class Format { logfmt, json };

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
using FieldSpan = std::span<const Field>;  // fields built at run time (a variable count)

// Process-wide settings; call before other threads start.
void set_level(Level level);
Level level();
void set_format(Format format);
Format format();
// Opens `destination` ("stderr", "stdout" or a file path, appended to). Throws on failure.
void set_destination(const std::string& destination);
// The access log's own file; "" (the default) writes access lines to the log's destination.
// Throws on failure.
void set_access_destination(const std::string& destination);
// A field added to every line of this process after `level`, e.g. {"worker", 3}.
void set_process_field(std::string key, int64_t value);

// Reopens the file destinations (not stderr/stdout) at their paths, for log rotation. Safe while
// other threads write. False when one could not be reopened (it keeps its old file; the error
// is logged there).
bool reopen();
// Lines that could not be written whole since the process started.
uint64_t write_failures();

bool enabled(Level level);
void write(Level level, std::string_view message, Fields fields = {});
// One access-log line (never filtered by level) to the access sink.
void write_access(std::string_view message, FieldSpan fields);
// A line already formatted (the access log's Common Log Format), newline included.
void write_access_line(const std::string& line);

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

// Formats one line (with its newline) without writing it, in the process's format.
std::string format(Level level, std::string_view message, Fields fields);
std::string format_fields(Level level, std::string_view message, FieldSpan fields);
// A logfmt value: as it is when it is printable ASCII without spaces, quotes, '=' or '\';
// otherwise quoted as a JSON string.
std::string quote(std::string_view value);

}  // namespace wsup::log

#include "shared/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <utility>
#include <vector>

#include "shared/json_escape.h"

namespace wsup::log {
namespace {

// One place lines go. `fd` is fixed once set (reopen() swaps the file behind it with dup3), and
// `path`/`owned` are set before other threads start, so writers read them without a lock.
struct Sink {
  int fd = STDERR_FILENO;
  std::string path;    // the file to reopen; "" for stderr/stdout
  bool owned = false;  // fd was opened here (closed when replaced)
};

// Relaxed: the level is a filter; a line written or dropped around a reload's change is fine.
std::atomic<int> g_level{static_cast<int>(Level::info)};
// Relaxed: set at start-up before the threads that log (tests switch it between cases); a line
// reads it once and formats with that value throughout.
std::atomic<Format> g_format{Format::logfmt};
Sink g_log;
Sink g_access;
bool g_access_separate = false;
std::vector<std::pair<std::string, int64_t>> g_process_fields;  // set once, before threads
// Relaxed: a statistic read by /metrics; no other memory depends on it.
std::atomic<uint64_t> g_write_failures{0};

const char* level_name(Level level) {
  switch (level) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "?";
}

void append_timestamp(std::string& out) {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  out += buf;
}

// The shortest text that reads back as the same double; JSON has no NaN or infinity.
void append_double(std::string& out, double v, Format format) {
  if (!std::isfinite(v)) {
    out += format == Format::json ? "null" : (std::isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf"));
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

void append_key(std::string& out, std::string_view key, bool first, Format format) {
  if (format == Format::json) {
    if (!first) out += ',';
    out += '"';
    out += json_escape(key);
    out += "\":";
  } else {
    if (!first) out += ' ';
    out += key;
    out += '=';
  }
}

void append_string(std::string& out, std::string_view value, Format format) {
  if (format == Format::json) {
    out += '"';
    out += json_escape(value);
    out += '"';
  } else {
    out += quote(value);
  }
}

int open_append(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

void open_sink(Sink& sink, const std::string& destination, const char* what) {
  Sink next;
  if (destination == "stdout") {
    next.fd = STDOUT_FILENO;
  } else if (destination != "stderr" && !destination.empty()) {
    next.fd = open_append(destination);
    if (next.fd < 0)
      throw std::runtime_error(std::string("cannot open ") + what + " '" + destination +
                               "': " + std::strerror(errno));
    next.path = destination;
    next.owned = true;
  }
  if (sink.owned) ::close(sink.fd);
  sink = std::move(next);
}

bool reopen_sink(const Sink& sink, const char* what) {
  if (sink.path.empty()) return true;
  const int fresh = open_append(sink.path);
  if (fresh < 0) {
    const std::string why = std::strerror(errno);
    error("cannot reopen log file; still writing to the old one",
          {{"file", sink.path}, {"log", what}, {"error", why}});
    return false;
  }
  // Atomic for concurrent writers: each write goes whole to the old file or to the new one.
  const bool swapped = ::dup3(fresh, sink.fd, O_CLOEXEC) >= 0;
  const std::string why = swapped ? "" : std::strerror(errno);
  ::close(fresh);
  if (!swapped)
    error("cannot reopen log file; still writing to the old one",
          {{"file", sink.path}, {"log", what}, {"error", why}});
  return swapped;
}

void write_line(const Sink& sink, const std::string& line) {
  const ssize_t n = ::write(sink.fd, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size()))
    g_write_failures.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void set_level(Level level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}
Level level() {
  return static_cast<Level>(g_level.load(std::memory_order_relaxed));
}
bool enabled(Level l) {
  return static_cast<int>(l) >= g_level.load(std::memory_order_relaxed);
}
void set_format(Format f) {
  g_format.store(f, std::memory_order_relaxed);
}
Format format() {
  return g_format.load(std::memory_order_relaxed);
}

void set_destination(const std::string& destination) {
  open_sink(g_log, destination, "log file");
}

void set_access_destination(const std::string& destination) {
  g_access_separate = !destination.empty();
  open_sink(g_access, g_access_separate ? destination : "stderr", "access log file");
}

void set_process_field(std::string key, int64_t value) {
  g_process_fields.emplace_back(std::move(key), value);
}

bool reopen() {
  const bool log_ok = reopen_sink(g_log, "log");
  const bool access_ok = !g_access_separate || reopen_sink(g_access, "access");
  return log_ok && access_ok;
}

uint64_t write_failures() {
  return g_write_failures.load(std::memory_order_relaxed);
}

std::string quote(std::string_view value) {
  const bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7f && c != '"' && c != '=' && c != '\\';
  });
  if (plain) return std::string(value);
  return "\"" + json_escape(value) + "\"";
}

std::string format(Level l, std::string_view message, Fields fields) {
  return format_fields(l, message, FieldSpan(fields.begin(), fields.size()));
}

std::string format_fields(Level l, std::string_view message, FieldSpan fields) {
  const Format f = g_format.load(std::memory_order_relaxed);
  const bool json = f == Format::json;
  std::string line;
  line.reserve(160);
  if (json) line += '{';
  append_key(line, "ts", true, f);
  if (json) line += '"';
  append_timestamp(line);
  if (json) line += '"';
  append_key(line, "level", false, f);
  append_string(line, level_name(l), f);
  for (const auto& [key, value] : g_process_fields) {
    append_key(line, key, false, f);
    line += std::to_string(value);
  }
  append_key(line, "msg", false, f);
  append_string(line, message, f);
  for (const Field& field : fields) {
    append_key(line, field.key, false, f);
    if (auto* s = std::get_if<std::string>(&field.value)) {
      append_string(line, *s, f);
    } else if (auto* i = std::get_if<int64_t>(&field.value)) {
      line += std::to_string(*i);
    } else {
      append_double(line, std::get<double>(field.value), f);
    }
  }
  if (json) line += '}';
  line += '\n';
  return line;
}

void write(Level l, std::string_view message, Fields fields) {
  write_line(g_log, format(l, message, fields));
}

void write_access(std::string_view message, FieldSpan fields) {
  write_access_line(format_fields(Level::info, message, fields));
}

void write_access_line(const std::string& line) {
  write_line(g_access_separate ? g_access : g_log, line);
}

}  // namespace wsup::log

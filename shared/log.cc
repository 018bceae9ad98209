#include "shared/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "shared/json_escape.h"

namespace wsup::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::info)};
std::atomic<int> g_fd{STDERR_FILENO};
std::string g_process_fields;  // set once at start-up, before threads

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

void set_destination(const std::string& destination) {
  int fd;
  if (destination.empty() || destination == "stderr") {
    fd = STDERR_FILENO;
  } else if (destination == "stdout") {
    fd = STDOUT_FILENO;
  } else {
    fd = ::open(destination.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
      throw std::runtime_error("cannot open log file " + destination + ": " + std::strerror(errno));
    }
  }
  g_fd.store(fd, std::memory_order_relaxed);
}

void set_process_fields(std::string fields_text) {
  g_process_fields = std::move(fields_text);
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
  std::string line;
  line.reserve(128);
  line += "ts=";
  append_timestamp(line);
  line += " level=";
  line += level_name(l);
  if (!g_process_fields.empty()) {
    line += ' ';
    line += g_process_fields;
  }
  line += " msg=";
  line += quote(message);
  for (const Field& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    if (auto* s = std::get_if<std::string>(&f.value)) {
      line += quote(*s);
    } else if (auto* i = std::get_if<int64_t>(&f.value)) {
      line += std::to_string(*i);
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", std::get<double>(f.value));
      line += buf;
    }
  }
  line += '\n';
  return line;
}

void write(Level l, std::string_view message, Fields fields) {
  std::string line = format(l, message, fields);
  // One write per line keeps lines whole even when several processes share the descriptor.
  ssize_t ignored = ::write(g_fd.load(std::memory_order_relaxed), line.data(), line.size());
  (void)ignored;
}

}  // namespace wsup::log

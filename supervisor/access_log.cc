#include "supervisor/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace wsup::supervisor {

namespace {
std::tm utc(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return tm;
}
}  // namespace

std::string format_json(const AccessRecord& r) {
  std::tm tm = utc(r.time);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(r.time.time_since_epoch()).count();
  char ts[64];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.3f",
                static_cast<double>(r.duration.count()) / 1000.0);
  std::string out = "{\"ts\":\"";
  out += ts;
  out += "\",\"req\":" + std::to_string(r.request_id);
  out += ",\"remote\":\"" + json_escape(r.remote) + "\"";
  out += ",\"method\":\"" + json_escape(r.method) + "\"";
  out += ",\"path\":\"" + json_escape(r.target) + "\"";
  out += ",\"status\":" + std::to_string(r.status);
  out += ",\"bytes\":" + std::to_string(r.body_bytes);
  out += ",\"ms\":";
  out += duration;
  out += ",\"script\":\"" + json_escape(r.script) + "\"";
  out += ",\"worker\":" + std::to_string(r.worker);
  if (!r.cut.empty()) {
    out += ",\"cut\":\"" + json_escape(r.cut) + "\"";
    out += ",\"sent_status\":" + std::to_string(r.sent_status);
  }
  out += "}";
  return out;
}

std::string format_common(const AccessRecord& r) {
  std::tm tm = utc(r.time);
  char ts[64];
  std::strftime(ts, sizeof ts, "%d/%b/%Y:%H:%M:%S +0000", &tm);
  std::string out = r.remote.empty() ? "-" : r.remote;
  out += " - - [";
  out += ts;
  out += "] \"";
  // Control characters would break the line-per-request format; CLF has no escaping, so replace.
  for (char c : r.method + " " + r.target + " " + r.version)
    out += (static_cast<unsigned char>(c) < 0x20 || c == '"') ? '_' : c;
  out += "\" " + std::to_string(r.status) + " ";
  out += r.body_bytes == 0 ? std::string("-") : std::to_string(r.body_bytes);
  return out;
}

AccessLog::AccessLog(config::Logging::AccessFormat format, const std::string& destination)
    : format_(format) {
  if (format_ == config::Logging::AccessFormat::off) return;
  if (destination.empty() || destination == "stderr") {
    fd_ = STDERR_FILENO;
  } else if (destination == "stdout") {
    fd_ = STDOUT_FILENO;
  } else {
    fd_ = ::open(destination.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0)
      throw std::runtime_error("cannot open access log '" + destination +
                               "': " + std::strerror(errno));
    owns_fd_ = true;
  }
}

AccessLog::~AccessLog() {
  if (owns_fd_) ::close(fd_);
}

void AccessLog::write(const AccessRecord& record) const {
  if (fd_ < 0) return;
  std::string line =
      format_ == config::Logging::AccessFormat::json ? format_json(record) : format_common(record);
  line += '\n';
  // O_APPEND + one write per line keeps lines whole; a short write on a full disk is dropped.
  [[maybe_unused]] ssize_t n = ::write(fd_, line.data(), line.size());
}

}  // namespace wsup::supervisor

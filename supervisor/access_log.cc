#include "supervisor/access_log.h"

#include <ctime>

#include "shared/log.h"

namespace wsup::supervisor {

namespace {

// One field list for both the line and the test's view of it.
template <typename Emit>
void with_fields(const AccessRecord& r, Emit emit) {
  const double ms = static_cast<double>(r.duration.count()) / 1000.0;
  if (r.cut.empty()) {
    emit({{"req", r.request_id},
          {"remote", r.remote},
          {"method", r.method},
          {"path", r.target},
          {"status", r.status},
          {"bytes", r.body_bytes},
          {"ms", ms},
          {"script", r.script},
          {"worker", r.worker}});
  } else {
    emit({{"req", r.request_id},
          {"remote", r.remote},
          {"method", r.method},
          {"path", r.target},
          {"status", r.status},
          {"bytes", r.body_bytes},
          {"ms", ms},
          {"script", r.script},
          {"worker", r.worker},
          {"cut", r.cut},
          {"sent_status", r.sent_status}});
  }
}

}  // namespace

std::string format_line(const AccessRecord& r) {
  std::string line;
  with_fields(r,
              [&](log::Fields fields) { line = log::format(log::Level::info, "request", fields); });
  return line;
}

std::string format_common(const AccessRecord& r) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(r.time);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char ts[64];
  std::strftime(ts, sizeof ts, "%d/%b/%Y:%H:%M:%S +0000", &tm);
  std::string out = r.remote.empty() ? "-" : r.remote;
  out += " - - [";
  out += ts;
  out += "] \"";
  // CLF has no escaping: control characters, quotes and bytes above ASCII (which could be
  // invalid UTF-8) become '_', so every line is one valid ASCII line.
  for (char c : r.method + " " + r.target + " " + r.version) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte >= 0x7f || c == '"') ? '_' : c;
  }
  out += "\" " + std::to_string(r.status) + " ";
  out += r.body_bytes == 0 ? std::string("-") : std::to_string(r.body_bytes);
  return out;
}

void AccessLog::write(const AccessRecord& record) const {
  switch (format_) {
    case config::Logging::AccessFormat::on:
      with_fields(record, [](log::Fields fields) { log::write_access("request", fields); });
      return;
    case config::Logging::AccessFormat::common:
      log::write_access_line(format_common(record) + "\n");
      return;
    case config::Logging::AccessFormat::off:
      return;
  }
}

}  // namespace wsup::supervisor

#include "supervisor/access_log.h"

#include <ctime>
#include <vector>

#include "shared/log.h"

namespace wsup::supervisor {

namespace {

// The request's fields, in order; a cut response adds why and what the client had got.
std::vector<log::Field> fields_of(const AccessRecord& r) {
  std::vector<log::Field> fields = {{"req", r.request_id},
                                    {"remote", r.remote},
                                    {"method", r.method},
                                    {"path", r.target},
                                    {"status", r.status},
                                    {"bytes", r.body_bytes},
                                    {"ms", static_cast<double>(r.duration.count()) / 1000.0},
                                    {"script", r.script},
                                    {"worker", r.worker}};
  if (!r.cut.empty()) {
    fields.emplace_back("cut", r.cut);
    fields.emplace_back("sent_status", r.sent_status);
  }
  return fields;
}

}  // namespace

std::string format_line(const AccessRecord& r) {
  return log::format_fields(log::Level::info, "request", fields_of(r));
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
      log::write_access("request", fields_of(record));
      return;
    case config::Logging::AccessFormat::common:
      log::write_access_line(format_common(record) + "\n");
      return;
    case config::Logging::AccessFormat::off:
      return;
  }
}

}  // namespace wsup::supervisor

#include "supervisor/http_date.h"

#include <cstdio>

namespace wsup::supervisor {

std::string format_http_date(std::time_t time) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm utc{};
  ::gmtime_r(&time, &utc);
  char text[32];
  const int n = std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                              kDays[utc.tm_wday], utc.tm_mday, kMonths[utc.tm_mon],
                              utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return std::string(text, static_cast<size_t>(n));
}

std::string_view http_date_now() {
  thread_local std::time_t formatted_second = -1;
  thread_local std::string formatted;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_second) {
    formatted = format_http_date(now);
    formatted_second = now;
  }
  return formatted;
}

}  // namespace wsup::supervisor

#include "config/cron.h"

#include <time.h>

#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace wsup::config {
namespace {

struct FieldSpec {
  const char* name;
  int low;
  int high;
  const std::array<const char*, 12>* names;  // names[i] is the value low + i; null: numbers only
};

constexpr std::array<const char*, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 12> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI",
                                                   "SAT", "",    "",    "",    "",    ""};
constexpr std::array<FieldSpec, 5> kFields = {{
    {"minute", 0, 59, nullptr},
    {"hour", 0, 23, nullptr},
    {"day of month", 1, 31, nullptr},
    {"month", 1, 12, &kMonthNames},
    {"day of week", 1, 7, &kDayNames},
}};

// One field's text and where it starts in the whole expression.
struct Token {
  std::string_view text;
  size_t offset = 0;
};

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::vector<Token> split_fields(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_blank(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !is_blank(text[i])) ++i;
    if (i > start) tokens.push_back({text.substr(start, i - start), start});
  }
  return tokens;
}

class FieldParser {
 public:
  FieldParser(const FieldSpec& spec, Token token, CronError& error)
      : spec_(spec), token_(token), error_(error) {}

  // Sets the bits (value - spec.low) of every value the field matches.
  bool parse(std::vector<bool>& values) {
    values.assign(static_cast<size_t>(spec_.high - spec_.low + 1), false);
    size_t at = 0;
    for (;;) {
      size_t comma = token_.text.find(',', at);
      std::string_view item = token_.text.substr(
          at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
      if (!parse_item(item, at, values)) return false;
      if (comma == std::string_view::npos) return true;
      at = comma + 1;
    }
  }

 private:
  bool fail(size_t at, std::string message) {
    error_.offset = token_.offset + at;
    error_.message = std::string(spec_.name) + " field \"" + std::string(token_.text) +
                     "\": " + std::move(message);
    return false;
  }

  // A number or (for months and days of week) a name, at `text`'s start; `used` its length.
  bool parse_value(std::string_view text, size_t at, int& value, size_t& used) {
    if (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front()))) {
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      used = static_cast<size_t>(end - text.data());
      if (ec != std::errc() || value < spec_.low || value > spec_.high) {
        std::string hint = spec_.low == 1 && spec_.high == 7 && value == 0
                               ? " (days of week are 1-7 with 1 = SUN, as on Cloudflare)"
                               : "";
        return fail(at, std::string(text.substr(0, used)) + " is out of range " +
                            std::to_string(spec_.low) + "-" + std::to_string(spec_.high) + hint);
      }
      return true;
    }
    if (spec_.names != nullptr && text.size() >= 3) {
      for (size_t i = 0; i < spec_.names->size(); ++i) {
        std::string_view name = (*spec_.names)[i];
        if (name.empty()) break;
        bool same = true;
        for (size_t k = 0; k < 3; ++k)
          same = same && std::toupper(static_cast<unsigned char>(text[k])) == name[k];
        if (same) {
          value = spec_.low + static_cast<int>(i);
          used = 3;
          return true;
        }
      }
    }
    if (!text.empty() && (text.front() == 'L' || text.front() == 'l' || text.front() == 'W' ||
                          text.front() == 'w' || text.front() == '?'))
      return fail(at, "Quartz's L, W, # and ? are not supported by wsup (README.md)");
    return fail(at, "expected " +
                        std::string(spec_.names != nullptr ? "a number or a name" : "a number") +
                        " in " + std::to_string(spec_.low) + "-" + std::to_string(spec_.high) +
                        ", got \"" + std::string(text) + "\"");
  }

  bool parse_item(std::string_view item, size_t at, std::vector<bool>& values) {
    if (item.empty()) return fail(at, "empty list item");
    int first = spec_.low;
    int last = spec_.high;
    size_t i = 0;
    if (item.front() == '*') {
      i = 1;
    } else {
      size_t used = 0;
      if (!parse_value(item, at, first, used)) return false;
      i = used;
      last = first;
      if (i < item.size() && item[i] == '-') {
        ++i;
        if (!parse_value(item.substr(i), at + i, last, used)) return false;
        i += used;
        if (last < first)
          return fail(at, "range " + std::string(item.substr(0, i)) + " runs backwards");
      } else if (i < item.size() && item[i] == '/') {
        last = spec_.high;  // "N/S": from N to the field's end
      }
    }
    int step = 1;
    if (i < item.size() && item[i] == '/') {
      ++i;
      std::string_view digits = item.substr(i);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), step);
      size_t used = static_cast<size_t>(end - digits.data());
      if (ec != std::errc() || used == 0 || step < 1 || step > spec_.high - spec_.low + 1)
        return fail(at + i,
                    "step must be a number in 1-" + std::to_string(spec_.high - spec_.low + 1));
      i += used;
    }
    if (i != item.size()) {
      if (item[i] == '#' || item[i] == 'L' || item[i] == 'l' || item[i] == 'W' || item[i] == 'w')
        return fail(at + i, "Quartz's L, W, # and ? are not supported by wsup (README.md)");
      return fail(at + i, "unexpected \"" + std::string(item.substr(i)) + "\"");
    }
    for (int v = first; v <= last; v += step) values[static_cast<size_t>(v - spec_.low)] = true;
    return true;
  }

  const FieldSpec& spec_;
  Token token_;
  CronError& error_;
};

template <size_t N>
void copy_bits(const std::vector<bool>& values, int low, std::bitset<N>& bits) {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i]) bits.set(i + static_cast<size_t>(low));
}

bool day_matches(const CronSchedule& s, std::chrono::sys_days day) {
  std::chrono::year_month_day ymd{day};
  bool dom = s.days_of_month.test(static_cast<unsigned>(ymd.day()));
  bool dow = s.days_of_week.test(std::chrono::weekday{day}.c_encoding());
  if (s.day_of_month_any && s.day_of_week_any) return true;
  if (s.day_of_month_any) return dow;
  if (s.day_of_week_any) return dom;
  return dom || dow;
}

}  // namespace

std::optional<CronSchedule> parse_cron(std::string_view text, CronError& error) {
  std::vector<Token> tokens = split_fields(text);
  if (tokens.size() != kFields.size()) {
    error.offset = tokens.size() > kFields.size() ? tokens[kFields.size()].offset : text.size();
    error.message =
        "a cron expression has 5 fields (minute hour day-of-month month day-of-week), "
        "got " +
        std::to_string(tokens.size());
    return std::nullopt;
  }
  CronSchedule s;
  s.text = std::string(text);
  std::vector<bool> values;
  for (size_t f = 0; f < kFields.size(); ++f) {
    if (!FieldParser(kFields[f], tokens[f], error).parse(values)) return std::nullopt;
    switch (f) {
      case 0:
        copy_bits(values, kFields[f].low, s.minutes);
        break;
      case 1:
        copy_bits(values, kFields[f].low, s.hours);
        break;
      case 2:
        copy_bits(values, kFields[f].low, s.days_of_month);
        break;
      case 3:
        copy_bits(values, kFields[f].low, s.months);
        break;
      default:
        copy_bits(values, 0, s.days_of_week);
        break;  // 1 = SUN is bit 0
    }
  }
  s.day_of_month_any = tokens[2].text == "*";
  s.day_of_week_any = tokens[4].text == "*";
  // From a leap year's first day, 28 years cover every date and weekday combination.
  using namespace std::chrono;
  if (!next_cron_time(s, sys_days{year{2000} / January / 1} - seconds{1})) {
    error.offset = tokens[2].offset;
    error.message = "never fires: no day matches both the day of month and the month";
    return std::nullopt;
  }
  return s;
}

std::optional<std::chrono::sys_seconds> next_cron_time(const CronSchedule& s,
                                                       std::chrono::sys_seconds after) {
  using namespace std::chrono;
  const sys_seconds start = floor<minutes>(after) + minutes{1};
  sys_days day = floor<days>(start);
  const minutes start_of_first_day = duration_cast<minutes>(start - day);
  constexpr int kDaysToSearch = 366 * 28 + 1;
  for (int i = 0; i < kDaysToSearch; ++i, day += days{1}) {
    year_month_day ymd{day};
    if (!s.months.test(static_cast<unsigned>(ymd.month())) || !day_matches(s, day)) continue;
    const int from = i == 0 ? static_cast<int>(start_of_first_day.count()) : 0;
    for (int h = from / 60; h < 24; ++h) {
      if (!s.hours.test(static_cast<size_t>(h))) continue;
      for (int m = h == from / 60 ? from % 60 : 0; m < 60; ++m)
        if (s.minutes.test(static_cast<size_t>(m))) return day + hours{h} + minutes{m};
    }
  }
  return std::nullopt;
}

std::string format_cron_time(std::chrono::sys_seconds time) {
  const time_t seconds = static_cast<time_t>(time.time_since_epoch().count());
  struct tm parts {};
  gmtime_r(&seconds, &parts);
  char text[32];
  strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

}  // namespace wsup::config

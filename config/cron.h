// Cron expressions as Cloudflare's Cron Triggers read them (`crons:` of a script in cluster.yaml),
// and when one fires next.
//
// Five fields, separated by blanks, all in UTC:
//   minute 0-59 | hour 0-23 | day of month 1-31 | month 1-12 or JAN-DEC | day of week 1-7 or
//   SUN-SAT, where 1 = SUN (Cloudflare's numbering, not Vixie cron's 0 = SUN)
// Each field is `*` or a comma-separated list of `N`, `A-B`, `*/S`, `N/S` (from N to the field's
// end) or `A-B/S`; names are case-insensitive three-letter abbreviations. When both the day of
// month and the day of week are restricted (neither is `*`), a day matches if either does (the
// rule every Unix cron follows); otherwise only the restricted one counts. Quartz's `L`, `W` and
// `#` (which Cloudflare accepts) are refused with a message that says so.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace wsup::config {

struct CronSchedule {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  // bits 1..31
  std::bitset<13> months;         // bits 1..12
  std::bitset<7> days_of_week;    // bit 0 = Sunday .. 6 = Saturday (written 1..7)
  bool day_of_month_any = true;   // written as `*` (`*/S` counts as restricted)
  bool day_of_week_any = true;
  std::string text;  // as written
};

// Where a cron expression went wrong: `offset` is the byte in the text the message is about.
struct CronError {
  size_t offset = 0;
  std::string message;
};

// Parses `text`, or returns nullopt and fills `error`. An expression that can never fire (such as
// "0 0 30 2 *", 30 February) is refused too.
std::optional<CronSchedule> parse_cron(std::string_view text, CronError& error);

// The first minute strictly after `after` (UTC) that `schedule` matches; nullopt when none comes
// within the next 28 years (the calendar's cycle; it cannot happen to a parsed schedule).
std::optional<std::chrono::sys_seconds> next_cron_time(const CronSchedule& schedule,
                                                       std::chrono::sys_seconds after);

// A tick as logs and `wsup status` write it: ISO 8601 in UTC, to the second
// ("2026-12-07T19:05:00Z").
std::string format_cron_time(std::chrono::sys_seconds time);

}  // namespace wsup::config

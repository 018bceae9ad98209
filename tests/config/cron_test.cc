// config/cron.h: parsing Cloudflare-style cron expressions and computing the next fire time.
#include "config/cron.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace wsup::config {
namespace {

using namespace std::chrono;

sys_seconds at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  return sys_days{year{y} / mo / d} + hours{h} + minutes{mi};
}

CronSchedule parse(std::string_view text) {
  CronError error;
  std::optional<CronSchedule> s = parse_cron(text, error);
  EXPECT_TRUE(s.has_value()) << text << ": " << error.message;
  return s.value_or(CronSchedule{});
}

CronError parse_error(std::string_view text) {
  CronError error;
  EXPECT_FALSE(parse_cron(text, error).has_value()) << text;
  return error;
}

sys_seconds next(std::string_view text, sys_seconds after) {
  std::optional<sys_seconds> t = next_cron_time(parse(text), after);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(sys_seconds{});
}

TEST(Cron, EveryMinuteFiresAtTheNextWholeMinute) {
  EXPECT_EQ(next("* * * * *", at(2026, 12, 7, 10, 15)), at(2026, 12, 7, 10, 16));
  EXPECT_EQ(next("* * * * *", at(2026, 12, 7, 10, 15) + seconds{59}), at(2026, 12, 7, 10, 16));
  // Strictly after: a tick at exactly the given minute is not the next one.
  EXPECT_EQ(next("* * * * *", at(2026, 12, 31, 23, 59)), at(2027, 1, 1, 0, 0));
}

TEST(Cron, StepsRangesAndLists) {
  EXPECT_EQ(next("*/15 * * * *", at(2026, 1, 1, 10, 1)), at(2026, 1, 1, 10, 15));
  EXPECT_EQ(next("*/15 * * * *", at(2026, 1, 1, 10, 45)), at(2026, 1, 1, 11, 0));
  EXPECT_EQ(next("5/20 * * * *", at(2026, 1, 1, 10, 30)), at(2026, 1, 1, 10, 45));
  EXPECT_EQ(next("0 9-17/4 * * *", at(2026, 1, 1, 14, 0)), at(2026, 1, 1, 17, 0));
  EXPECT_EQ(next("0 9-17/4 * * *", at(2026, 1, 1, 17, 0)), at(2026, 1, 2, 9, 0));
  EXPECT_EQ(next("10,20,40 3 * * *", at(2026, 1, 1, 3, 20)), at(2026, 1, 1, 3, 40));
  CronSchedule s = parse("1-3,58 * * * *");
  EXPECT_EQ(s.minutes.count(), 4u);
  EXPECT_TRUE(s.minutes.test(58));
  EXPECT_FALSE(s.minutes.test(0));
}

TEST(Cron, NamesAreCaseInsensitiveAndDaysOfWeekCountFromSundayAsOne) {
  // 7 Dec 2026 is a Monday.
  EXPECT_EQ(next("0 17 * * sun", at(2026, 12, 7)), at(2026, 12, 13, 17, 0));
  EXPECT_EQ(next("0 17 * * 1", at(2026, 12, 7)), at(2026, 12, 13, 17, 0));
  EXPECT_EQ(next("10 7 * * mon-fri", at(2026, 12, 11, 8, 0)), at(2026, 12, 14, 7, 10));
  EXPECT_EQ(next("10 7 * * 2-6", at(2026, 12, 11, 8, 0)), at(2026, 12, 14, 7, 10));
  EXPECT_EQ(next("0 0 1 Jun *", at(2026, 12, 7)), at(2027, 6, 1));
  EXPECT_EQ(next("0 0 1 jul-AUG *", at(2027, 7, 2)), at(2027, 8, 1));
  EXPECT_EQ(next("0 12 * * SAT", at(2026, 12, 7)), at(2026, 12, 12, 12, 0));
  EXPECT_EQ(next("0 12 * * 7", at(2026, 12, 7)), at(2026, 12, 12, 12, 0));
}

TEST(Cron, DayOfMonthAndDayOfWeekBothRestrictedMatchEither) {
  // The 13th, or any Friday: from Mon 7 Dec 2026 the Friday the 11th comes first, then the 13th.
  EXPECT_EQ(next("0 0 13 * FRI", at(2026, 12, 7)), at(2026, 12, 11));
  EXPECT_EQ(next("0 0 13 * FRI", at(2026, 12, 11)), at(2026, 12, 13));
  EXPECT_EQ(next("0 0 13 * FRI", at(2026, 12, 13)), at(2026, 12, 18));
  // One of them `*`: only the other one counts.
  EXPECT_EQ(next("0 0 13 * *", at(2026, 12, 7)), at(2026, 12, 13));
  EXPECT_EQ(next("0 0 * * FRI", at(2026, 12, 11)), at(2026, 12, 18));
  // A step counts as restricted, as in Vixie cron: every other day of month, or a Sunday.
  EXPECT_EQ(next("0 0 */2 * SUN", at(2026, 12, 11)), at(2026, 12, 13));
  EXPECT_EQ(next("0 0 */2 * SUN", at(2026, 12, 13)), at(2026, 12, 15));
}

TEST(Cron, MonthEndsAndLeapYears) {
  // The 31st skips the months that have none.
  EXPECT_EQ(next("0 0 31 * *", at(2026, 3, 31)), at(2026, 5, 31));
  EXPECT_EQ(next("30 23 30 * *", at(2026, 1, 31)), at(2026, 3, 30, 23, 30));
  // 29 February: only leap years (2028; 2100 is not one, 2000 was).
  EXPECT_EQ(next("0 0 29 2 *", at(2026, 3, 1)), at(2028, 2, 29));
  EXPECT_EQ(next("0 0 29 2 *", at(2096, 3, 1)), at(2104, 2, 29));
  EXPECT_EQ(next("0 0 29 FEB *", at(1999, 12, 31)), at(2000, 2, 29));
  // Across a year's end.
  EXPECT_EQ(next("0 0 1 1 *", at(2026, 12, 7)), at(2027, 1, 1));
}

TEST(Cron, NeverFiringExpressionsAreRefused) {
  EXPECT_NE(parse_error("0 0 30 2 *").message.find("never fires"), std::string::npos);
  EXPECT_NE(parse_error("0 0 31 4,6,9,11 *").message.find("never fires"), std::string::npos);
  // With a day of week too, the OR rule makes it fire: on February's Mondays.
  EXPECT_EQ(next("0 0 30 2 MON", at(2026, 12, 7)), at(2027, 2, 1));
}

TEST(Cron, ErrorsNameTheFieldAndWhereInTheText) {
  CronError e = parse_error("* * * *");
  EXPECT_NE(e.message.find("5 fields"), std::string::npos) << e.message;
  e = parse_error("* * * * * *");
  EXPECT_EQ(e.offset, 10u);
  e = parse_error("60 * * * *");
  EXPECT_EQ(e.offset, 0u);
  EXPECT_NE(e.message.find("minute field \"60\": 60 is out of range 0-59"), std::string::npos)
      << e.message;
  e = parse_error("0  24 * * *");
  EXPECT_EQ(e.offset, 3u);
  EXPECT_NE(e.message.find("hour"), std::string::npos) << e.message;
  e = parse_error("0 0 * * 0");
  EXPECT_NE(e.message.find("1 = SUN"), std::string::npos) << e.message;
  e = parse_error("0 0 * FOO *");
  EXPECT_EQ(e.offset, 6u);
  EXPECT_NE(e.message.find("month field"), std::string::npos) << e.message;
  e = parse_error("0 0 * * 1,,2");
  EXPECT_NE(e.message.find("empty list item"), std::string::npos) << e.message;
  e = parse_error("0 0 5-1 * *");
  EXPECT_NE(e.message.find("runs backwards"), std::string::npos) << e.message;
  e = parse_error("*/0 * * * *");
  EXPECT_NE(e.message.find("step"), std::string::npos) << e.message;
  e = parse_error("*/x * * * *");
  EXPECT_EQ(e.offset, 2u);
  e = parse_error("0 0 L * *");
  EXPECT_NE(e.message.find("not supported"), std::string::npos) << e.message;
  e = parse_error("0 18 * * 6L");
  EXPECT_EQ(e.offset, 10u);
  EXPECT_NE(e.message.find("not supported"), std::string::npos) << e.message;
  e = parse_error("0 10 * * MON#2");
  EXPECT_NE(e.message.find("not supported"), std::string::npos) << e.message;
  e = parse_error("0 0 * * MONDAY");
  EXPECT_NE(e.message.find("unexpected \"DAY\""), std::string::npos) << e.message;
}

TEST(Cron, TicksAreWrittenAsIsoUtcToTheSecond) {
  EXPECT_EQ(format_cron_time(at(2026, 12, 7, 19, 5)), "2026-12-07T19:05:00Z");
  EXPECT_EQ(format_cron_time(at(2028, 2, 29, 23, 59) + seconds{7}), "2028-02-29T23:59:07Z");
  EXPECT_EQ(format_cron_time(sys_seconds{}), "1970-01-01T00:00:00Z");
}

TEST(Cron, KeepsTheTextAsWritten) {
  EXPECT_EQ(parse("*/5  * * * *").text, "*/5  * * * *");
  EXPECT_TRUE(parse("* * 1 * *").day_of_week_any);
  EXPECT_FALSE(parse("* * 1 * *").day_of_month_any);
}

}  // namespace
}  // namespace wsup::config

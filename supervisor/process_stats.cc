#include "supervisor/process_stats.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <system_error>

namespace wsup::supervisor {

namespace {

uint64_t rss_bytes(const std::string& dir) {
  std::ifstream statm(dir + "/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

double cpu_seconds(const std::string& dir) {
  std::ifstream stat(dir + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the parenthesised command name (which may hold spaces and parentheses):
  // state is field 3, utime 14, stime 15.
  const size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 > text.size()) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;
  unsigned long long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

uint64_t open_fds(const std::string& dir) {
  std::error_code ec;
  uint64_t count = 0;
  for (std::filesystem::directory_iterator it(dir + "/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++count;
  return count;
}

}  // namespace

ProcessStats read_process_stats(pid_t pid) {
  if (pid <= 0) return {};
  const std::string dir = "/proc/" + std::to_string(pid);
  return {rss_bytes(dir), cpu_seconds(dir), open_fds(dir)};
}

}  // namespace wsup::supervisor

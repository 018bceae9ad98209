#include "supervisor/file_watch.h"

#include <sys/stat.h>

namespace wsup::supervisor {
namespace {

int64_t mtime_ns(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mtim.tv_sec * 1'000'000'000 + st.st_mtim.tv_nsec
                                        : 0;
}

}  // namespace

void FileWatch::set(const std::vector<std::string>& files) {
  std::map<std::string, int64_t> next;
  for (const std::string& file : files) {
    auto known = seen_.find(file);
    next[file] = known != seen_.end() ? known->second : mtime_ns(file);
  }
  seen_ = std::move(next);
}

std::vector<std::string> FileWatch::changed() {
  std::vector<std::string> changed;
  for (auto& [file, seen] : seen_) {
    const int64_t now = mtime_ns(file);
    if (now == seen) continue;
    seen = now;
    if (now != 0) changed.push_back(file);
  }
  return changed;
}

}  // namespace wsup::supervisor

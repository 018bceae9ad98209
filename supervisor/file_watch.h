// wsup dev's file watching: modification times polled (a few files, every 300 ms: simpler than
// inotify, which would need re-arming across editors' rename-on-save), on the main loop's thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace wsup::supervisor {

class FileWatch {
 public:
  // Watches exactly `files`; one already watched keeps the time it was last seen with, so a
  // change made between two set() calls is still reported.
  void set(const std::vector<std::string>& files);
  // The watched files whose modification time moved since the last look (a removed file is not
  // a change: the check after it would fail on the missing file anyway).
  std::vector<std::string> changed();

 private:
  std::map<std::string, int64_t> seen_;  // path -> modification time (ns), 0 when absent
};

}  // namespace wsup::supervisor

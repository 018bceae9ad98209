// FileWatch (wsup dev): changes seen once, kept across set(), a removed file not a change.
#include "supervisor/file_watch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "tests/support/temp_dir.h"

namespace wsup::supervisor {
namespace {

using namespace std::chrono_literals;

// Moves a file's modification time forward, as a save does (whatever the clock's granularity).
void touch(const std::filesystem::path& file) {
  std::filesystem::last_write_time(file, std::filesystem::last_write_time(file) + 1s);
}

TEST(FileWatch, ReportsEachChangeOnce) {
  testing::TempDir dir;
  auto a = dir.write("a.js", "a"), b = dir.write("b.js", "b");
  FileWatch watch;
  watch.set({a.string(), b.string()});
  EXPECT_TRUE(watch.changed().empty());
  touch(b);
  EXPECT_EQ(watch.changed(), std::vector<std::string>{b.string()});
  EXPECT_TRUE(watch.changed().empty());
}

TEST(FileWatch, AChangeBetweenTwoSetsIsStillReported) {
  testing::TempDir dir;
  auto a = dir.write("a.js", "a"), b = dir.write("b.js", "b");
  FileWatch watch;
  watch.set({a.string()});
  touch(a);
  watch.set({a.string(), b.string()});  // a keeps the time it was seen with
  EXPECT_EQ(watch.changed(), std::vector<std::string>{a.string()});
}

TEST(FileWatch, ARemovedFileIsNotAChangeButItsReturnIs) {
  testing::TempDir dir;
  auto a = dir.write("a.js", "a");
  FileWatch watch;
  watch.set({a.string()});
  std::filesystem::remove(a);
  EXPECT_TRUE(watch.changed().empty());
  dir.write("a.js", "again");
  EXPECT_EQ(watch.changed(), std::vector<std::string>{a.string()});
}

}  // namespace
}  // namespace wsup::supervisor

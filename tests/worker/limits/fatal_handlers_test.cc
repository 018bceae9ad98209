// Fatal handlers: the reason for a fatal V8 out-of-memory reaches the callback before the
// process dies.
#include "worker/limits/fatal_handlers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>

#include "tests/worker/limits/v8_test_support.h"

namespace wsup::worker::limits {
namespace {

TEST(FatalReportTest, FormatsKindLocationAndMessage) {
  char buffer[128];
  FatalReport report{FatalKind::heap_out_of_memory, "Ineffective mark-compacts", "heap full"};
  const size_t length = format_fatal_report(report, buffer, sizeof buffer);
  EXPECT_STREQ(buffer,
               "kind=heap_out_of_memory location=\"Ineffective mark-compacts\" "
               "message=\"heap full\"");
  EXPECT_EQ(length, std::strlen(buffer));
}

TEST(FatalReportTest, KeepsQuotedValuesOnOneLine) {
  char buffer[128];
  FatalReport report{FatalKind::process_out_of_memory, "a \"b\"", "line1\nline2"};
  format_fatal_report(report, buffer, sizeof buffer);
  EXPECT_STREQ(buffer, "kind=process_out_of_memory location=\"a 'b'\" message=\"line1 line2\"");
}

TEST(FatalReportTest, TruncatesToTheBuffer) {
  char buffer[12];
  FatalReport report{FatalKind::fatal_error, "somewhere", "something"};
  EXPECT_EQ(format_fatal_report(report, buffer, sizeof buffer), 11u);
  EXPECT_STREQ(buffer, "kind=fatal_");
  EXPECT_EQ(format_fatal_report(report, buffer, 0), 0u);
}

// What the worker will do: copy the reason out without allocating, then let V8 abort.
void write_report_to_stderr(const FatalReport& report, void* data) {
  char* buffer = static_cast<char*>(data);
  size_t length = format_fatal_report(report, buffer, 512);
  buffer[length++] = '\n';
  [[maybe_unused]] ssize_t written = write(STDERR_FILENO, buffer, length);
}

void run_until_heap_oom() {
  static char buffer[513];
  // No HeapLimitGuard: nothing raises the limit, so V8 runs out of heap for real.
  testing::IsolatePtr isolate = testing::new_isolate(size_t{16} << 20);
  install_fatal_handlers(isolate.get(), &write_report_to_stderr, buffer);
  testing::run_js(isolate.get(), testing::kAllocateForever);
}

TEST(FatalHandlersDeathTest, HeapOutOfMemoryReportsItsReasonBeforeTheProcessDies) {
  // threadsafe: the child re-executes the binary, so V8 is set up afresh in a single-threaded
  // process rather than forked with the platform's threads half-copied.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(run_until_heap_oom(), "kind=heap_out_of_memory location=\"[^\"]+\"");
}

void fail_an_api_check() {
  static char buffer[513];
  testing::IsolatePtr isolate = testing::new_isolate();
  install_fatal_handlers(isolate.get(), &write_report_to_stderr, buffer);
  v8::Isolate::Scope isolate_scope(isolate.get());
  v8::HandleScope handle_scope(isolate.get());
  v8::MaybeLocal<v8::Value>().ToLocalChecked();
}

TEST(FatalHandlersDeathTest, FailedApiCheckReportsItsReasonAndAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(fail_an_api_check(),
               "kind=fatal_error location=\"v8::ToLocalChecked\" message=\"Empty MaybeLocal");
}

}  // namespace
}  // namespace wsup::worker::limits

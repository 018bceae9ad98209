// Backpressure on the response body: a paused subrequest reads nothing, so a 100 MB download to
// a slow reader keeps the process's memory flat while the upstream's sending stalls.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <cstdio>

#include "tests/support/eventually.h"
#include "tests/worker/egress/client_test_support.h"
#include "tests/worker/egress/test_upstream.h"

namespace wsup::worker::egress::testing {
namespace {

using namespace std::chrono_literals;

// Resident set size of this process, from /proc/self/statm, read without allocating (what the
// measurement allocates would be measured too; under ASan freed memory stays resident a while).
uint64_t rss_bytes() {
  char text[128] = {};
  int fd = ::open("/proc/self/statm", O_RDONLY);
  if (fd < 0) return 0;
  ssize_t got = ::read(fd, text, sizeof(text) - 1);
  ::close(fd);
  unsigned long long pages = 0, resident = 0;
  if (got <= 0 || std::sscanf(text, "%llu %llu", &pages, &resident) != 2) return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

TEST(StreamingTest, HundredMegabytesToASlowReaderKeepMemoryFlat) {
  constexpr uint64_t kTotal = 100ull << 20;
  constexpr uint64_t kPauseEvery = 1ull << 20;
  boost::asio::io_context loop;
  TestUpstream upstream;
  HttpClient client(loop, loopback_options());
  boost::asio::steady_timer later(loop);

  const uint64_t rss_before = rss_bytes();
  uint64_t received = 0, next_pause = kPauseEvery, rss_peak = rss_before, ahead_peak = 0;
  bool ended = false;
  std::string error;
  Subrequest sub;
  SubrequestCallbacks callbacks;
  callbacks.on_body = [&](std::string_view chunk) {
    received += chunk.size();
    // The upstream counts a write once write() returned, so the reader can be a little ahead of
    // the count for a moment.
    const uint64_t sent = upstream.big_bytes_sent();
    if (sent > received) ahead_peak = std::max(ahead_peak, sent - received);
    if (received < next_pause) return;
    rss_peak = std::max(rss_peak, rss_bytes());
    // The slow reader: it takes a breather every MiB, long enough for the socket buffers to
    // fill; the upstream then blocks in write() until the reader comes back.
    next_pause += kPauseEvery;
    sub.pause();
    later.expires_after(2ms);
    later.async_wait([&](const boost::system::error_code&) { sub.resume(); });
  };
  callbacks.on_end = [&] { ended = true; };
  callbacks.on_error = [&](FetchError failure) { error = failure.message; };
  sub =
      client.fetch(get(upstream.url("/big?bytes=" + std::to_string(kTotal))), std::move(callbacks));
  ASSERT_TRUE(run_until(
      loop, [&] { return ended || !error.empty(); }, 120s));
  ASSERT_TRUE(ended) << error;
  EXPECT_EQ(received, kTotal);
  // What the client holds is one 64 KiB buffer, not the body: the process grows by far less
  // than the download (allocator and sanitizer slack included).
  EXPECT_LT(rss_peak - rss_before, 24ull << 20) << "peak RSS grew by " << (rss_peak - rss_before);
  // And the upstream was held back: never more ahead of the reader than the sockets' buffers.
  EXPECT_LT(ahead_peak, 48ull << 20) << "the upstream ran " << ahead_peak << " bytes ahead";
}

TEST(StreamingTest, PausedSubrequestReadsNothingUntilResumed) {
  boost::asio::io_context loop;
  TestUpstream upstream;
  HttpClient client(loop, loopback_options());
  uint64_t received = 0;
  bool ended = false;
  Subrequest sub;
  SubrequestCallbacks callbacks;
  callbacks.on_head = [&](ResponseHead) { sub.pause(); };
  callbacks.on_body = [&](std::string_view chunk) { received += chunk.size(); };
  callbacks.on_end = [&] { ended = true; };
  sub = client.fetch(get(upstream.url("/big?bytes=" + std::to_string(64ull << 20))),
                     std::move(callbacks));
  ASSERT_TRUE(run_until(loop, [&] { return upstream.big_bytes_sent() > 0; }));
  // Paused at the head: the upstream can only fill the sockets' buffers, then it blocks.
  uint64_t stalled_at = 0;
  ASSERT_TRUE(wsup::testing::eventually(
      [&] {
        loop.poll();
        uint64_t now = upstream.big_bytes_sent();
        bool still = now == stalled_at;
        stalled_at = now;
        return still;
      },
      20s));
  EXPECT_EQ(received, 0u);
  EXPECT_LT(stalled_at, 48ull << 20);
  sub.resume();
  ASSERT_TRUE(run_until(
      loop, [&] { return ended; }, 60s));
  EXPECT_EQ(received, 64ull << 20);
}

}  // namespace
}  // namespace wsup::worker::egress::testing

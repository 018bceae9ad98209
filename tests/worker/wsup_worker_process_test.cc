// The real wsup-worker binary in serving mode, driven the way the supervisor drives it: a
// shared-memory channel, the worker forked and exec'd with the channel's doorbell fds, requests
// in, responses out, SIGTERM drains and the process exits 0.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shared/channel.h"
#include "tests/support/reap.h"
#include "tests/worker/runtime_harness.h"

namespace wsup::worker::testing {
namespace {

class WorkerProcess {
 public:
  WorkerProcess(const std::string& config, SupervisorChannel& channel) {
    std::vector<std::string> args = {WSUP_WORKER_BINARY,
                                     "--config",
                                     config,
                                     "--worker-id",
                                     "7",
                                     "--segment",
                                     channel.name(),
                                     "--request-fd",
                                     std::to_string(channel.worker_doorbell_fd()),
                                     "--response-fd",
                                     std::to_string(channel.supervisor_doorbell_fd())};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int request_fd = channel.worker_doorbell_fd();
    const int response_fd = channel.supervisor_doorbell_fd();
    pid_ = ::fork();
    if (pid_ == 0) {
      if (!clear_close_on_exec(request_fd) || !clear_close_on_exec(response_fd)) ::_exit(126);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~WorkerProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // Exit status, or -1 if it did not exit within `timeout`.
  int wait_exit(std::chrono::milliseconds timeout) {
    std::optional<int> code = ::wsup::testing::reap_within(pid_, timeout);
    reaped_ = code.has_value();
    return code.value_or(-1);
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

TEST(WsupWorkerProcessTest, ServesRequestsFromItsSegmentAndDrainsOnSigterm) {
  TempDir dir;
  dir.write("hello.js",
            "addEventListener('fetch', (e) => e.respondWith((async () => {\n"
            "  await new Promise((d) => setTimeout(d, 2));\n"
            "  return new Response('hello ' + new URL(e.request.url).pathname + ' ' + GREETING, "
            "{headers: {'x-worker': 'yes'}});\n"
            "})()));\n");
  const std::string config = dir.write(
      "cluster.yaml",
      "listen: 127.0.0.1:18080\nisolates_per_worker: 2\nlogging:\n  level: warn\nscripts:\n"
      "  - name: hello\n    path: hello.js\n    routes: [\"/*\"]\n    vars:\n      GREETING: hi\n");
  ChannelOptions options;
  options.instance_id = "wproc" + std::to_string(::getpid());
  options.worker_id = 7;
  options.slots = 8;
  SupervisorChannel channel = SupervisorChannel::create(options);
  WorkerProcess worker(config, channel);
  ASSERT_TRUE(eventually([&] { return channel.worker_state() == WorkerState::ready; },
                         std::chrono::seconds(20)))
      << "state " << to_string(channel.worker_state());
  EXPECT_EQ(channel.worker_pid(), worker.pid());

  constexpr int kRequests = 16;
  std::map<uint64_t, ResponseEvent> done;
  int submitted = 0;
  eventually(
      [&] {
        while (submitted < kRequests) {
          HttpRequest request = make_request("hello", "http://x/p" + std::to_string(submitted));
          request.id = 500 + submitted;
          if (channel.try_submit(request) != SubmitStatus::ok) break;
          ++submitted;
        }
        channel.poll_responses([&](ResponseEvent&& c) { done[c.request_id] = std::move(c); });
        if (done.size() < kRequests) channel.wait_for_responses(std::chrono::milliseconds(10));
        return done.size() == kRequests;
      },
      std::chrono::seconds(20));
  ASSERT_EQ(done.size(), static_cast<size_t>(kRequests));
  EXPECT_EQ(done[500].error, ChannelError::none);
  EXPECT_EQ(done[500].response.status, 200);
  EXPECT_EQ(done[500].response.body, "hello /p0 hi");
  EXPECT_EQ(done[515].response.body, "hello /p15 hi");
  // init.headers first; the body's Content-Type is appended after them (Fetch's order).
  HeaderList expected_headers = {{"x-worker", "yes"}, {"content-type", "text/plain;charset=UTF-8"}};
  EXPECT_EQ(done[515].response.headers, expected_headers);
  EXPECT_LT(channel.heartbeat_age(), std::chrono::seconds(5));

  ::kill(worker.pid(), SIGTERM);
  EXPECT_EQ(worker.wait_exit(std::chrono::seconds(10)), 0);
  EXPECT_EQ(channel.worker_state(), WorkerState::stopped);
}

TEST(WsupWorkerProcessTest, ScriptThatDoesNotCompileExitsWithTheReasonInTheSegment) {
  TempDir dir;
  dir.write("bad.js", "addEventListener('fetch', (e) => {\n  let = ;\n});\n");
  const std::string config =
      dir.write("cluster.yaml",
                "listen: 127.0.0.1:18081\nlogging:\n  level: error\nscripts:\n  - name: bad\n"
                "    path: bad.js\n    routes: [\"/*\"]\n");
  ChannelOptions options;
  options.instance_id = "wbad" + std::to_string(::getpid());
  SupervisorChannel channel = SupervisorChannel::create(options);
  WorkerProcess worker(config, channel);
  EXPECT_EQ(worker.wait_exit(std::chrono::seconds(20)), 1);
  ASSERT_TRUE(channel.fatal_reason().has_value());
  EXPECT_NE(channel.fatal_reason()->find("bad.js:2:"), std::string::npos)
      << *channel.fatal_reason();
}

}  // namespace
}  // namespace wsup::worker::testing

// The serving loop over a real shared-memory channel, in one process: a "supervisor" thread
// submits requests and reads responses while the worker loop runs on the main (V8) thread.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include <boost/asio/post.hpp>

#include "shared/channel.h"
#include "tests/worker/runtime_harness.h"
#include "worker/worker_service.h"

namespace wsup::worker::testing {
namespace {

TEST(WorkerServiceTest, AnswersEveryRequestFromTheChannelThenDrains) {
  ensure_v8();
  TempDir dir;
  RuntimeOptions options;
  options.scripts.push_back(
      ScriptSpec{"main",
                 dir.write("main.mjs",
                           "export default { async fetch(r) {\n"
                           "  await new Promise((d) => setTimeout(d, 1));\n"
                           "  return new Response('echo ' + r.url + ' ' + await r.text());\n"
                           "} };"),
                 true,
                 {},
                 {}});
  options.isolates = 2;
  boost::asio::io_context loop;
  Runtime runtime(loop, options);

  ChannelOptions channel_options;
  channel_options.instance_id = "svc" + std::to_string(::getpid());
  channel_options.slots = 8;
  SupervisorChannel supervisor = SupervisorChannel::create(channel_options);
  WorkerChannel channel =
      WorkerChannel::open(supervisor.name(), ::dup(supervisor.worker_doorbell_fd()),
                          ::dup(supervisor.supervisor_doorbell_fd()));
  WorkerService service(loop, runtime, channel, std::chrono::milliseconds(20));
  service.start();
  EXPECT_EQ(supervisor.worker_state(), WorkerState::ready);

  constexpr int kRequests = 20;
  std::map<uint64_t, HttpResponse> responses;
  std::thread front([&] {
    int submitted = 0;
    eventually(
        [&] {
          while (submitted < kRequests) {
            HttpRequest request = make_request("main", "http://x/" + std::to_string(submitted),
                                               "POST", {}, "body" + std::to_string(submitted));
            request.id = 1000 + submitted;
            if (supervisor.try_submit(request) != SubmitStatus::ok) break;
            ++submitted;
          }
          supervisor.poll_responses(
              [&](ResponseEvent&& done) { responses[done.request_id] = std::move(done.response); });
          if (responses.size() < kRequests)
            supervisor.wait_for_responses(std::chrono::milliseconds(5));
          return responses.size() == kRequests;
        },
        std::chrono::seconds(20));
    boost::asio::post(loop, [&] { service.drain(); });
  });
  loop.run();
  front.join();

  ASSERT_EQ(responses.size(), static_cast<size_t>(kRequests));
  EXPECT_EQ(responses[1000].status, 200);
  EXPECT_EQ(responses[1000].body, "echo http://x/0 body0");
  EXPECT_EQ(responses[1019].body, "echo http://x/19 body19");
  EXPECT_EQ(supervisor.worker_state(), WorkerState::stopped);
  EXPECT_LT(supervisor.heartbeat_age(), std::chrono::seconds(5));
}

}  // namespace
}  // namespace wsup::worker::testing

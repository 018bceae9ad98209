// fake-worker: speaks wsup-worker's command line and channel protocol without V8, so the
// supervisor's lifecycle, error paths and streamed responses can be tested quickly and
// deterministically. It answers through the same ChannelResponseSinks as wsup-worker.
//
// Paths it understands: /sleep/MS (answers after MS ms, others are served meanwhile),
// /crash (aborts while holding the request), /status/N (answers status N), /bare (no
// headers), /headers (the body lists the request's headers, "name: value" a line), /big/N (a whole
// response of N bytes 'b': past one record the sink streams it), /stream?chunks=N&size=S (a
// streamed body of N chunks, chunk k being S bytes of 'a'+k%26; more parameters: length=L declares
// the length L, declare=1 declares the true one, abort=K ends it aborted after K chunks, hang=K
// stops after K chunks, crash=K aborts the process after K, delay=MS waits MS ms before each chunk
// after the first, status=N), anything else: 200 "worker=<id> <METHOD> <url> script=<name>
// body=<bytes>" with header x-fake-worker: <id>. A cancelled stream prints "fake-worker: cancelled
// req=<id>" on stderr.
// --check CONFIG exits 0, or 1 with a file:line:column message when the config text contains
// "fake-check-fails". FAKE_WORKER_EXIT_AT_START=1 makes it exit 3 before getting ready.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "shared/channel.h"
#include "tests/support/test_stream_writer.h"
#include "worker/channel_sinks.h"

namespace {

volatile std::sig_atomic_t g_terminate = 0;
void on_term(int) {
  g_terminate = 1;
}

using Clock = std::chrono::steady_clock;
using wsup::testing::TestStreamWriter;

wsup::HttpResponse answer(const wsup::HttpRequest& r, int worker) {
  wsup::HttpResponse out;
  out.id = r.id;
  out.status = 200;
  out.headers = {{"content-type", "text/plain"}, {"x-fake-worker", std::to_string(worker)}};
  out.body = "worker=" + std::to_string(worker) + " " + r.method + " " + r.url +
             " script=" + r.script + " body=" + std::to_string(r.body.size());
  return out;
}

std::string path_of(const std::string& url) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

// "/stream?chunks=3&size=10" -> {chunks: 3, size: 10}
std::map<std::string, uint64_t> query_numbers(const std::string& path) {
  std::map<std::string, uint64_t> out;
  size_t at = path.find('?');
  while (at != std::string::npos) {
    size_t end = path.find('&', at + 1);
    std::string pair = path.substr(at + 1, end == std::string::npos ? end : end - at - 1);
    if (size_t eq = pair.find('='); eq != std::string::npos)
      out[pair.substr(0, eq)] = std::strtoull(pair.c_str() + eq + 1, nullptr, 10);
    at = end;
  }
  return out;
}

// Work due later on the one thread: delayed answers, delayed chunks, deferred callbacks.
struct Later {
  std::multimap<Clock::time_point, std::function<void()>> due;
  void at(Clock::time_point when, std::function<void()> f) { due.emplace(when, std::move(f)); }
  bool run_due() {
    bool ran = false;
    while (!due.empty() && due.begin()->first <= Clock::now()) {
      auto f = std::move(due.begin()->second);
      due.erase(due.begin());
      f();
      ran = true;
    }
    return ran;
  }
};

void stream(std::shared_ptr<wsup::worker::ChannelResponseSink> sink, const wsup::HttpRequest& r,
            const std::string& path, Later& later) {
  auto q = query_numbers(path);
  auto get = [&](const char* key, uint64_t otherwise) { return q.count(key) ? q[key] : otherwise; };
  TestStreamWriter::Plan plan;
  plan.chunks = get("chunks", 3);
  plan.size = get("size", 16);
  if (q.count("length")) plan.length = q["length"];
  if (get("declare", 0) == 1) plan.length = plan.chunks * plan.size;
  plan.abort_after = get("abort", UINT64_MAX);
  plan.hang_after = get("hang", UINT64_MAX);
  plan.crash_after = get("crash", UINT64_MAX);
  plan.delay = std::chrono::milliseconds(get("delay", 0));
  const uint64_t id = r.id;
  plan.on_cancel = [id] {
    std::fprintf(stderr, "fake-worker: cancelled req=%llu\n", static_cast<unsigned long long>(id));
  };
  wsup::HttpResponse head{
      id, static_cast<uint16_t>(get("status", 200)), {{"content-type", "text/plain"}}, {}};
  auto schedule = [&later](std::chrono::milliseconds delay, std::function<void()> f) {
    later.at(Clock::now() + delay, std::move(f));
  };
  std::make_shared<TestStreamWriter>(std::move(sink), std::move(head), std::move(plan), schedule)
      ->start();
}

}  // namespace

int main(int argc, char** argv) {
  std::string config, segment;
  int worker = 0, request_fd = -1, response_fd = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--check") {
      std::ifstream in(value);
      std::stringstream text;
      text << in.rdbuf();
      if (text.str().find("fake-check-fails") != std::string::npos) {
        std::fprintf(stderr, "%s:1:1: SyntaxError: fake compile error\n", value.c_str());
        return 1;
      }
      return 0;
    }
    if (flag == "--config") config = value;
    if (flag == "--worker-id") worker = std::atoi(value.c_str());
    if (flag == "--segment") segment = value;
    if (flag == "--request-fd") request_fd = std::atoi(value.c_str());
    if (flag == "--response-fd") response_fd = std::atoi(value.c_str());
  }
  if (const char* e = std::getenv("FAKE_WORKER_EXIT_AT_START"); e && *e == '1') return 3;
  std::signal(SIGTERM, on_term);
  auto channel = wsup::WorkerChannel::open(segment, request_fd, response_fd);
  channel.set_pid(::getpid());
  channel.set_state(wsup::WorkerState::ready);
  Later later;
  wsup::worker::ChannelSinks sinks(
      channel, [&later](std::function<void()> f) { later.at(Clock::now(), std::move(f)); });
  for (;;) {
    bool worked = false;
    for (auto t = channel.try_take(); t.kind != wsup::TakeResult::Kind::empty;
         t = channel.try_take()) {
      worked = true;
      if (sinks.route(t) || t.kind != wsup::TakeResult::Kind::request) continue;
      std::string path = path_of(t.request.url);
      if (path == "/crash") std::abort();
      auto sink = sinks.open(t.request.id, nullptr);
      if (path.starts_with("/stream")) {
        stream(sink, t.request, path, later);
        continue;
      }
      wsup::HttpResponse r = answer(t.request, worker);
      if (path == "/bare") r.headers.clear();  // no header at all
      if (path == "/headers") {
        r.body.clear();
        for (const auto& [name, value] : t.request.headers) r.body += name + ": " + value + "\n";
      }
      if (path.starts_with("/status/"))
        r.status = static_cast<uint16_t>(std::atoi(path.c_str() + 8));
      if (path.starts_with("/big/"))
        r.body = std::string(std::strtoull(path.c_str() + 5, nullptr, 10), 'b');
      if (path.starts_with("/sleep/")) {
        later.at(Clock::now() + std::chrono::milliseconds(std::atoi(path.c_str() + 7)),
                 [sink, r] { sink->respond(r); });
      } else {
        sink->respond(std::move(r));
      }
    }
    worked |= later.run_due();
    if (g_terminate && sinks.open_count() == 0) break;
    if (worked) continue;
    if (channel.prepare_to_sleep()) {
      pollfd fd{channel.request_doorbell_fd(), POLLIN, 0};
      ::poll(&fd, 1, 5);
      channel.finish_sleep();
    }
  }
  channel.set_state(wsup::WorkerState::stopped);
  return 0;
}

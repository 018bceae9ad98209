// fake-worker: speaks wsup-worker's command line and channel protocol without V8, so the
// supervisor's lifecycle and error paths can be tested quickly and deterministically.
//
// Paths it understands: /sleep/MS (answers after MS ms, others are served meanwhile),
// /crash (aborts while holding the request), /status/N (answers status N), /bare (no
// headers), anything else:
// 200 "worker=<id> <METHOD> <url> script=<name> body=<bytes>" with header x-fake-worker: <id>.
// --check CONFIG exits 0, or 1 with a file:line:column message when the config text contains
// "fake-check-fails". FAKE_WORKER_EXIT_AT_START=1 makes it exit 3 before getting ready.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shared/channel.h"

namespace {

volatile std::sig_atomic_t g_terminate = 0;
void on_term(int) {
  g_terminate = 1;
}

using Clock = std::chrono::steady_clock;
struct Delayed {
  Clock::time_point due;
  wsup::HttpResponse response;
};

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
  std::vector<Delayed> delayed;
  for (;;) {
    bool worked = false;
    for (auto t = channel.try_take(); t.kind != wsup::TakeResult::Kind::empty;
         t = channel.try_take()) {
      worked = true;
      if (t.kind != wsup::TakeResult::Kind::request) continue;
      std::string path = path_of(t.request.url);
      if (path == "/crash") std::abort();
      wsup::HttpResponse r = answer(t.request, worker);
      if (path == "/bare") r.headers.clear();  // no header at all
      if (path.starts_with("/status/"))
        r.status = static_cast<uint16_t>(std::atoi(path.c_str() + 8));
      if (path.starts_with("/sleep/")) {
        delayed.push_back(
            {Clock::now() + std::chrono::milliseconds(std::atoi(path.c_str() + 7)), std::move(r)});
      } else {
        channel.respond(r);
      }
    }
    auto now = Clock::now();
    for (auto it = delayed.begin(); it != delayed.end();) {
      if (it->due <= now) {
        channel.respond(it->response);
        it = delayed.erase(it);
        worked = true;
      } else {
        ++it;
      }
    }
    if (g_terminate && delayed.empty() && channel.taken_count() == 0) break;
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

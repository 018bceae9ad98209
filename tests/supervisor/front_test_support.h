// In-process pieces for the HTTP front's tests: a worker stand-in behind the dispatcher (and
// tests/support/raw_client.h, the raw loopback client).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "supervisor/dispatcher.h"
#include "tests/support/raw_client.h"

namespace wsup::supervisor::testing {

// A worker that answers every request on its own thread: 200, the header "x-echo: yes", and the
// body "<method> <url> body=<body>". Paths starting with /hold wait until release() (or a
// cancel); /headers answers with framing and broken headers a script should not get through;
// /big/N appends N bytes to the body.
class EchoWorker : public RequestChannel {
 public:
  EchoWorker(Dispatcher& dispatcher, EndpointId endpoint);
  ~EchoWorker() override;
  SubmitResult try_submit(const HttpRequest& request) override;
  bool try_cancel(uint64_t request_id) override;
  void release();    // answers the held requests
  int held() const;  // /hold requests waiting for release()
  int cancelled() const;
  int served() const;

 private:
  void run();
  HttpResponse answer(const HttpRequest& request) const;

  Dispatcher& dispatcher_;
  const EndpointId endpoint_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<HttpRequest> queue_;
  std::deque<HttpRequest> held_;
  bool released_ = false;
  bool stopping_ = false;
  int cancelled_ = 0;
  int served_ = 0;
  std::thread thread_;
};

using wsup::testing::complete_responses;
using wsup::testing::RawClient;

}  // namespace wsup::supervisor::testing

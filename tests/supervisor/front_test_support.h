// In-process pieces for the HTTP front's tests: a worker stand-in behind the dispatcher, and a
// raw loopback client that sends bytes exactly as given and reads with deadlines.
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

namespace wsup::supervisor::testing {

// A worker that answers every request on its own thread: 200, the header "x-echo: yes", and the
// body "<method> <url> body=<body>". Paths starting with /hold wait until release() (or a
// cancel); /headers answers with framing and broken headers a script should not get through.
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

// One loopback TCP connection with bounded waits.
class RawClient {
 public:
  explicit RawClient(uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  bool connected() const { return fd_ >= 0; }
  void send(const std::string& bytes);
  // Everything until the server closes, or until `timeout` passes (closed() tells which).
  std::string read_until_close(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Reads until `count` complete responses (Content-Length framed) are in, or timeout.
  std::string read_responses(size_t count,
                             std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool closed() const { return closed_; }
  // True when the server closes the connection within `timeout`, reading whatever comes.
  bool closed_within(std::chrono::milliseconds timeout);
  void close();

 private:
  bool read_some(std::string& into, std::chrono::steady_clock::time_point until);
  int fd_ = -1;
  bool closed_ = false;
};

// Count of complete "HTTP/1.1 NNN" responses (status lines + Content-Length bodies) in `bytes`.
size_t complete_responses(const std::string& bytes);

}  // namespace wsup::supervisor::testing

#include "front_test_support.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace wsup::supervisor::testing {

EchoWorker::EchoWorker(Dispatcher& dispatcher, EndpointId endpoint)
    : dispatcher_(dispatcher), endpoint_(endpoint), thread_([this] { run(); }) {}

EchoWorker::~EchoWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

SubmitResult EchoWorker::try_submit(const HttpRequest& request) {
  {
    std::lock_guard lock(mutex_);
    (request.url.find("/hold") != std::string::npos && !released_ ? held_ : queue_)
        .push_back(request);
  }
  cv_.notify_all();
  return SubmitResult::accepted;
}

bool EchoWorker::try_cancel(uint64_t request_id) {
  std::lock_guard lock(mutex_);
  for (auto* list : {&queue_, &held_}) {
    auto it = std::find_if(list->begin(), list->end(),
                           [&](const HttpRequest& r) { return r.id == request_id; });
    if (it == list->end()) continue;
    list->erase(it);
    ++cancelled_;
    return true;
  }
  return false;
}

void EchoWorker::release() {
  {
    std::lock_guard lock(mutex_);
    released_ = true;
    for (auto& r : held_) queue_.push_back(std::move(r));
    held_.clear();
  }
  cv_.notify_all();
}

int EchoWorker::held() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(held_.size());
}

int EchoWorker::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

int EchoWorker::served() const {
  std::lock_guard lock(mutex_);
  return served_;
}

HttpResponse EchoWorker::answer(const HttpRequest& request) const {
  HttpResponse response;
  response.id = request.id;
  response.status = 200;
  response.headers = {{"x-echo", "yes"}};
  if (request.url.find("/headers") != std::string::npos) {
    response.headers.emplace_back("Content-Length", "999");
    response.headers.emplace_back("Connection", "close");
    response.headers.emplace_back("X-Split", "a\r\nInjected: yes");
  }
  response.body = request.method + " " + request.url + " body=" + request.body;
  return response;
}

void EchoWorker::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    HttpRequest request = std::move(queue_.front());
    queue_.pop_front();
    ++served_;
    lock.unlock();
    dispatcher_.complete(endpoint_, answer(request));
    lock.lock();
  }
}

RawClient::RawClient(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) close();
}

RawClient::~RawClient() {
  close();
}

void RawClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RawClient::send(const std::string& bytes) {
  size_t done = 0;
  while (fd_ >= 0 && done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

bool RawClient::read_some(std::string& into, std::chrono::steady_clock::time_point until) {
  if (fd_ < 0 || closed_) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buf[16384];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  into.append(buf, static_cast<size_t>(n));
  return true;
}

std::string RawClient::read_until_close(std::chrono::milliseconds timeout) {
  std::string out;
  auto until = std::chrono::steady_clock::now() + timeout;
  while (read_some(out, until)) {
  }
  return out;
}

std::string RawClient::read_responses(size_t count, std::chrono::milliseconds timeout) {
  std::string out;
  auto until = std::chrono::steady_clock::now() + timeout;
  while (complete_responses(out) < count && read_some(out, until)) {
  }
  return out;
}

bool RawClient::closed_within(std::chrono::milliseconds timeout) {
  read_until_close(timeout);
  return closed_;
}

size_t complete_responses(const std::string& bytes) {
  size_t count = 0;
  size_t at = 0;
  while (bytes.compare(at, 9, "HTTP/1.1 ") == 0) {
    size_t end = bytes.find("\r\n\r\n", at);
    if (end == std::string::npos) break;
    std::string head = bytes.substr(at, end - at);
    size_t length = 0;
    if (size_t cl = head.find("Content-Length: "); cl != std::string::npos)
      length = std::stoul(head.substr(cl + 16));
    if (bytes.size() < end + 4 + length) break;
    at = end + 4 + length;
    ++count;
  }
  return count;
}

}  // namespace wsup::supervisor::testing

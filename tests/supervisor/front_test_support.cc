#include "front_test_support.h"

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
  if (size_t big = request.url.find("/big/"); big != std::string::npos)
    response.body.append(std::stoull(request.url.substr(big + 5)), 'b');  // a large body
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

}  // namespace wsup::supervisor::testing

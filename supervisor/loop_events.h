// What wakes the supervisor's main loop besides worker pidfds: signals, read from a signalfd
// (the signals are blocked in every thread, so no handler ever runs), and control commands,
// queued by the control socket's threads behind an eventfd.
#pragma once

#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <utility>

#include "supervisor/control.h"

namespace wsup::supervisor {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (create it before any other thread, so
// they all inherit the mask) and ignores SIGPIPE.
class SignalFd {
 public:
  SignalFd();
  ~SignalFd();
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  int fd() const { return fd_; }
  std::optional<int> next() const;  // a pending signal number, non-blocking

 private:
  int fd_ = -1;
};

class CommandQueue {
 public:
  using Item = std::pair<ControlCommand, std::promise<ControlReply>>;
  CommandQueue();
  ~CommandQueue();
  CommandQueue(const CommandQueue&) = delete;
  CommandQueue& operator=(const CommandQueue&) = delete;
  int fd() const { return wake_fd_; }  // readable while commands wait
  // Any thread: queue a command; the future gets the main loop's answer.
  std::future<ControlReply> post(ControlCommand command);
  // Main loop: everything queued so far.
  std::deque<Item> take();

 private:
  int wake_fd_ = -1;
  std::mutex mutex_;
  std::deque<Item> items_;
};

}  // namespace wsup::supervisor

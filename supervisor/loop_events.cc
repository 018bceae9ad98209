#include "supervisor/loop_events.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <stdexcept>

namespace wsup::supervisor {

SignalFd::SignalFd() {
  sigset_t set;
  ::sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) ::sigaddset(&set, s);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  fd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd_ < 0) throw std::runtime_error("signalfd failed");
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the supervisor
}

SignalFd::~SignalFd() {
  ::close(fd_);
}

std::optional<int> SignalFd::next() const {
  signalfd_siginfo info{};
  if (::read(fd_, &info, sizeof info) != sizeof info) return std::nullopt;
  return static_cast<int>(info.ssi_signo);
}

CommandQueue::CommandQueue() : wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (wake_fd_ < 0) throw std::runtime_error("eventfd failed");
}

CommandQueue::~CommandQueue() {
  ::close(wake_fd_);
}

std::future<ControlReply> CommandQueue::post(ControlCommand command) {
  std::promise<ControlReply> promise;
  auto future = promise.get_future();
  {
    std::lock_guard lock(mutex_);
    items_.emplace_back(command, std::move(promise));
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  return future;
}

std::deque<CommandQueue::Item> CommandQueue::take() {
  uint64_t count;
  [[maybe_unused]] ssize_t n = ::read(wake_fd_, &count, sizeof count);
  std::lock_guard lock(mutex_);
  return std::exchange(items_, {});
}

}  // namespace wsup::supervisor

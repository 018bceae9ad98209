#include "supervisor/worker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "shared/log.h"
#include "supervisor/process_stats.h"

namespace wsup::supervisor {

SubmitResult ShmRequestChannel::try_submit(const HttpRequest& request) {
  switch (channel_->try_submit(request)) {
    case SubmitStatus::ok:
      return SubmitResult::accepted;
    case SubmitStatus::full:
    case SubmitStatus::spill_failed:  // shm momentarily full: like a full ring, wait or 503
      return SubmitResult::full;
    case SubmitStatus::too_large:
      return SubmitResult::too_large;
    case SubmitStatus::closed:
      return SubmitResult::closed;
  }
  return SubmitResult::closed;
}

namespace {

HttpResponse error_response(uint64_t request_id, ChannelError error) {
  HttpResponse r;
  r.id = request_id;
  r.status = 502;
  r.headers = {{"content-type", "text/plain; charset=utf-8"}};
  switch (error) {
    case ChannelError::corrupt_record:
      r.body =
          "wsup: the worker wrote a corrupt response record (rejected); the worker is being "
          "restarted\n";
      break;
    case ChannelError::headers_too_large:
      r.body = "wsup: the script's response headers do not fit one ring slot (slot_arena_bytes)\n";
      break;
    default:
      r.body =
          std::string("wsup: the worker's response could not be read (") + to_string(error) + ")\n";
  }
  return r;
}

}  // namespace

void deliver_to(Dispatcher& dispatcher, EndpointId endpoint, ResponseEvent&& event) {
  switch (event.kind) {
    case ResponseEvent::Kind::whole:
      if (event.error != ChannelError::none)
        dispatcher.complete(endpoint, error_response(event.request_id, event.error));
      else
        dispatcher.complete(endpoint, std::move(event.response));
      return;
    case ResponseEvent::Kind::head:
      dispatcher.begin_stream(endpoint, std::move(event.response), event.length);
      return;
    case ResponseEvent::Kind::chunk:
      dispatcher.stream_chunk(endpoint, event.request_id, std::move(event.chunk));
      return;
    case ResponseEvent::Kind::end:
      dispatcher.end_stream(endpoint, event.request_id, event.aborted);
      return;
  }
}

namespace {
int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
}  // namespace

WorkerProcess::WorkerProcess(const WorkerSpawnSpec& spec, EndpointId endpoint)
    : spec_(spec), endpoint_(endpoint) {
  channel_ = std::make_shared<SupervisorChannel>(SupervisorChannel::create(spec_.channel));
  request_channel_ = std::make_shared<ShmRequestChannel>(channel_);

  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<std::string> args = {spec_.worker_binary,
                                   "--config",
                                   spec_.config_path,
                                   "--worker-id",
                                   std::to_string(spec_.worker_id),
                                   "--segment",
                                   channel_->name(),
                                   "--request-fd",
                                   std::to_string(channel_->worker_doorbell_fd()),
                                   "--response-fd",
                                   std::to_string(channel_->supervisor_doorbell_fd())};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int request_fd = channel_->worker_doorbell_fd();
  const int response_fd = channel_->supervisor_doorbell_fd();
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid_ == 0) {
    // No worker may outlive the supervisor; the getppid check closes the race with its death.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    // The supervisor blocks these for its signalfd; the worker wants the defaults back.
    sigset_t all;
    ::sigfillset(&all);
    ::sigprocmask(SIG_UNBLOCK, &all, nullptr);
    // SIGUSR1 (reopen the log files) stays ignored across exec until the worker's loop handles
    // it: one that arrives while the worker starts must not kill it.
    ::signal(SIGUSR1, SIG_IGN);
    // Any descriptor opened without CLOEXEC (a library's socket) must not leak into the
    // worker: a leaked client fd would keep a closed connection open until the worker exits.
    const unsigned low = static_cast<unsigned>(std::min(request_fd, response_fd));
    const unsigned high = static_cast<unsigned>(std::max(request_fd, response_fd));
    if (low > 3) ::close_range(3, low - 1, 0);
    if (high > low + 1) ::close_range(low + 1, high - 1, 0);
    ::close_range(high + 1, ~0u, 0);
    if (!clear_close_on_exec(request_fd) || !clear_close_on_exec(response_fd)) ::_exit(127);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  started_at_ = Clock::now();
  pidfd_ = pidfd_open(pid_);
  if (pidfd_ < 0) {
    int e = errno;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    throw std::runtime_error(std::string("pidfd_open failed (Linux >= 5.3 needed): ") +
                             std::strerror(e));
  }
  log::info("worker started", {{"worker", spec_.worker_id},
                               {"pid", pid_},
                               {"epoch", spec_.channel.epoch},
                               {"segment", channel_->name()}});
}

WorkerProcess::~WorkerProcess() {
  if (!exited()) {
    kill();
    siginfo_t info{};
    ::waitid(P_PIDFD, static_cast<id_t>(pidfd_), &info, WEXITED);
    exit_description_ = "killed";
  }
  stop_reader();
  ::close(pidfd_);
}

void WorkerProcess::start_reader(std::function<void(ResponseEvent&&)> deliver) {
  reader_ = std::thread([this, deliver = std::move(deliver)] {
    // relaxed: the flag carries no data; join() orders everything after the loop ends.
    while (!stop_reader_.load(std::memory_order_relaxed)) {
      channel_->poll_responses(deliver);
      channel_->wait_for_responses(std::chrono::milliseconds(50));
    }
  });
}

void WorkerProcess::stop_reader() {
  stop_reader_.store(true, std::memory_order_relaxed);
  if (reader_.joinable()) reader_.join();
}

void WorkerProcess::terminate() const {
  if (!exited()) ::kill(pid_, SIGTERM);
}
void WorkerProcess::kill() const {
  if (!exited()) ::kill(pid_, SIGKILL);
}
void WorkerProcess::kill_because(std::string reason) {
  kill_reason_ = std::move(reason);
  kill();
}

bool WorkerProcess::try_reap() {
  if (exited()) return true;
  siginfo_t info{};
  if (::waitid(P_PIDFD, static_cast<id_t>(pidfd_), &info, WEXITED | WNOHANG) != 0 ||
      info.si_pid == 0)
    return false;
  std::ostringstream how;
  if (info.si_code == CLD_EXITED) {
    how << "exit status " << info.si_status;
    exit_status_ = info.si_status;
  } else {
    how << "killed by signal " << info.si_status << " (" << ::strsignal(info.si_status) << ")";
  }
  if (auto reason = channel_->fatal_reason())
    how << ": " << *reason;
  else if (!kill_reason_.empty())
    how << ": " << kill_reason_;
  exit_description_ = how.str();
  return true;
}

SupervisorChannel::Reaped WorkerProcess::reap_channel() {
  stop_reader();
  if (channel_reaped_) return {};
  channel_reaped_ = true;
  return channel_->reap_after_death();
}

void WorkerProcess::describe(WorkerSnapshot& row, Clock::time_point now) {
  row.pid = pid_;
  row.uptime_seconds = std::chrono::duration<double>(now - started_at_).count();
  ChannelCounters c = channel_->counters();
  size_t running = c.taken > c.responded ? static_cast<size_t>(c.taken - c.responded) : 0;
  size_t slots_used = channel_->in_flight();
  row.queue_depth = slots_used > running ? slots_used - running : 0;
  if (!exited()) row.process = read_process_stats(pid_);
  row.heap_bytes = channel_->heap_used_bytes();
  row.times = channel_->worker_times();
  row.egress = channel_->worker_egress();
  row.log_write_failures = channel_->worker_log_write_failures();
  row.heartbeat_age_ms = static_cast<uint64_t>(channel_->heartbeat_age().count());
}

std::optional<std::string> WorkerProcess::replacement_request() const {
  if (channel_->worker_state() != WorkerState::replace_me) return std::nullopt;
  return channel_->fatal_reason().value_or("");
}

}  // namespace wsup::supervisor

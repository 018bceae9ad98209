// One wsup-worker child process: its shared-memory channel, its pid and pidfd, and the thread that
// reads its responses. Created by fork/exec; destroyed only after the process is reaped (the
// destructor SIGKILLs and reaps one that is still running, so no child outlives its owner).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "shared/channel.h"
#include "supervisor/dispatcher.h"
#include "supervisor/request_channel.h"
#include "supervisor/slot_process.h"

namespace wsup::supervisor {

struct WorkerSpawnSpec {
  std::string worker_binary;  // absolute path of wsup-worker
  std::string config_path;    // cluster.yaml the worker reads
  int worker_id = 0;
  ChannelOptions channel;  // instance_id, worker_id, epoch, sizes
};

// The dispatcher's (and its response streams') view of a SupervisorChannel. It shares the
// channel: a stream a connection still drains keeps it (closed once reaped) alive.
class ShmRequestChannel : public RequestChannel {
 public:
  explicit ShmRequestChannel(std::shared_ptr<SupervisorChannel> channel)
      : channel_(std::move(channel)) {}
  SubmitResult try_submit(const HttpRequest& request) override;
  bool try_cancel(uint64_t request_id) override { return channel_->try_cancel(request_id); }
  bool abandon(uint64_t request_id) override { return channel_->abandon(request_id); }
  void release(uint64_t request_id) override { channel_->release(request_id); }
  std::chrono::nanoseconds busy_for() const override { return channel_->worker_busy_for(); }

 private:
  std::shared_ptr<SupervisorChannel> channel_;
};

class WorkerProcess : public SlotProcess {
 public:
  // Creates the segment, forks and execs the worker. Throws std::runtime_error on failure.
  WorkerProcess(const WorkerSpawnSpec& spec, EndpointId endpoint);
  ~WorkerProcess() override;
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  EndpointId endpoint() const override { return endpoint_; }
  int pid() const override { return pid_; }
  int pidfd() const override { return pidfd_; }
  uint32_t epoch() const { return spec_.channel.epoch; }
  Clock::time_point started_at() const override { return started_at_; }
  SupervisorChannel& channel() { return *channel_; }
  std::shared_ptr<RequestChannel> request_channel() override { return request_channel_; }

  bool ready() const override { return channel_->worker_state() == WorkerState::ready; }
  bool broken() const override { return channel_->broken(); }
  // The worker's records go to `deliver` from a reader thread (deliver_to() is the usual one).
  void start_reader(std::function<void(ResponseEvent&&)> deliver);
  void terminate() const override;
  void kill() const override;
  void kill_because(std::string reason) override;
  // The exit description says how: "exit status 1", "killed by signal 9 (Killed)", plus the
  // worker's recorded fatal reason (or the supervisor's kill reason).
  bool try_reap() override;
  bool exited() const { return exit_description_.has_value(); }
  const std::string& exit_description() const override { return *exit_description_; }
  std::optional<int> exit_status() const override { return exit_status_; }
  // Also stops the reader thread.
  SupervisorChannel::Reaped reap_channel() override;
  void describe(WorkerSnapshot& row, Clock::time_point now) override;
  std::chrono::milliseconds heartbeat_age() const override { return channel_->heartbeat_age(); }
  std::optional<std::string> replacement_request() const override;

 private:
  void stop_reader();

  WorkerSpawnSpec spec_;
  EndpointId endpoint_;
  std::shared_ptr<SupervisorChannel> channel_;
  std::shared_ptr<RequestChannel> request_channel_;
  int pid_ = -1;
  int pidfd_ = -1;
  Clock::time_point started_at_;
  std::optional<std::string> exit_description_;
  std::optional<int> exit_status_;
  std::string kill_reason_;
  std::atomic<bool> stop_reader_{false};
  std::thread reader_;
  bool channel_reaped_ = false;
};

// Hands one of the worker's records to the dispatcher: a whole response (a channel error as a
// 502 response), or a stream's head, chunk or end.
void deliver_to(Dispatcher& dispatcher, EndpointId endpoint, ResponseEvent&& event);

}  // namespace wsup::supervisor

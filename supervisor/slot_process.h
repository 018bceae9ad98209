// One worker process as its slot's lifecycle sees it (supervisor/worker_slot.h): start-up,
// readiness, signals, exit. WorkerProcess is the real one; the slot's unit tests use a fake, so
// every lifecycle transition is tested without forking.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "shared/channel.h"
#include "supervisor/dispatcher.h"
#include "supervisor/metrics.h"
#include "supervisor/request_channel.h"

namespace wsup::supervisor {

class SlotProcess {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~SlotProcess() = default;

  virtual EndpointId endpoint() const = 0;  // the dispatcher's name for this process
  virtual int pid() const = 0;
  virtual int pidfd() const = 0;  // readable once the process has exited
  virtual Clock::time_point started_at() const = 0;
  virtual std::shared_ptr<RequestChannel> request_channel() = 0;

  // The worker announced it compiled its scripts and serves.
  virtual bool ready() const = 0;
  // Its channel can no longer be trusted (a corrupt record or a wild ring cursor).
  virtual bool broken() const = 0;
  // SIGTERM: the worker finishes what it holds and exits.
  virtual void terminate() const = 0;
  virtual void kill() const = 0;
  // SIGKILL, with `reason` in exit_description() where the worker recorded none.
  virtual void kill_because(std::string reason) = 0;
  // Non-blocking: true once the process has exited (and was reaped); exit_description() then
  // says how.
  virtual bool try_reap() = 0;
  virtual const std::string& exit_description() const = 0;
  // After try_reap(): the exit status when the process exited by itself, nullopt when a signal
  // ended it.
  virtual std::optional<int> exit_status() const = 0;
  // Since the worker's loop last turned (the heartbeat it writes into its segment).
  virtual std::chrono::milliseconds heartbeat_age() const = 0;
  // Set while the worker, serving on, asks to be replaced (WorkerState::replace_me): its reason.
  virtual std::optional<std::string> replacement_request() const = 0;
  // After try_reap(): what became of the requests it held (see SupervisorChannel::Reaped).
  virtual SupervisorChannel::Reaped reap_channel() = 0;
  // Fills what the process knows of itself into a status row (pid, uptime, queue, memory, CPU).
  virtual void describe(WorkerSnapshot& row, Clock::time_point now) = 0;
};

}  // namespace wsup::supervisor

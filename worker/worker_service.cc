#include "worker/worker_service.h"

#include <signal.h>
#include <unistd.h>

#include <system_error>

#include <boost/asio/post.hpp>

#include "shared/log.h"

namespace wsup::worker {
namespace {

int dup_or_throw(int fd) {
  const int copy = ::dup(fd);
  if (copy < 0) throw std::system_error(errno, std::generic_category(), "dup(request doorbell)");
  return copy;
}

}  // namespace

WorkerService::WorkerService(boost::asio::io_context& loop, Runtime& runtime,
                             WorkerChannel& channel, std::chrono::milliseconds heartbeat,
                             ChannelSinks::Factory sink_factory)
    : loop_(loop),
      runtime_(runtime),
      channel_(channel),
      heartbeat_(heartbeat),
      doorbell_(loop, dup_or_throw(channel.request_doorbell_fd())),
      heartbeat_timer_(loop),
      signals_(loop, SIGTERM, SIGINT),
      reopen_signal_(loop, SIGUSR1),
      sinks_(
          channel, [&loop](std::function<void()> f) { boost::asio::post(loop, std::move(f)); },
          std::move(sink_factory)) {}

WorkerService::~WorkerService() {
  runtime_.set_on_room(nullptr);
}

void WorkerService::start() {
  // A request that ends makes room for one the service left in the ring at the bound.
  runtime_.set_on_room([this] {
    if (sleeping_) wake();
  });
  signals_.async_wait([this](const boost::system::error_code& error, int signal) {
    if (error) return;
    log::info("draining", {{"signal", signal}});
    drain();
  });
  wait_for_reopen();
  // SIGUSR1 was ignored until now (supervisor/worker_process.cc): a rotation during start-up
  // is caught up here.
  log::reopen();
  channel_.set_pid(static_cast<int32_t>(::getpid()));
  channel_.set_state(WorkerState::ready);
  channel_.heartbeat();
  poll();
}

void WorkerService::wait_for_reopen() {
  reopen_signal_.async_wait([this](const boost::system::error_code& error, int) {
    if (error) return;
    log::reopen();
    wait_for_reopen();
  });
}

void WorkerService::drain() {
  if (draining_) return;
  draining_ = true;
  channel_.set_state(WorkerState::draining);
  stop_if_drained();
}

void WorkerService::poll() {
  if (stopped_) return;
  // Requests only while the runtime has room and the worker is not draining: the others stay
  // queued, where the supervisor can still give them to another worker. The supervisor's
  // releases and cancels of open streams come through the same ring and are always taken.
  for (;;) {
    TakeResult taken = channel_.try_take(!draining_ && runtime_.has_room());
    if (taken.kind == TakeResult::Kind::empty) break;
    if (taken.kind == TakeResult::Kind::corrupt) {
      log::warn("dropped a corrupt request record", {{"req", taken.request_id}});
      continue;
    }
    if (taken.kind == TakeResult::Kind::request)
      serve(std::move(taken.request));
    else
      sinks_.route(taken);
    if (stopped_) return;
  }
  channel_.heartbeat();
  report_usage();
  if (stopped_) return;
  sleep();
}

void WorkerService::serve(HttpRequest request) {
  ++in_flight_;
  std::shared_ptr<ChannelResponseSink> sink = sinks_.open(request.id, [this] {
    --in_flight_;
    if (draining_) stop_if_drained();
  });
  runtime_.handle(std::move(request), std::move(sink));
}

void WorkerService::sleep() {
  if (!channel_.prepare_to_sleep()) {  // work arrived meanwhile; nothing announced
    boost::asio::post(loop_, [this] { poll(); });
    return;
  }
  sleeping_ = true;
  // A wait cancelled by wake() must not call wake() again: by the time its handler runs the
  // loop may already be asleep on a fresh wait, and waking it would spin the loop without work.
  doorbell_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [this](const boost::system::error_code& error) {
                         if (error != boost::asio::error::operation_aborted) wake();
                       });
  heartbeat_timer_.expires_after(heartbeat_);
  heartbeat_timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) wake();
  });
}

// At most once per heartbeat interval: reading every isolate's heap statistics costs
// microseconds, too much to pay on every request.
void WorkerService::report_usage() {
  const auto now = std::chrono::steady_clock::now();
  if (now - usage_reported_at_ < heartbeat_) return;
  usage_reported_at_ = now;
  channel_.set_heap_used_bytes(runtime_.stats().heap_used_bytes);
  const RuntimeTimes times = runtime_.times();
  channel_.set_times(
      WorkerTimes{times.context_ns, times.spare_context_ns, times.script_ns, times.spare_hits});
  if (const egress::HttpClient* client = runtime_.http_client())
    channel_.set_egress(client->stats().report());
  channel_.set_log_write_failures(log::write_failures());
}

// The doorbell rang or the heartbeat interval passed (whichever came first; the other is
// cancelled and its handler finds sleeping_ already false).
void WorkerService::wake() {
  if (!sleeping_) return;
  sleeping_ = false;
  heartbeat_timer_.cancel();
  doorbell_.cancel();
  channel_.finish_sleep();
  poll();
}

void WorkerService::resume_after_strand() {
  stop_loop_when_drained_ = true;
  if (stopped_) return loop_.stop();
  // Asleep: a wake-up is already armed. Awake: the stranded thread was inside poll().
  if (!sleeping_) boost::asio::post(loop_, [this] { poll(); });
}

// Once every taken request is answered. waitUntil work still running keeps loop.run() busy
// (bounded by the wall limit) after this.
void WorkerService::stop_if_drained() {
  if (stopped_ || in_flight_ != 0) return;
  stopped_ = true;
  sleeping_ = false;
  channel_.set_state(WorkerState::stopped);
  heartbeat_timer_.cancel();
  doorbell_.cancel();
  signals_.cancel();
  reopen_signal_.cancel();
  log::info("drained; stopping");
  if (stop_loop_when_drained_) loop_.stop();
}

}  // namespace wsup::worker

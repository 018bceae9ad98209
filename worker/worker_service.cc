#include "worker/worker_service.h"

#include <signal.h>
#include <unistd.h>

#include <system_error>

#include <boost/asio/post.hpp>

#include "shared/log.h"

namespace wsup::worker {
namespace {

// Carries a request's answer to the channel. Until streamed records cross the segment, a
// streamed answer is gathered here and sent whole at its end.
class ChannelSink final : public ResponseSink {
 public:
  ChannelSink(WorkerService& service, uint64_t id) : service_(service), id_(id) {}
  void respond(HttpResponse response) override { service_.answer(std::move(response)); }
  void begin(HttpResponse head, std::optional<uint64_t>) override { gathered_ = std::move(head); }
  bool ready() const override { return true; }
  void write(std::string chunk) override { gathered_.body += chunk; }
  void end(bool aborted) override {
    if (!aborted) return service_.answer(std::move(gathered_));
    HttpResponse broken;
    broken.id = id_;
    broken.status = 502;
    broken.headers.emplace_back("content-type", "text/plain;charset=UTF-8");
    broken.body = "Bad Gateway: the script's response body broke off\n";
    service_.answer(std::move(broken));
  }
  size_t max_chunk_bytes() const override { return 64 * 1024; }

 private:
  WorkerService& service_;
  uint64_t id_;
  HttpResponse gathered_;
};

int dup_or_throw(int fd) {
  const int copy = ::dup(fd);
  if (copy < 0) throw std::system_error(errno, std::generic_category(), "dup(request doorbell)");
  return copy;
}

}  // namespace

WorkerService::WorkerService(boost::asio::io_context& loop, Runtime& runtime,
                             WorkerChannel& channel, std::chrono::milliseconds heartbeat)
    : loop_(loop),
      runtime_(runtime),
      channel_(channel),
      heartbeat_(heartbeat),
      doorbell_(loop, dup_or_throw(channel.request_doorbell_fd())),
      heartbeat_timer_(loop),
      signals_(loop, SIGTERM, SIGINT) {}

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
  channel_.set_pid(static_cast<int32_t>(::getpid()));
  channel_.set_state(WorkerState::ready);
  channel_.heartbeat();
  poll();
}

void WorkerService::drain() {
  if (draining_) return;
  draining_ = true;
  channel_.set_state(WorkerState::draining);
  stop_if_drained();
}

void WorkerService::poll() {
  if (stopped_) return;
  if (!draining_) {
    // At the concurrency bound requests stay in the ring, where the supervisor can still hand
    // them to another worker.
    while (runtime_.has_room()) {
      TakeResult taken = channel_.try_take();
      if (taken.kind == TakeResult::Kind::empty) break;
      if (taken.kind == TakeResult::Kind::corrupt) {
        log::warn("dropped a corrupt request record", {{"req", taken.request_id}});
        continue;
      }
      ++in_flight_;
      const uint64_t id = taken.request.id;
      runtime_.handle(std::move(taken.request), std::make_shared<ChannelSink>(*this, id));
    }
  }
  channel_.heartbeat();
  report_usage();
  if (stopped_) return;
  sleep();
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
}

void WorkerService::answer(HttpResponse response) {
  --in_flight_;
  const RespondStatus status = respond(response);
  if (status != RespondStatus::ok) {
    log::warn("could not write the response",
              {{"req", response.id}, {"status", static_cast<int>(status)}});
  }
  if (draining_) stop_if_drained();
}

RespondStatus WorkerService::respond(const HttpResponse& response) {
  if (test_faults_.corrupt_every == 0 || ++responses_ % test_faults_.corrupt_every != 0)
    return channel_.respond(response);
  // Cycle through the kinds of garbage: each must be rejected by the supervisor.
  const uint64_t n = responses_ / test_faults_.corrupt_every;
  const auto how = static_cast<WorkerChannel::Corruption>(n % 3);
  log::warn("test fault: writing a corrupt response record",
            {{"req", response.id}, {"kind", static_cast<int64_t>(n % 3)}});
  return channel_.respond_corrupt_for_test(response, how);
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
  log::info("drained; stopping");
  if (stop_loop_when_drained_) loop_.stop();
}

}  // namespace wsup::worker

#include "supervisor/http_front.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "shared/log.h"

namespace wsup::supervisor {

size_t HttpFront::thread_count(const config::ClusterConfig& config) {
  if (config.http_threads != 0) return config.http_threads;
  // Threads never wait for workers, so one per core keeps every core busy; at least two so that
  // one slow handler (a large access-log write) does not stall every connection.
  return std::max<size_t>(2, std::thread::hardware_concurrency());
}

HttpFront::HttpFront(const config::ClusterConfig& config, Dispatcher& dispatcher, Metrics& metrics,
                     const AccessLog& access_log)
    : config_(config),
      routing_(std::make_shared<RoutingTable>(config)),
      budget_(config.limits.max_connections),
      refusing_(std::max<size_t>(kRefusingAtLeast, config.limits.max_connections)),
      context_{dispatcher,
               metrics,
               access_log,
               routing_,
               budget_,
               config.http,
               config.limits.max_body_bytes} {}

HttpFront::~HttpFront() {
  stop();
}

void HttpFront::set_routing(std::shared_ptr<const RoutingTable> routing) {
  routing_.set(std::move(routing));
}

void HttpFront::start() {
  const size_t count = thread_count(config_);
  std::vector<asio::io_context*> ios;
  for (size_t i = 0; i < count; ++i) {
    threads_.push_back(std::make_unique<IoThread>());
    ios.push_back(&threads_.back()->io);
    keep_running_.push_back(asio::make_work_guard(threads_.back()->io));
  }
  for (const config::ListenAddress& address : config_.listen) {
    auto listener = std::make_unique<HttpListener>(
        bind_listener(threads_.front()->io, address, ""), ios, budget_,
        [this](tcp::socket socket, bool admitted, size_t io) {
          on_accept(std::move(socket), admitted, io);
        });
    ports_.push_back(listener->port());
    log::info("listening",
              {{"host", address.host}, {"port", listener->port()}, {"threads", count}});
    listeners_.push_back(std::move(listener));
  }
  for (auto& listener : listeners_) listener->start();
  for (auto& t : threads_) t->thread = std::thread([io = &t->io] { io->run(); });
}

void HttpFront::on_accept(tcp::socket socket, bool admitted, size_t io) {
  IoThread& thread = *threads_[io];
  asio::post(thread.io, [this, &thread, admitted, s = std::move(socket)]() mutable {
    // Over the cap: the slowest connection of this thread may give its place up (http_front.h).
    const bool placed = admitted || (evict_slowest(thread.live) && budget_.try_take());
    ConnectionBudget* place = &budget_;
    if (!placed) {
      if (!refusing_.try_take()) return;  // far over the cap: closed without a word
      place = &refusing_;
    }
    std::make_shared<HttpConnection>(std::move(s), context_, thread.live, thread.io, *place,
                                     !placed)
        ->start();
  });
}

bool HttpFront::evict_slowest(LiveConnections& live) {
  const Dispatcher::Clock::time_point now = Dispatcher::Clock::now();
  const double floor = static_cast<double>(std::max<uint64_t>(config_.http.min_body_rate, 1));
  HttpConnection* slowest = nullptr;
  double slowest_rate = floor;
  for (HttpConnection* c : live.all) {
    std::optional<double> rate = c->bytes_per_second(now);
    if (rate && *rate < slowest_rate) {
      slowest = c;
      slowest_rate = *rate;
    }
  }
  if (!slowest) return false;
  slowest->evict();
  return true;
}

void HttpFront::stop() {
  if (threads_.empty()) return;  // never started, or stopped already
  for (auto& listener : listeners_)
    asio::post(threads_.front()->io, [l = listener.get()] { l->close(); });
  for (auto& t : threads_) {
    asio::post(t->io, [live = &t->live] {
      live->stopping = true;
      // stop_when_idle() may close (and unlist) a connection: walk a copy.
      std::vector<HttpConnection*> all(live->all.begin(), live->all.end());
      for (HttpConnection* c : all) c->stop_when_idle();
    });
  }
  keep_running_.clear();  // each run() returns once its last connection is gone
  for (auto& t : threads_)
    if (t->thread.joinable()) t->thread.join();
  listeners_.clear();
  threads_.clear();
}

}  // namespace wsup::supervisor

#include "worker/egress/http_client.h"

#include "worker/egress/client_core.h"
#include "worker/egress/subrequest_run.h"

namespace wsup::worker::egress {

ClientOptions ClientOptions::from_config(const config::ClusterConfig& config) {
  ClientOptions options;
  options.outbound = config.outbound;
  options.subrequest_timeout = std::chrono::milliseconds(config.limits.subrequest_timeout_ms);
  return options;
}

HttpClient::HttpClient(boost::asio::io_context& loop, ClientOptions options)
    : core_(std::make_shared<ClientCore>(loop, std::move(options))) {}

HttpClient::~HttpClient() {
  // abort() takes each run out of the set. The core itself may outlive this object a little,
  // until the last completion handler of those runs has let go of it.
  while (!core_->running.empty()) (*core_->running.begin())->abort();
  core_->pool.close_idle();
}

Subrequest HttpClient::fetch(SubrequestSpec spec, SubrequestCallbacks callbacks) {
  auto run = std::make_shared<SubrequestRun>(core_, std::move(spec), std::move(callbacks));
  run->start();
  return Subrequest(std::move(run));
}

const EgressStats& HttpClient::stats() const {
  return core_->stats;
}

void HttpClient::count_passthrough() {
  ++core_->stats.passed_through;
}

size_t HttpClient::idle_connections() const {
  return core_->pool.idle_connections();
}

size_t HttpClient::open_connections() const {
  return core_->pool.open_connections();
}

Subrequest& Subrequest::operator=(Subrequest&& other) noexcept {
  if (this != &other) {
    abort();
    run_ = std::move(other.run_);
  }
  return *this;
}

Subrequest::~Subrequest() {
  abort();
}

void Subrequest::pause() {
  if (run_) run_->pause();
}

void Subrequest::resume() {
  if (run_) run_->resume();
}

void Subrequest::abort() {
  if (run_) run_->abort();
}

bool Subrequest::write_body(std::string chunk) {
  return run_ && run_->write_body(std::move(chunk));
}

void Subrequest::end_body() {
  if (run_) run_->end_body();
}

bool Subrequest::active() const {
  return run_ && !run_->finished();
}

}  // namespace wsup::worker::egress

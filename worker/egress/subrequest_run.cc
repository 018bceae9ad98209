#include "worker/egress/subrequest_run.h"

#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>

#include "worker/egress/network_error.h"
#include "worker/egress/request_head.h"

namespace wsup::worker::egress {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kDecodedBytes = 64 * 1024;
constexpr int kMaxStaleRetries = 2;

IpBytes to_ip_bytes(const asio::ip::address& address) {
  if (address.is_v6()) return address.to_v6().to_bytes();
  return asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4()).to_bytes();
}

HopRequest first_hop(SubrequestSpec& spec) {
  HopRequest hop;
  hop.method = std::move(spec.method);
  hop.headers = std::move(spec.headers);
  hop.has_body = spec.body.kind != RequestBody::Kind::none;
  hop.body_replayable = spec.body.kind != RequestBody::Kind::stream;
  return hop;
}

}  // namespace

SubrequestRun::SubrequestRun(std::shared_ptr<ClientCore> core, SubrequestSpec spec,
                             SubrequestCallbacks callbacks)
    : core_(std::move(core)),
      callbacks_(std::move(callbacks)),
      hop_(first_hop(spec)),
      body_(std::move(spec.body)),
      redirect_mode_(spec.redirect),
      decode_body_(spec.decode_body),
      incoming_hops_(spec.incoming_hops),
      started_(Clock::now()),
      resolver_(core_->loop),
      timer_(core_->loop) {
  hop_.url.href = std::move(spec.url);
  core_->running.insert(this);
  ++core_->stats.started;
}

SubrequestRun::~SubrequestRun() {
  core_->running.erase(this);
}

void SubrequestRun::start() {
  set_deadline(started_ + core_->timeout);
  asio::post(core_->loop, [self = shared_from_this(), generation = generation_] {
    if (!self->current(generation)) return;
    std::string error;
    std::optional<FetchUrl> url = parse_fetch_url(self->hop_.url.href, error);
    if (!url) return self->fail(FetchError::Kind::invalid_request, error);
    self->hop_.url = std::move(*url);
    self->begin_hop();
  });
}

void SubrequestRun::begin_hop() {
  phase_ = Phase::waiting_for_slot;
  const Origin& origin = hop_.url.origin;
  PolicyDecision decision = core_->policy.check_host(origin.host, origin.port);
  if (decision.allowed && origin.literal)
    decision = core_->policy.check_address(origin.host, *origin.literal, origin.port);
  if (!decision.allowed)
    return fail_refused(OutboundPolicy::refusal_message(
        origin.host, origin.port, origin.literal ? address_text(*origin.literal) : "",
        decision.reason));
  wait_id_ = core_->pool.acquire(origin, [self = shared_from_this(), generation = generation_,
                                          origin](ConnectionPool::Grant grant) {
    if (self->current(generation)) return self->on_grant(std::move(grant));
    // Nobody wants the slot any more: hand it back.
    if (grant.connection)
      self->core_->pool.release(std::move(grant.connection));
    else
      self->core_->pool.discard(origin);
  });
}

void SubrequestRun::on_grant(ConnectionPool::Grant grant) {
  wait_id_ = 0;
  holds_slot_ = true;
  slot_origin_ = hop_.url.origin;
  if (grant.connection) {
    connection_ = std::move(grant.connection);
    ++core_->stats.connections_reused;
    return start_exchange();
  }
  const Origin& origin = hop_.url.origin;
  if (origin.literal) {
    asio::ip::address_v6 v6(*origin.literal);
    asio::ip::address address =
        v6.is_v4_mapped() ? asio::ip::address(asio::ip::make_address_v4(asio::ip::v4_mapped, v6))
                          : asio::ip::address(v6);
    return connect({tcp::endpoint(address, origin.port)});
  }
  phase_ = Phase::resolving;
  resolver_.async_resolve(
      origin.host, std::to_string(origin.port),
      [self = shared_from_this(), generation = generation_](const boost::system::error_code& error,
                                                            tcp::resolver::results_type results) {
        if (self->current(generation)) self->on_resolved(error, std::move(results));
      });
}

void SubrequestRun::on_resolved(const boost::system::error_code& error,
                                tcp::resolver::results_type results) {
  const Origin& origin = hop_.url.origin;
  if (error)
    return fail(FetchError::Kind::dns,
                "could not resolve '" + origin.host + "': " + error.message());
  std::vector<tcp::endpoint> allowed;
  std::string refusal;
  for (const auto& entry : results) {
    const IpBytes address = to_ip_bytes(entry.endpoint().address());
    PolicyDecision decision = core_->policy.check_address(origin.host, address, origin.port);
    if (decision.allowed)
      allowed.push_back(entry.endpoint());
    else if (refusal.empty())
      refusal = OutboundPolicy::refusal_message(origin.host, origin.port, address_text(address),
                                                decision.reason);
  }
  if (allowed.empty()) {
    if (refusal.empty())
      return fail(FetchError::Kind::dns, "'" + origin.host + "' resolved to no address");
    return fail_refused(refusal);
  }
  connect(std::move(allowed));
}

void SubrequestRun::connect(std::vector<tcp::endpoint> endpoints) {
  phase_ = Phase::connecting;
  const Origin& origin = hop_.url.origin;
  connection_ =
      std::make_unique<UpstreamConnection>(core_->loop, origin, origin.tls ? &core_->tls : nullptr);
  connection_->connect(std::move(endpoints), [self = shared_from_this(), generation = generation_](
                                                 const std::string& error, bool in_tls) {
    if (!self->current(generation)) return;
    if (!error.empty())
      return self->fail(in_tls ? FetchError::Kind::tls : FetchError::Kind::connect, error);
    ++self->core_->stats.connections_opened;  // established (and its TLS handshake done)
    self->start_exchange();
  });
}

void SubrequestRun::start_exchange() {
  phase_ = Phase::exchanging;
  std::string invalid;
  std::optional<UpstreamExchange::RequestHead> head =
      build_request_head(hop_, body_, decode_body_, incoming_hops_, invalid);
  if (!head) return fail(FetchError::Kind::invalid_request, invalid);
  exchange_ = std::make_unique<UpstreamExchange>(*connection_, std::move(*head));
  bytes_sent_ = 0;
  request_ending_ = exchange_->head_is_whole_request();
  exchange_->write_head(
      [self = shared_from_this(), generation = generation_](const boost::beast::error_code& error) {
        if (self->current(generation)) self->on_head_written(error);
      });
  exchange_->read_head(
      [self = shared_from_this(), generation = generation_](const boost::beast::error_code& error) {
        if (self->current(generation)) self->on_response_head(error);
      });
}

void SubrequestRun::on_response_head(const boost::beast::error_code& error) {
  if (error) {
    if (may_retry()) return retry();
    std::string detail = describe_network_error(error);
    if (write_failed_ && network_error_kind(error) == FetchError::Kind::network)
      detail = write_error_ + " while the request was being sent";
    else
      detail += " before sending a response";
    return fail(network_error_kind(error), detail);
  }
  const auto& response = exchange_->response();
  const int status = static_cast<int>(response.result_int());
  if (status == 101)
    return fail(FetchError::Kind::protocol,
                "the upstream switched protocols (101), which a subrequest cannot follow");
  auto location = response.find(http::field::location);
  if (is_redirect_status(status) && location != response.end() &&
      redirect_mode_ != RedirectMode::manual)
    return follow_redirect(status, location->value());
  deliver_head();
}

void SubrequestRun::follow_redirect(int status, std::string_view location) {
  if (redirect_mode_ == RedirectMode::error)
    return fail(FetchError::Kind::redirect, "the upstream answered with a redirect (" +
                                                std::to_string(status) +
                                                ") and the redirect mode is 'error'");
  if (++redirects_ > kMaxRedirects)
    return fail(FetchError::Kind::redirect,
                "more than " + std::to_string(kMaxRedirects) + " redirects");
  std::string error;
  std::optional<HopRequest> next = next_hop(hop_, status, location, error);
  if (!next) return fail(FetchError::Kind::redirect, error);
  ++core_->stats.redirects;
  retire_connection();
  if (!next->has_body) body_ = RequestBody{};
  hop_ = std::move(*next);
  begin_hop();
}

void SubrequestRun::deliver_head() {
  phase_ = Phase::body;
  clear_deadline();
  const auto& response = exchange_->response();
  ResponseHead head;
  head.status = static_cast<uint16_t>(response.result_int());
  head.status_text = response.reason();
  head.headers.reserve(static_cast<size_t>(std::distance(response.begin(), response.end())));
  for (const auto& field : response) head.headers.emplace_back(field.name_string(), field.value());
  head.url = hop_.url.href;
  head.redirected = redirects_ > 0;
  if (decode_body_ && !exchange_->body_done()) {
    decoder_ = ContentDecoder::create(response[http::field::content_encoding]);
    if (decoder_) {
      head.decoded_from = decoder_->name();
      decoded_ = std::make_unique<char[]>(kDecodedBytes);
    }
  }
  if (!decoder_) head.length = exchange_->body_length();
  ++core_->stats.responses;
  core_->stats.head_latency.observe(Clock::now() - started_);
  if (callbacks_.on_head) callbacks_.on_head(std::move(head));
  pump();
}

void SubrequestRun::pause() {
  paused_ = true;
}

void SubrequestRun::resume() {
  if (!paused_) return;
  paused_ = false;
  if (finished_ || phase_ != Phase::body || pump_posted_) return;
  // Never from inside the caller's call: the pump may call back.
  pump_posted_ = true;
  asio::post(core_->loop, [self = shared_from_this()] {
    self->pump_posted_ = false;
    self->pump();
  });
}

void SubrequestRun::pump() {
  if (pumping_ || finished_ || phase_ != Phase::body) return;
  pumping_ = true;
  while (!finished_ && !paused_) {
    if (decoder_ && (!raw_.empty() || decoder_full_)) {
      ContentDecoder::Step step = decoder_->decode(raw_, {decoded_.get(), kDecodedBytes});
      raw_.remove_prefix(step.consumed);
      decoder_full_ = step.produced == kDecodedBytes;
      if (!step.error.empty()) {
        fail(FetchError::Kind::decode, step.error);
        break;
      }
      if (step.produced > 0) deliver({decoded_.get(), step.produced});
      if (step.consumed == 0 && step.produced == 0) raw_ = {};  // no progress: wait for more
      continue;
    }
    if (!decoder_ && !raw_.empty()) {
      std::string_view chunk = raw_;
      raw_ = {};
      deliver(chunk);
      continue;
    }
    if (exchange_->body_done()) {
      if (decoder_ && !decoder_->finished())
        fail(FetchError::Kind::decode, "the " + std::string(decoder_->name()) +
                                           " body ends before its compressed stream does");
      else
        complete();
      break;
    }
    if (!reading_) read_more();
    break;
  }
  pumping_ = false;
}

void SubrequestRun::deliver(std::string_view chunk) {
  core_->stats.body_bytes += chunk.size();
  if (callbacks_.on_body) callbacks_.on_body(chunk);
}

void SubrequestRun::read_more() {
  reading_ = true;
  set_deadline(Clock::now() + core_->timeout);
  exchange_->read_body([self = shared_from_this(), generation = generation_](
                           const boost::beast::error_code& error, std::string_view bytes) {
    if (self->current(generation)) self->on_body_read(error, bytes);
  });
}

void SubrequestRun::on_body_read(const boost::beast::error_code& error, std::string_view bytes) {
  reading_ = false;
  clear_deadline();
  if (error)
    return fail(network_error_kind(error),
                describe_network_error(error) + " in the middle of the response body");
  raw_ = bytes;
  pump();
}

void SubrequestRun::complete() {
  if (request_ending_ && !exchange_->request_written() && !write_failed_) {
    end_after_write_ = true;  // on_final_write comes back here (or on_timeout, if it never does)
    set_deadline(Clock::now() + core_->timeout);
    return;
  }
  phase_ = Phase::done;
  finished_ = true;
  timer_.cancel();  // its handler lets go of the run
  core_->running.erase(this);
  const bool stream_unfinished =
      body_.kind == RequestBody::Kind::stream && !exchange_->request_written();
  if (exchange_->reusable() && !stream_unfinished && !writing_) {
    ++connection_->exchanges;
    exchange_.reset();
    holds_slot_ = false;
    core_->pool.release(std::move(connection_));
  } else {
    stop();
  }
  ++core_->stats.completed;
  if (callbacks_.on_end) callbacks_.on_end();
}

bool SubrequestRun::may_retry() const {
  // A kept-alive connection the upstream closed just as it was taken (after the pool's check):
  // send again, unless the request body cannot be sent twice.
  return connection_ && connection_->exchanges > 0 && !exchange_->got_response_bytes() &&
         hop_.body_replayable && stale_retries_ < kMaxStaleRetries;
}

void SubrequestRun::retry() {
  ++stale_retries_;
  retire_connection();
  begin_hop();
}

void SubrequestRun::retire_connection() {
  ++generation_;
  body_ready_ = false;
  writing_ = false;
  end_requested_ = false;
  write_failed_ = false;
  request_ending_ = false;
  end_after_write_ = false;
  if (connection_ && exchange_ && exchange_->reusable()) {
    ++connection_->exchanges;
    exchange_.reset();
    core_->pool.release(std::move(connection_));
    holds_slot_ = false;
    return;
  }
  if (connection_) connection_->close();
  if (holds_slot_) core_->pool.discard(slot_origin_);
  holds_slot_ = false;
  retired_.emplace_back(std::move(exchange_), std::move(connection_));
}

void SubrequestRun::fail(FetchError::Kind kind, const std::string& detail) {
  if (finished_) return;
  stop();
  ++core_->stats.errors[static_cast<size_t>(kind)];
  if (callbacks_.on_error)
    callbacks_.on_error(FetchError{kind, "fetch to " + hop_.url.href + " failed: " + detail});
}

void SubrequestRun::fail_refused(const std::string& message) {
  if (finished_) return;
  stop();
  ++core_->stats.errors[static_cast<size_t>(FetchError::Kind::refused)];
  if (callbacks_.on_error) callbacks_.on_error(FetchError{FetchError::Kind::refused, message});
}

void SubrequestRun::abort() {
  if (finished_) return;
  stop();
  ++core_->stats.aborted;
}

void SubrequestRun::stop() {
  finished_ = true;
  phase_ = Phase::done;
  core_->running.erase(this);
  timer_.cancel();
  resolver_.cancel();
  core_->pool.cancel(wait_id_);
  wait_id_ = 0;
  if (connection_) connection_->close();
  if (holds_slot_) core_->pool.discard(slot_origin_);
  holds_slot_ = false;
}

void SubrequestRun::set_deadline(Clock::time_point deadline) {
  deadline_ = deadline;
  if (timer_waiting_ && timer_.expiry() <= deadline) return;  // it fires first, then re-arms
  timer_waiting_ = true;
  timer_.expires_at(deadline);  // a wait it replaces ends with operation_aborted
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error == asio::error::operation_aborted) return;
    self->timer_waiting_ = false;
    self->on_timer();
  });
}

void SubrequestRun::on_timer() {
  if (finished_ || deadline_ == Clock::time_point::max()) return;
  if (Clock::now() >= deadline_) return on_timeout();
  set_deadline(deadline_);
}

void SubrequestRun::on_timeout() {
  if (end_after_write_) {  // the whole response is in: end it, on a connection not reused
    write_failed_ = true;
    return complete();
  }
  const std::string limit = std::to_string(core_->timeout.count()) + " ms";
  if (phase_ == Phase::body)
    return fail(FetchError::Kind::timeout, "the response body stalled: no bytes for " + limit +
                                               " (limits.subrequest_timeout_ms)");
  fail(FetchError::Kind::timeout,
       "no response within " + limit + " (limits.subrequest_timeout_ms)");
}

}  // namespace wsup::worker::egress

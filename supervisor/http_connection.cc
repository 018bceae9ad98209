#include "supervisor/http_connection.h"

#include <array>
#include <atomic>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/require.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include "shared/log.h"

namespace wsup::supervisor {
namespace {

using Clock = Dispatcher::Clock;
namespace beast = boost::beast;

std::atomic<uint64_t> g_next_request_id{1};  // relaxed: only uniqueness matters
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool is_forwarded_method(http::verb method) {
  switch (method) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::post:
    case http::verb::put:
    case http::verb::patch:
    case http::verb::delete_:
    case http::verb::options:
      return true;
    default:
      return false;
  }
}

}  // namespace

HttpConnection::HttpConnection(tcp::socket socket, FrontContext& context, LiveConnections& live,
                               asio::io_context& io, ConnectionBudget& place, bool refuse)
    : socket_(std::move(socket)),
      context_(context),
      live_(live),
      io_(io),
      place_(place),
      refuse_(refuse),
      timer_(io),
      accepted_at_(Clock::now()) {
  boost::system::error_code ec;
  auto peer = socket_.remote_endpoint(ec);
  if (!ec) remote_ = peer.address().to_string();
}

HttpConnection::~HttpConnection() {
  if (phase_ != Phase::closed) place_.release();  // only when its io_context was torn down
}

void HttpConnection::start() {
  live_.all.insert(this);
  if (live_.stopping) return close();
  if (refuse_) {
    note_begin();
    return answer({503, "wsup: too many connections, retry shortly\n", true, true});
  }
  begin_request();
  parse();
}

void HttpConnection::stop_when_idle() {
  // A request still being read is not answered: closed like an idle connection. One in flight
  // is answered with "Connection: close" (write_response sees live_.stopping).
  if (phase_ == Phase::reading) close();
}

std::optional<double> HttpConnection::bytes_per_second(Clock::time_point now) const {
  if (refuse_) return std::nullopt;
  if (phase_ == Phase::closing) return 0.0;
  if (phase_ != Phase::reading) return std::nullopt;
  const double seconds = std::chrono::duration<double>(now - accepted_at_).count();
  return static_cast<double>(bytes_read_ + 1) / std::max(seconds, 1e-3);
}

void HttpConnection::evict() {
  log::debug("connection evicted for a new one (connection cap reached)",
             {{"remote", remote_}, {"bytes", bytes_read_}});
  close();
}

void HttpConnection::begin_request() {
  context_.routing.refresh(routing_, routing_generation_);
  parser_.emplace();
  parser_->header_limit(routing_->limits.max_header_bytes);
  parser_->body_limit(context_.max_body_bytes);
  note_ = RequestNote{};
  url_.reset();
  head_headers_.clear();
  head_field_bytes_ = 0;
  head_checked_ = false;
  head_bytes_ = 0;
  phase_ = Phase::reading;
  const Clock::time_point now = Clock::now();
  idle_until_ = now + context_.timeouts.idle_timeout;
  header_deadline_ = now + context_.timeouts.header_timeout;
  set_deadline(std::min(idle_until_, header_deadline_));
}

void HttpConnection::parse() {
  while (phase_ == Phase::reading) {
    if (buffer_.size() == 0) return read_more();
    beast::error_code ec;
    const bool in_head = !parser_->is_header_done();
    size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    // Beast checks header_limit within one put() only, and put() consumes complete header
    // lines: the head's total is counted here.
    if (in_head) head_bytes_ += used;
    if (in_head && head_bytes_ + (ec == http::error::need_more ? buffer_.size() : 0) >
                       routing_->limits.max_header_bytes)
      ec = http::error::header_limit;
    // Past the head, Beast consumes body bytes as they come but waits for a whole chunk-size line
    // and for the whole trailer section (up to the empty line) before taking any of it: what it
    // leaves unconsumed is one of those, held to max_header_bytes too (else a trailer bomb grows
    // the buffer without end).
    if (!in_head && ec == http::error::need_more &&
        buffer_.size() > routing_->limits.max_header_bytes)
      ec = http::error::header_limit;
    if (ec == http::error::need_more) return read_more();
    if (ec) {
      note_begin();
      if (parser_->got_some()) {  // whatever of the head was parsed, for the access log
        note_.method = parser_->get().method_string();
        note_.target = parser_->get().target();
      }
      keep_alive_ = false;
      return answer(answer_for_parse_error(ec));
    }
    if (parser_->is_header_done() && !head_checked_) {
      head_checked_ = true;
      if (!on_head()) return;
    }
    if (parser_->is_done()) {
      if (field_bytes(parser_->get()) - head_field_bytes_ > routing_->limits.max_header_bytes)
        return answer(answer_for_parse_error(http::error::header_limit));
      return dispatch();
    }
    if (used == 0) return read_more();
  }
}

void HttpConnection::read_more() {
  if (reading_ || peer_closed_ || phase_ == Phase::closed) return;
  // Past a request, read ahead only so far: a client pipelining without end waits for TCP.
  if (phase_ != Phase::reading && phase_ != Phase::closing && buffer_.size() >= kReadAheadLimit)
    return;
  reading_ = true;
  // Into a buffer of its own, appended to buffer_ when the read completes: the parser may
  // consume buffer_ meanwhile, and a flat_buffer emptied by consume() restarts at its beginning,
  // so bytes read into an area prepare() gave out before would then be committed from the wrong
  // place (stale bytes of an earlier request).
  socket_.async_read_some(asio::buffer(read_chunk_),
                          [self = shared_from_this()](beast::error_code ec, size_t bytes) {
                            self->on_read(ec, bytes);
                          });
}

void HttpConnection::on_read(beast::error_code ec, size_t bytes) {
  reading_ = false;
  if (phase_ == Phase::closed) return;
  if (ec) {
    peer_closed_ = true;  // end of stream or a broken connection: nothing more will come
    switch (phase_) {
      case Phase::waiting:
        // The client hung up while its request waits: withdraw it. on_settled() logs the 499.
        return context_.dispatcher.cancel(note_.id);
      case Phase::streaming:
        return cut("client_gone", 499);  // the worker is told: its on_cancel fires
      case Phase::writing:
        return;  // the write in flight fails or completes: on_wrote_some() goes on from there
      default:
        return close();
    }
  }
  bytes_read_ += bytes;
  buffer_.commit(
      asio::buffer_copy(buffer_.prepare(bytes), asio::buffer(read_chunk_.data(), bytes)));
  switch (phase_) {
    case Phase::reading:
      if (head_checked_) body_window_bytes_ += bytes;  // on_timer judges the window's rate
      return parse();
    case Phase::closing:
      buffer_.consume(buffer_.size());
      return read_more();
    default:
      return read_more();  // read ahead: the next pipelined request, or the hang-up
  }
}

bool HttpConnection::on_head() {
  note_begin();
  // A reload between the previous response and this head applies to this request.
  context_.routing.refresh(routing_, routing_generation_);
  const BeastRequest& request = parser_->get();
  note_.method = request.method_string();
  note_.target = request.target();
  note_.version = request.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
  keep_alive_ = request.keep_alive();
  http10_ = request.version() == 10;
  head_request_ = request.method() == http::verb::head;
  const bool body_follows = !parser_->is_done();
  if (request.target().size() > kMaxTargetBytes) {
    answer({414, "wsup: request target too long\n", false, true});
    return false;
  }
  if (!is_forwarded_method(request.method())) {
    answer({501, "wsup: method not implemented\n", false, true});
    return false;
  }
  if (std::optional<FrontAnswer> refused = check_head(request)) {
    answer(*refused);
    return false;
  }
  if (std::optional<FrontAnswer> refusal = check_hops(request, routing_->max_hops)) {
    answer(*refusal);
    return false;
  }
  std::optional<std::string_view> host;
  if (request.count(http::field::host) != 0) host = request[http::field::host];
  std::string_view why;
  url_ = canonical_request_url(request.target(), host, local_authority(), why);
  if (!url_) {
    answer({400, why, false, true});
    return false;
  }
  head_headers_ = request_headers(request, url_->authority());
  head_field_bytes_ = field_bytes(request);
  int script = routing_->router.match(url_->authority(), url_->path_and_query());
  if (script == config::Router::kNoMatch) {
    // Refused before its body is read: the connection cannot go on past an unread body.
    answer({404, "wsup: no script is routed for this host and path\n", false, body_follows});
    return false;
  }
  note_.script = routing_->router.script_name(script);
  if (body_follows && beast::iequals(request[http::field::expect], "100-continue")) {
    // 25 bytes into an idle socket's send buffer: this write does not wait.
    boost::system::error_code ignored;
    asio::write(socket_, asio::buffer(kContinue), ignored);
  }
  body_window_bytes_ = 0;
  body_window_end_ = Clock::now() + context_.timeouts.body_timeout;
  set_deadline(body_window_end_);
  return true;
}

std::string HttpConnection::local_authority() const {
  boost::system::error_code ec;
  tcp::endpoint local = socket_.local_endpoint(ec);
  if (ec) return "localhost";
  std::string address = local.address().to_string();
  if (local.address().is_v6()) address = "[" + address + "]";
  std::string authority;
  if (!canonical_authority(address + ":" + std::to_string(local.port()), 80, authority))
    return "localhost";  // a zone id ("fe80::1%eth0") or the like: no URL host
  return authority;
}

void HttpConnection::dispatch() {
  BeastRequest& message = parser_->get();
  HttpRequest request;
  request.id = note_.id;
  request.script = note_.script;
  request.method = message.method_string();
  request.headers = std::move(head_headers_);
  request.url = url_->take_text();
  request.body = std::move(message.body());
  if (const size_t trailers = field_bytes(message) - head_field_bytes_; trailers != 0)
    log::debug("request trailers dropped (never forwarded to the script)",
               {{"req", note_.id}, {"bytes", trailers}});
  parser_.reset();
  url_.reset();
  phase_ = Phase::waiting;
  deadline_ = Clock::time_point::max();  // the dispatcher enforces the wall time
  note_.dispatched = Clock::now();
  const Clock::time_point wall = note_.start + std::chrono::milliseconds(routing_->limits.wall_ms);
  wall_deadline_ = wall;  // a streamed response's body is bound by it too
  // The tracked executor keeps this thread's io_context running until the settlement is in.
  auto executor = asio::require(io_.get_executor(), asio::execution::outstanding_work.tracked);
  context_.dispatcher.dispatch(
      std::move(request), wall,
      [self = shared_from_this(), executor](DispatchResult result) mutable {
        // The "wake_http" stage: from the settling thread to this connection's I/O thread.
        asio::post(executor, [self = std::move(self), result = std::move(result)]() mutable {
          self->on_settled(std::move(result));
        });
      });
  read_more();
}

void HttpConnection::on_reading_deadline(Clock::time_point now) {
  const FrontTimeouts& http = context_.timeouts;
  if (!head_checked_) {
    const bool begun = buffer_.size() != 0 || parser_->got_some();
    // The keep-alive idle time is up: a connection that began a request may go on.
    if (!begun) return close();
    if (now < header_deadline_) return set_deadline(header_deadline_);
    log::info("slow client cut", {{"remote", remote_}, {"waiting_for", "head"}});
    note_begin();
    return answer({408, "wsup: the request head did not arrive in time\n", false, true});
  }
  // A body window is over: it must have brought a byte, and min_body_rate's worth.
  const uint64_t floor =
      http.min_body_rate * static_cast<uint64_t>(http.body_timeout.count()) / 1000;
  if (body_window_bytes_ != 0 && body_window_bytes_ >= floor) {
    body_window_bytes_ = 0;
    body_window_end_ = now + http.body_timeout;
    return set_deadline(body_window_end_);
  }
  log::info("slow client cut", {{"req", note_.id},
                                {"remote", remote_},
                                {"waiting_for", "body"},
                                {"window_bytes", body_window_bytes_},
                                {"needed", std::max<uint64_t>(floor, 1)}});
  return answer({408, "wsup: the request body came too slowly\n", false, true});
}

void HttpConnection::close() {
  if (phase_ == Phase::closed) return;
  if (phase_ == Phase::waiting) context_.dispatcher.cancel(note_.id);
  if (stream_) {
    stream_->cancel();  // the worker stops; nothing more of it is read
    stream_.reset();
  }
  phase_ = Phase::closed;
  boost::system::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
  live_.all.erase(this);
  place_.release();
}

void HttpConnection::note_begin() {
  if (note_.id != 0) return;
  note_.id = g_next_request_id.fetch_add(1, std::memory_order_relaxed);
  note_.start = Clock::now();
}

void HttpConnection::set_deadline(Clock::time_point deadline) {
  deadline_ = deadline;
  // The armed timer fires earlier and re-checks deadline_ then: no re-arming per request.
  if (deadline == Clock::time_point::max() || deadline >= timer_at_) return;
  timer_at_ = deadline;
  timer_.expires_at(deadline);  // a wait still pending completes with operation_aborted
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) { self->on_timer(ec); });
}

void HttpConnection::on_timer(beast::error_code ec) {
  if (ec == asio::error::operation_aborted || phase_ == Phase::closed) return;
  timer_at_ = Clock::time_point::max();
  const Clock::time_point now = Clock::now();
  if (now < deadline_) return set_deadline(deadline_);  // moved later meanwhile
  switch (phase_) {
    case Phase::reading:
      return on_reading_deadline(now);
    case Phase::writing:
    case Phase::streaming:
      // A stream waiting for its next chunk has only the wall time as its deadline.
      if (stream_ && now >= wall_deadline_) {
        log::info("stream still running at the wall time: cut",
                  {{"req", note_.id}, {"remote", remote_}});
        return cut("wall_time", 504);
      }
      log::info("client not reading its response: connection cut",
                {{"req", note_.id}, {"remote", remote_}});
      return cut("write_timeout", 499);
    case Phase::closing:
      return close();
    case Phase::waiting:
    case Phase::closed:
      return;
  }
}

}  // namespace wsup::supervisor

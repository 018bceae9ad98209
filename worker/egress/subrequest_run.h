// Internal to worker/egress: one subrequest from fetch() to its last body byte, across redirect
// hops. Per hop: the outbound policy on the host, a slot (or a kept-alive connection) from the
// pool, DNS, the policy on every resolved address, connect (+TLS) to the allowed ones, then one
// UpstreamExchange. The response body is pumped from the socket through the decoder to the
// caller while the caller is not paused.
//
// Lifetime: every pending operation's handler holds a shared_ptr to the run, so the run, its
// connection and its exchange live until the last handler has run. A finished run (ended,
// failed, aborted) only closes its socket; handlers that complete afterwards see `finished_`, or
// a hop generation that moved on, and return without touching anything else.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "worker/egress/client_core.h"
#include "worker/egress/content_decoder.h"
#include "worker/egress/redirect.h"
#include "worker/egress/subrequest.h"
#include "worker/egress/upstream_exchange.h"

namespace wsup::worker::egress {

class SubrequestRun : public std::enable_shared_from_this<SubrequestRun> {
 public:
  SubrequestRun(std::shared_ptr<ClientCore> core, SubrequestSpec spec,
                SubrequestCallbacks callbacks);
  ~SubrequestRun();

  void start();
  void pause();
  void resume();
  void abort();
  bool write_body(std::string chunk);
  void end_body();
  bool finished() const { return finished_; }

 private:
  using tcp = boost::asio::ip::tcp;
  enum class Phase { starting, waiting_for_slot, resolving, connecting, exchanging, body, done };

  // Hop set-up.
  void begin_hop();
  void on_grant(ConnectionPool::Grant grant);
  void on_resolved(const boost::system::error_code& error, tcp::resolver::results_type results);
  void connect(std::vector<tcp::endpoint> endpoints);
  void start_exchange();
  // Request body.
  void on_head_written(const boost::beast::error_code& error);
  void send_next_bytes();
  void on_body_written(const boost::beast::error_code& error);
  void on_write_failed(const boost::beast::error_code& error);
  void on_final_write(const boost::beast::error_code& error);
  // Response.
  void on_response_head(const boost::beast::error_code& error);
  void follow_redirect(int status, std::string_view location);
  void deliver_head();
  void pump();
  void deliver(std::string_view chunk);
  void read_more();
  void on_body_read(const boost::beast::error_code& error, std::string_view bytes);
  void complete();
  // Ending.
  bool may_retry() const;
  void retry();
  void fail(FetchError::Kind kind, const std::string& detail);
  void fail_refused(const std::string& message);
  void stop();  // closes the connection and lets go of the pool slot; no callback
  void retire_connection();
  // One timer serves every wait: `deadline_` moves freely (once per body read), and the timer is
  // re-armed only when the deadline moves earlier than its expiry, or when it fires early.
  void set_deadline(std::chrono::steady_clock::time_point deadline);
  void clear_deadline() { deadline_ = std::chrono::steady_clock::time_point::max(); }
  void on_timer();
  void on_timeout();
  // A handler of hop `generation` that completes now: false when it must do nothing.
  bool current(uint64_t generation) const { return !finished_ && generation == generation_; }

  std::shared_ptr<ClientCore> core_;
  SubrequestCallbacks callbacks_;
  HopRequest hop_;
  RequestBody body_;
  const RedirectMode redirect_mode_;
  const bool decode_body_;
  const uint32_t incoming_hops_;
  const std::chrono::steady_clock::time_point started_;

  Phase phase_ = Phase::starting;
  bool finished_ = false;
  uint64_t generation_ = 0;  // one per hop and per retry
  int redirects_ = 0;
  int stale_retries_ = 0;

  ConnectionPool::WaitId wait_id_ = 0;
  bool holds_slot_ = false;
  Origin slot_origin_;
  tcp::resolver resolver_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  bool timer_waiting_ = false;

  std::unique_ptr<UpstreamConnection> connection_;
  std::unique_ptr<UpstreamExchange> exchange_;
  // Connections and exchanges of earlier hops that may still have an operation pending.
  std::vector<std::pair<std::unique_ptr<UpstreamExchange>, std::unique_ptr<UpstreamConnection>>>
      retired_;

  // Request body.
  size_t bytes_sent_ = 0;  // Kind::bytes: offset of the next slice; Kind::stream: bytes written
  std::string chunk_;      // Kind::stream: the chunk being written
  bool body_ready_ = false;
  bool writing_ = false;
  bool end_requested_ = false;
  bool write_failed_ = false;
  std::string write_error_;
  bool request_ending_ = false;   // the write that completes the request is issued
  bool end_after_write_ = false;  // the response is complete; end once that write is done

  // Response body.
  std::unique_ptr<ContentDecoder> decoder_;
  std::unique_ptr<char[]> decoded_;
  std::string_view raw_;  // body bytes read and not yet passed on (in the connection's buffer)
  bool decoder_full_ = false;
  bool reading_ = false;
  bool paused_ = false;
  bool pumping_ = false;
  bool pump_posted_ = false;
};

}  // namespace wsup::worker::egress

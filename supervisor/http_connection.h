// One client connection of the HTTP front: read a request, hand it to the dispatcher, write the
// response, again, on one I/O thread and without blocking it. The request side is
// http_connection.cc, the response side http_connection_response.cc.
//
// A streamed response (DispatchResult::stream) is written as it comes: the head at once, then
// each chunk, and each chunk is released to the worker only once written, so the connection
// holds at most one chunk. Framing: Content-Length when the worker declared the length (a body
// that ends short or runs long is cut; its last byte waits for the worker's end, so a client
// never sees a complete body that was going to run long), chunked otherwise, ended by closing
// for an HTTP/1.0 client, no body at all for HEAD, 204 and 304 (the stream is cancelled). A
// stream still running at the request's wall time, or whose client hangs up, is cancelled and
// the response ends abruptly (no last chunk, connection closed), as does one the worker aborts
// or dies in.
//
// Writes go out with write_some and a no-progress deadline (http.write_timeout): a client
// that reads slowly but steadily is never cut, one that stops reading is. A response that is cut
// is logged with the body bytes actually handed to the socket and a status saying so (499
// client gone or not reading, 502 the worker's side broke off, 504 wall time).
//
// The connection's flat_buffer lives as long as the connection, so bytes read ahead (pipelined
// requests) are the start of the next request: responses leave in request order. While a request
// waits for its worker the connection keeps reading (up to kReadAheadLimit bytes): end of stream
// then means the client hung up, and the request is cancelled in the dispatcher (logged as 499).
//
// One timer per connection enforces every deadline (FrontTimeouts): it is re-armed only when a
// deadline moves earlier and otherwise re-checks the current deadline when it fires.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "supervisor/access_log.h"
#include "supervisor/dispatcher.h"
#include "supervisor/http_exchange.h"
#include "supervisor/http_listener.h"
#include "supervisor/metrics.h"
#include "supervisor/request_url.h"
#include "supervisor/response_stream.h"
#include "supervisor/routing_table.h"

namespace wsup::supervisor {

// The deadlines and the body's rate floor: cluster.yaml's `http:` section (config::HttpSettings).
using FrontTimeouts = config::HttpSettings;

// What every connection uses; owned by the HttpFront, which outlives its connections.
struct FrontContext {
  Dispatcher& dispatcher;
  Metrics& metrics;
  const AccessLog& access_log;
  const CurrentRouting& routing;
  ConnectionBudget& budget;
  FrontTimeouts timeouts;
  uint64_t max_body_bytes = 0;  // fixed at start: the rings are sized for it
};

class HttpConnection;
// The connections one I/O thread serves, for a graceful stop. Used on that thread only.
struct LiveConnections {
  std::unordered_set<HttpConnection*> all;
  bool stopping = false;
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  // Buffered bytes beyond a request that is being served, before the connection stops reading.
  static constexpr size_t kReadAheadLimit = 64 * 1024;
  // The most one read takes from the socket.
  static constexpr size_t kReadChunk = 16 * 1024;

  // Runs on `io` (the socket's context); holds a place in `place` until closed. `refuse`: over the
  // connection cap, answered 503 at once and closed.
  HttpConnection(tcp::socket socket, FrontContext& context, LiveConnections& live,
                 asio::io_context& io, ConnectionBudget& place, bool refuse);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  void start();
  // Graceful stop: an idle connection closes now; one with a request in flight after answering.
  void stop_when_idle();
  // How much this connection gives for its place while the cap is reached (http_front.h): for
  // one reading a request (or idle between requests), the bytes it sent over its lifetime per
  // second of it, counted from 1 byte so a brand-new connection ranks high (a keep-alive client
  // that sent many requests ranks above a slow one that sent a head and then a trickle); 0 for
  // one lingering after its last response; nullopt for one whose request is with a worker or
  // whose response is being written (never evicted) and for one being refused.
  std::optional<double> bytes_per_second(Dispatcher::Clock::time_point now) const;
  // Closes the connection to free its place for a new one (see bytes_per_second).
  void evict();

 private:
  enum class Phase {
    reading,    // a request's head or body
    waiting,    // the request is with the dispatcher
    writing,    // a response, or a streamed response's head or chunk, is being written
    streaming,  // a streamed response waits for its next chunk from the worker
    closing,    // response sent with Connection: close; dropping input until EOF or linger time
    closed,
  };
  // How a streamed response's body is delimited on the wire.
  enum class BodyFraming { none, length, chunked, until_close };
  // One request's notes for the access log and the per-stage metrics.
  struct RequestNote {
    uint64_t id = 0;
    std::string script;
    std::string method, target;
    std::string version = "HTTP/1.1";
    int worker = -1;
    int status = 0;           // as logged: for a cut response, the status saying why
    int sent_status = 0;      // the status line the client got, when the response was cut
    const char* cut = "";     // why the response was cut short; "" when it was not
    uint64_t body_bytes = 0;  // body bytes handed to the socket
    bool staged = false;      // answered by a worker: the stage times below are set
    Dispatcher::Clock::time_point start, dispatched, submitted, answered, resumed;
    Dispatcher::Clock::time_point head_written;  // a streamed response's head is out (else 0)
  };

  void begin_request();
  void parse();
  void read_more();
  void on_read(boost::beast::error_code ec, size_t bytes);
  // Routing and limits once the head is in. False when the request was answered already.
  bool on_head();
  void dispatch();
  // "host:port" of the socket's local end: the URL authority of a request without any.
  std::string local_authority() const;
  // The reading-phase deadline passed: the head's or the body's, or the keep-alive idle time.
  void on_reading_deadline(Dispatcher::Clock::time_point now);
  void on_settled(DispatchResult result);
  void answer(const FrontAnswer& answer);
  void write_response(int status, const HeaderList& headers, std::string body, bool close);
  // Writes prefix, body and suffix (framing around a body), then runs `then`. The body's bytes
  // count as sent as they reach the socket.
  void send(std::string prefix, std::string body, std::string_view suffix,
            void (HttpConnection::*then)());
  void write_some();
  void on_wrote_some(boost::beast::error_code ec, size_t bytes);
  void on_response_written();  // a whole response, or a stream's last bytes
  void start_stream(const HttpResponse& head, std::shared_ptr<ResponseStream> stream);
  void on_stream_head_written();
  void next_chunk();  // takes the stream's next chunk or end, or waits for it
  void on_chunk_written();
  // Ends the response abruptly: the stream is cancelled, the access log says `why` with
  // `status`, and the connection closes without a well-formed end.
  void cut(const char* why, int status);
  void note_begin();      // the request's id and start time, once
  void finish_request();  // access log and metrics of the request just answered
  void set_deadline(Dispatcher::Clock::time_point deadline);
  void on_timer(boost::beast::error_code ec);
  void linger();
  void close();

  tcp::socket socket_;
  FrontContext& context_;
  LiveConnections& live_;
  asio::io_context& io_;
  ConnectionBudget& place_;
  const bool refuse_;
  std::string remote_;
  boost::beast::flat_buffer buffer_;
  std::array<char, kReadChunk> read_chunk_;  // what the read in flight fills (see read_more)
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const RoutingTable> routing_;  // the table of the request being read
  std::optional<RequestUrl> url_;                // of the request being read, once its head is in
  HeaderList head_headers_;      // the head's fields as the worker gets them (trailers never are)
  size_t head_field_bytes_ = 0;  // field_bytes() of the head: what is added later is trailers
  uint64_t routing_generation_ = 0;
  RequestNote note_;
  Phase phase_ = Phase::reading;
  bool reading_ = false;      // an async read is in flight
  bool peer_closed_ = false;  // end of stream (or an error) on the read side
  bool head_checked_ = false;
  size_t head_bytes_ = 0;     // of the request's head, parsed so far
  bool close_after_ = false;  // the response in flight ends the connection
  bool keep_alive_ = false;   // what the request asked for (HTTP/1.0 or 1.1 rules)
  bool http10_ = false;
  bool head_request_ = false;
  // The write in flight: prefix (a head, a chunk's size line), body, suffix (framing).
  std::string out_prefix_;
  std::string out_body_;
  std::string_view out_suffix_;
  size_t out_written_ = 0;  // of the three together
  void (HttpConnection::*after_write_)() = nullptr;
  // The streamed response being written (null otherwise).
  std::shared_ptr<ResponseStream> stream_;
  BodyFraming framing_ = BodyFraming::none;
  uint64_t stream_left_ = 0;  // length framing: body bytes still due
  std::string held_byte_;     // length framing: the body's last byte, sent with the end
  Dispatcher::Clock::time_point wall_deadline_;  // the request's wall time: a stream ends there
  asio::steady_timer timer_;
  Dispatcher::Clock::time_point deadline_ = Dispatcher::Clock::time_point::max();
  Dispatcher::Clock::time_point idle_until_;       // reading: idle keep-alive ends here
  Dispatcher::Clock::time_point header_deadline_;  // reading: the head must be in by then
  // Reading a body: the current body_timeout window ends here, and has brought this many bytes.
  Dispatcher::Clock::time_point body_window_end_;
  uint64_t body_window_bytes_ = 0;
  // For bytes_per_second(): when the connection was accepted, and every byte read since.
  const Dispatcher::Clock::time_point accepted_at_;
  uint64_t bytes_read_ = 0;
  Dispatcher::Clock::time_point timer_at_ = Dispatcher::Clock::time_point::max();  // max: unarmed
};

}  // namespace wsup::supervisor

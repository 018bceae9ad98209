#include "supervisor/http_front.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <stdexcept>

#include "shared/log.h"
#include "supervisor/client_socket.h"

namespace wsup::supervisor {
namespace {

using Clock = std::chrono::steady_clock;

constexpr time_t kReadTimeoutSeconds = 10;  // a slow client cannot hold a thread longer
constexpr time_t kWriteTimeoutSeconds = 10;
constexpr time_t kKeepAliveSeconds = 5;  // idle keep-alive connections give their thread back
constexpr size_t kKeepAliveMaxRequests = 10'000;
constexpr size_t kMaxAutoThreads = 512;

// Per-thread note of the request being served, for the logger that cpp-httplib calls after the
// response is written (on the same thread), including responses it made itself (400, 413, 414).
struct RequestNote {
  uint64_t id = 0;
  std::string script;
  int worker = -1;
  Clock::time_point start;
  // Stage boundaries of a worker-answered request (Metrics::kStageNames); staged once all are set.
  bool staged = false;
  Clock::time_point dispatched, submitted, answered, resumed;
};
thread_local RequestNote t_note;
std::atomic<uint64_t> g_next_request_id{1};  // relaxed: only uniqueness matters

uint64_t note_request(const httplib::Request&) {
  if (t_note.id == 0) {
    t_note.id = g_next_request_id.fetch_add(1, std::memory_order_relaxed);
    t_note.start = Clock::now();
  }
  return t_note.id;
}

size_t header_bytes(const httplib::Request& req) {
  size_t n = req.method.size() + req.target.size() + req.version.size() + 4;
  for (const auto& [name, value] : req.headers) n += name.size() + value.size() + 4;
  return n;
}

bool is_framing_header(const std::string& name) {
  static const char* const framing[] = {"content-length", "transfer-encoding", "connection",
                                        "keep-alive"};
  for (const char* f : framing)
    if (name.size() == std::strlen(f) &&
        std::equal(name.begin(), name.end(), f,
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
      return true;
  return false;
}

void plain(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "text/plain; charset=utf-8");
}

}  // namespace

size_t HttpFront::thread_count(const config::ClusterConfig& config) {
  if (config.http_threads != 0) return config.http_threads;
  // cpp-httplib holds a thread per open connection, keep-alive idle time included.
  return std::clamp<size_t>(config.limits.max_connections, 8, kMaxAutoThreads);
}

HttpFront::HttpFront(const config::ClusterConfig& config, Dispatcher& dispatcher, Metrics& metrics,
                     const AccessLog& access_log)
    : config_(config),
      dispatcher_(dispatcher),
      metrics_(metrics),
      access_log_(access_log),
      routing_(std::make_shared<RoutingTable>(config)) {}

HttpFront::~HttpFront() {
  stop();
}

std::shared_ptr<const RoutingTable> HttpFront::routing() const {
  std::lock_guard lock(routing_mutex_);
  return routing_;
}

void HttpFront::set_routing(std::shared_ptr<const RoutingTable> routing) {
  std::lock_guard lock(routing_mutex_);
  routing_ = std::move(routing);
}

void HttpFront::configure(httplib::Server& server, size_t threads) {
  // cpp-httplib's API takes ownership of a raw TaskQueue pointer.
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Headers and body leave in separate writes: without NODELAY, Nagle + the client's delayed ACK
  // add ~40 ms to every keep-alive response (measured: 22 req/s on one connection).
  server.set_tcp_nodelay(true);
  server.set_keep_alive_timeout(kKeepAliveSeconds);
  server.set_keep_alive_max_count(kKeepAliveMaxRequests);
  server.set_read_timeout(kReadTimeoutSeconds, 0);
  server.set_write_timeout(kWriteTimeoutSeconds, 0);
  server.set_payload_max_length(config_.limits.max_body_bytes);  // cpp-httplib answers 413

  // Runs before the body is read: refuse oversized headers and unrouted requests early.
  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_note = RequestNote{};  // a new request: nothing left over from an aborted previous one
    note_request(req);
    if (slow_clients_)
      slow_clients_->request_started(req.local_port, req.remote_addr, req.remote_port);
    auto table = routing();
    if (header_bytes(req) > table->limits.max_header_bytes) {
      plain(res, 431, "wsup: request headers too large\n");
      return httplib::Server::HandlerResponse::Handled;
    }
    int script = table->router.match(req.get_header_value("Host"), req.path);
    if (script == config::Router::kNoMatch) {
      plain(res, 404, "wsup: no script is routed for this host and path\n");
      return httplib::Server::HandlerResponse::Handled;
    }
    t_note.script = table->router.script_name(script);
    return httplib::Server::HandlerResponse::Unhandled;
  });

  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    // cpp-httplib would gzip the body (Accept-Encoding) or slice it (Range) on its way out; the
    // client must get exactly what the script produced, so those are taken off the request once
    // copied for the script. The Request is a non-const local of cpp-httplib's connection loop.
    HttpRequest request;
    request.id = note_request(req);
    request.script = t_note.script;
    request.method = req.method;
    std::string host = req.get_header_value("Host");
    request.url = req.target.starts_with("http://") || req.target.starts_with("https://")
                      ? req.target
                      : "http://" + (host.empty() ? std::string("localhost") : host) + req.target;
    for (const auto& [name, value] : req.headers) request.headers.emplace_back(name, value);
    auto& writable = const_cast<httplib::Request&>(req);
    request.body = std::move(writable.body);  // not read again by cpp-httplib
    writable.headers.erase("Accept-Encoding");
    writable.ranges.clear();

    auto deadline = t_note.start + std::chrono::milliseconds(routing()->limits.wall_ms);
    int connection_fd = -2;  // looked up only if the request waits past the first check
    auto client_gone = [&] {
      if (connection_fd == -2)
        connection_fd = find_connection_socket(req.local_port, req.remote_addr, req.remote_port);
      return connection_fd >= 0 && peer_hung_up(connection_fd);
    };
    t_note.dispatched = Clock::now();
    DispatchResult result = dispatcher_.handle(std::move(request), deadline, client_gone);
    t_note.worker = result.worker;
    if (result.outcome == Outcome::response) {
      t_note.staged = true;
      t_note.submitted = result.submitted;
      t_note.answered = result.answered;
      t_note.resumed = Clock::now();
    }
    switch (result.outcome) {
      case Outcome::response:
        res.status = result.response.status;
        for (auto& [name, value] : result.response.headers)
          if (!is_framing_header(name)) res.headers.emplace(std::move(name), std::move(value));
        res.body = std::move(result.response.body);
        break;
      case Outcome::worker_died:
        plain(res, 502, "wsup: the worker died while handling this request\n");
        break;
      case Outcome::overloaded:
      case Outcome::no_worker:
        plain(res, 503, "wsup: all workers are busy, retry shortly\n");
        res.set_header("Retry-After", "1");
        break;
      case Outcome::shutting_down:
        plain(res, 503, "wsup: shutting down\n");
        res.set_header("Retry-After", "1");
        res.set_header("Connection", "close");
        break;
      case Outcome::timed_out:
        plain(res, 504, "wsup: the script did not answer within its wall time\n");
        break;
      case Outcome::client_gone:
        res.status = 499;  // nginx's "client closed request", for the access log; nobody reads it
        break;
      case Outcome::too_large:
        plain(res, 413, "wsup: request too large for a worker\n");
        break;
    }
  };
  const std::string any = ".*";
  server.Get(any, handler);
  server.Post(any, handler);
  server.Put(any, handler);
  server.Patch(any, handler);
  server.Delete(any, handler);
  server.Options(any, handler);

  server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    uint64_t id = note_request(req);
    const Clock::time_point written = Clock::now();
    auto latency = std::chrono::duration_cast<std::chrono::microseconds>(written - t_note.start);
    if (t_note.staged) {
      const RequestNote& n = t_note;
      metrics_.record_stages({n.dispatched - n.start, n.submitted - n.dispatched,
                              n.answered - n.submitted, n.resumed - n.answered,
                              written - n.resumed});
    }
    metrics_.record_request(t_note.script, t_note.worker, res.status, latency);
    AccessRecord record;
    record.time = std::chrono::system_clock::now();
    record.request_id = id;
    record.remote = req.remote_addr;
    record.method = req.method;
    record.target = req.target;
    record.version = req.version;
    record.status = res.status;
    record.body_bytes = res.body.size();
    record.duration = latency;
    record.script = t_note.script;
    record.worker = t_note.worker;
    access_log_.write(record);
    if (slow_clients_)
      slow_clients_->request_finished(req.local_port, req.remote_addr, req.remote_port);
    t_note = RequestNote{};
  });
}

void HttpFront::start() {
  size_t threads = thread_count(config_);
  for (const config::ListenAddress& address : config_.listen) {
    auto server = std::make_unique<httplib::Server>();
    configure(*server, threads);
    // cpp-httplib 0.11 listens with a backlog of 5: a burst of new connections overflows it and
    // clients wait a 1 s SYN retransmit. Keep the socket to raise the backlog after binding.
    int listen_fd = -1;
    server->set_socket_options([&listen_fd](int fd) {
      // cpp-httplib's defaults, kept: a restart binds despite the last run's TIME_WAIT sockets.
      int yes = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof yes);
      listen_fd = fd;
    });
    int port = address.port;
    if (port == 0) {
      port = server->bind_to_any_port(address.host);
    } else if (!server->bind_to_port(address.host, port)) {
      port = -1;
    }
    if (port < 0)
      throw std::runtime_error("cannot listen on " + address.host + ":" +
                               std::to_string(address.port) + " (" + address.where.file + ":" +
                               std::to_string(address.where.line) + ")");
    ::listen(listen_fd, SOMAXCONN);  // Linux: a second listen() only changes the backlog
    ports_.push_back(static_cast<uint16_t>(port));
    log::info("listening", {{"host", address.host}, {"port", port}, {"threads", threads}});
    servers_.push_back(std::move(server));
  }
  // Before any connection is served: the HTTP threads read slow_clients_ without a lock.
  slow_clients_ = std::make_unique<SlowClientReaper>(std::set<int>(ports_.begin(), ports_.end()),
                                                     std::chrono::seconds(kReadTimeoutSeconds));
  for (auto& server : servers_) {
    httplib::Server* raw = server.get();
    threads_.emplace_back([raw] { raw->listen_after_bind(); });
  }
}

void HttpFront::stop() {
  if (threads_.empty()) return;  // never started, or stopped already
  for (auto& server : servers_) {
    // stop() is a no-op until listen_after_bind() has marked the server running.
    for (int i = 0; i < 1000 && !server->is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server->stop();
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  slow_clients_.reset();  // no HTTP thread is left to use it
}

}  // namespace wsup::supervisor

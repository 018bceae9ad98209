#include "tests/worker/egress/test_upstream.h"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <stdexcept>

#include "tests/worker/egress/test_encoding.h"

namespace wsup::worker::egress::testing {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string status_line(int status, const std::string& extra_headers, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " Test\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string query_value(const std::string& target, const std::string& key) {
  size_t at = target.find(key + "=");
  return at == std::string::npos ? "" : target.substr(at + key.size() + 1);
}

}  // namespace

std::string pattern_bytes(uint64_t size) {
  std::string bytes(size, '\0');
  for (uint64_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 7) % 251);
  return bytes;
}

std::string encoded_text() {
  std::string text;
  for (int i = 0; i < 7000; ++i) text += "Hello from an encoded body " + std::to_string(i) + ". ";
  return text;
}

std::string RecordedRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (boost::beast::iequals(key, name)) return value;
  return "";
}

bool RecordedRequest::has_header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (boost::beast::iequals(key, name)) return true;
  return false;
}

struct TestUpstream::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::unique_ptr<asio::ssl::context> tls;
};

TestUpstream::TestUpstream(std::optional<Tls> tls) : impl_(std::make_unique<Impl>()) {
  if (tls) {
    impl_->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(tls->certificate_file);
    impl_->tls->use_private_key_file(tls->key_file, asio::ssl::context::pem);
    SSL_CTX_set_tlsext_servername_arg(impl_->tls->native_handle(), this);
    SSL_CTX_set_tlsext_servername_callback(
        impl_->tls->native_handle(), +[](SSL* ssl, int*, void* arg) -> int {
          auto* self = static_cast<TestUpstream*>(arg);
          const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
          std::lock_guard lock(self->mutex_);
          self->server_names_.push_back(name != nullptr ? name : "");
          return SSL_TLSEXT_ERR_OK;
        });
  }
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  acceptor_thread_ = std::thread([this] { accept_loop(); });
}

TestUpstream::~TestUpstream() {
  stopping_ = true;
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  acceptor_thread_.join();
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (std::thread& thread : threads_) thread.join();
}

std::string TestUpstream::url(const std::string& path, const std::string& host) const {
  return std::string(impl_->tls ? "https://" : "http://") + host + ":" + std::to_string(port_) +
         path;
}

std::vector<RecordedRequest> TestUpstream::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

size_t TestUpstream::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

std::vector<std::string> TestUpstream::server_names() const {
  std::lock_guard lock(mutex_);
  return server_names_;
}

void TestUpstream::accept_loop() {
  while (!stopping_) {
    boost::system::error_code error;
    tcp::socket socket(impl_->io);
    impl_->acceptor.accept(socket, error);
    if (error || stopping_) return;
    const uint64_t id = ++accepted_;
    const int fd = socket.release();
    std::lock_guard lock(mutex_);
    open_fds_.push_back(fd);
    threads_.emplace_back([this, id, fd] { serve(id, fd); });
  }
}

namespace {

// One connection's requests, on a plain socket or a TLS stream over it.
template <typename Stream>
class Connection {
 public:
  Connection(Stream& stream, tcp::socket& socket) : stream_(stream), socket_(socket) {}

  // Reads requests and answers them until either side ends the connection. Returns true when
  // the client closed it.
  template <typename Record, typename CountBig>
  bool serve(Record&& record, CountBig&& count_big) {
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(256 << 20);
      boost::system::error_code error;
      http::read(stream_, buffer_, parser, error);
      if (error) return true;  // the client closed (or reset) the connection
      http::request<http::string_body> request = parser.release();
      RecordedRequest recorded;
      recorded.method = request.method_string();
      recorded.target = request.target();
      for (const auto& field : request)
        recorded.headers.emplace_back(field.name_string(), field.value());
      recorded.body = request.body();
      std::string framing = request.chunked()              ? "chunked"
                            : request.has_content_length() ? "length"
                                                           : "none";
      record(std::move(recorded));
      const std::string target(request.target());
      if (!answer(request, target, framing, count_big)) return client_closed_;
      if (!request.keep_alive()) return false;
    }
  }

 private:
  template <typename CountBig>
  bool answer(const http::request<http::string_body>& request, const std::string& target,
              const std::string& framing, CountBig&& count_big) {
    if (target == "/echo" || target.starts_with("/echo?"))
      return send(status_line(200,
                              "X-Method: " + std::string(request.method_string()) +
                                  "\r\nX-Target: " + target + "\r\nX-Body-Framing: " + framing +
                                  "\r\n",
                              request.body()));
    if (target.starts_with("/status/")) {
      int status = std::stoi(target.substr(8));
      return send(status_line(status, "", "status " + std::to_string(status)));
    }
    if (target.starts_with("/redirect/")) {
      int status = std::stoi(target.substr(10, 3));
      return send(
          status_line(status, "Location: " + query_value(target, "to") + "\r\n", "redirecting"));
    }
    if (target == "/loop") return send(status_line(302, "Location: /loop\r\n", ""));
    if (target == "/chunked")
      return send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") &&
             send("4\r\none,\r\n") && send("4\r\ntwo,\r\n") && send("5\r\nthree\r\n0\r\n\r\n");
    if (target.starts_with("/encoded/")) return send_encoded(target.substr(9));
    if (target == "/hang") return wait_for_close();
    if (target == "/hang-body")
      return send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789") && wait_for_close();
    if (target == "/short")  // the connection's end breaks the body off 90 bytes short
      return send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789") && false;
    if (target == "/reset") {  // closing with a zero linger time sends RST
      socket_.set_option(asio::socket_base::linger(true, 0));
      return false;
    }
    if (target.starts_with("/big?"))
      return send_big(std::stoull(query_value(target, "bytes")),
                      request.method() == http::verb::head, count_big);
    if (target == "/close") return send(status_line(200, "Connection: close\r\n", "bye")) && false;
    if (target == "/json")
      return send(status_line(200, "Content-Type: application/json\r\n", kJsonBody));
    if (target.starts_with("/pattern?")) {
      const uint64_t bytes = std::stoull(query_value(target, "bytes"));
      return send("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(bytes) + "\r\n\r\n") &&
             send(pattern_bytes(bytes));
    }
    return send(status_line(404, "", "no such route"));
  }

  bool send_encoded(const std::string& coding) {
    static const std::string text = encoded_text();
    std::string body;
    std::string name = coding;
    if (coding == "gzip") body = zlib_encode(text, 15 + 16);
    if (coding == "gzip-truncated") {
      body = zlib_encode(text, 15 + 16);
      body.resize(body.size() - 20);
      name = "gzip";
    }
    if (coding == "deflate") body = zlib_encode(text, 15);
    if (coding == "deflate-raw") {
      body = zlib_encode(text, -15);
      name = "deflate";
    }
    if (coding == "br") body = brotli_encode(text);
    if (coding == "corrupt") {
      body = "\x1f\x8b this is not gzip at all";
      name = "gzip";
    }
    return send(status_line(200, "Content-Encoding: " + name + "\r\n", body));
  }

  template <typename CountBig>
  bool send_big(uint64_t bytes, bool head_only, CountBig&& count_big) {
    if (!send("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(bytes) + "\r\n\r\n"))
      return false;
    if (head_only) return true;
    static const std::string block(64 * 1024, 'x');
    while (bytes > 0) {
      size_t n = std::min<uint64_t>(bytes, block.size());
      if (!send(std::string_view(block.data(), n))) return false;
      count_big(n);
      bytes -= n;
    }
    return true;
  }

  bool wait_for_close() {
    char byte;
    boost::system::error_code error;
    while (!error) stream_.read_some(asio::buffer(&byte, 1), error);
    client_closed_ = true;
    return false;
  }

  bool send(std::string_view bytes) {
    boost::system::error_code error;
    asio::write(stream_, asio::buffer(bytes.data(), bytes.size()), error);
    if (error) client_closed_ = true;  // the client went away (or reset) while being answered
    return !error;
  }

  Stream& stream_;
  tcp::socket& socket_;
  boost::beast::flat_buffer buffer_;
  bool client_closed_ = false;
};

}  // namespace

void TestUpstream::serve(uint64_t id, int fd) {
  asio::io_context io;
  tcp::socket socket(io, tcp::v4(), fd);
  auto record = [&](RecordedRequest request) {
    request.connection = id;
    std::lock_guard lock(mutex_);
    requests_.push_back(std::move(request));
  };
  auto count_big = [&](size_t n) { big_bytes_sent_ += n; };
  bool client_closed = false;
  if (impl_->tls) {
    asio::ssl::stream<tcp::socket&> tls(socket, *impl_->tls);
    boost::system::error_code error;
    tls.handshake(asio::ssl::stream_base::server, error);
    client_closed = error ? true : Connection(tls, socket).serve(record, count_big);
  } else {
    client_closed = Connection(socket, socket).serve(record, count_big);
  }
  if (client_closed && !stopping_) ++closed_by_client_;
  std::lock_guard lock(mutex_);
  std::erase(open_fds_, fd);
  boost::system::error_code ignored;
  socket.close(ignored);
}

}  // namespace wsup::worker::egress::testing

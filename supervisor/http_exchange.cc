#include "supervisor/http_exchange.h"

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <cctype>
#include <cstdio>

#include "config/cluster_config.h"

namespace wsup::supervisor {

std::string_view request_path(std::string_view target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (!target.starts_with(scheme)) continue;
    size_t slash = target.find('/', scheme.size());
    return slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  return target;
}

HttpRequest to_http_request(BeastRequest& message, uint64_t id, const std::string& script) {
  HttpRequest request;
  request.id = id;
  request.script = script;
  request.method = message.method_string();
  std::string_view target = message.target();
  if (target.starts_with("http://") || target.starts_with("https://")) {
    request.url = target;
  } else {
    std::string_view host = message[http::field::host];
    request.url = "http://";
    request.url += host.empty() ? std::string_view("localhost") : host;
    request.url += target;
  }
  request.headers.reserve(static_cast<size_t>(std::distance(message.begin(), message.end())));
  for (const auto& field : message)
    request.headers.emplace_back(field.name_string(), field.value());
  request.body = std::move(message.body());
  return request;
}

FrontAnswer answer_for(Outcome outcome) {
  switch (outcome) {
    case Outcome::worker_died:
      return {502, "wsup: the worker died while handling this request\n"};
    case Outcome::overloaded:
    case Outcome::no_worker:
      return {503, "wsup: all workers are busy, retry shortly\n", true};
    case Outcome::shutting_down:
      return {503, "wsup: shutting down\n", true, true};
    case Outcome::timed_out:
      return {504, "wsup: the script did not answer within its wall time\n"};
    case Outcome::too_large:
      return {413, "wsup: request too large for a worker\n"};
    case Outcome::response:
    case Outcome::client_gone:
      break;
  }
  return {500, "wsup: internal error\n", false, true};
}

FrontAnswer answer_for_parse_error(boost::beast::error_code ec) {
  if (ec == http::error::header_limit)
    return {431, "wsup: request headers too large\n", false, true};
  if (ec == http::error::body_limit) return {413, "wsup: request body too large\n", false, true};
  return {400, "wsup: malformed request\n", false, true};
}

std::optional<FrontAnswer> check_hops(const BeastRequest& request, uint32_t max_hops) {
  auto field = request.find(config::kHopHeader);
  if (field == request.end()) return std::nullopt;
  std::string_view value = field->value();
  uint64_t hops = 0;
  const bool number =
      !value.empty() && value.size() <= 9 &&
      std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!number) return FrontAnswer{400, "wsup: the Wsup-Hops header is not a number\n", false, true};
  for (char c : value) hops = hops * 10 + static_cast<uint64_t>(c - '0');
  if (hops > max_hops)
    return FrontAnswer{508,
                       "wsup: loop detected: this request has passed through more subrequests "
                       "than outbound.max_hops allows\n",
                       false, true};
  return std::nullopt;
}

bool is_framing_header(std::string_view name) {
  static constexpr std::string_view framing[] = {"content-length", "transfer-encoding",
                                                 "connection", "keep-alive"};
  for (std::string_view f : framing)
    if (name.size() == f.size() &&
        std::equal(name.begin(), name.end(), f.begin(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
      return true;
  return false;
}

bool sends_body(int status, bool head_request) {
  return !head_request && status >= 200 && status != 204 && status != 304;
}

namespace {
bool safe_in_header(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}
}  // namespace

std::string response_head(int status, const HeaderList& headers, std::optional<uint64_t> body_size,
                          const Framing& framing) {
  std::string head;
  head.reserve(128 + 64 * headers.size());
  head += "HTTP/1.1 ";
  head += std::to_string(status);
  head += ' ';
  std::string_view reason =
      http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)));
  if (reason != "<unknown-status>") head += reason;
  head += "\r\n";
  for (const auto& [name, value] : headers) {
    if (name.empty() || is_framing_header(name) || !safe_in_header(name) || !safe_in_header(value))
      continue;
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  bool bodiless = status < 200 || status == 204 || status == 304;
  if (!bodiless && body_size) {
    head += "Content-Length: ";
    head += std::to_string(*body_size);
    head += "\r\n";
  } else if (!bodiless && framing.chunked) {
    head += "Transfer-Encoding: chunked\r\n";
  }
  if (framing.close)
    head += "Connection: close\r\n";
  else if (framing.keep_alive_10)
    head += "Connection: keep-alive\r\n";
  head += "\r\n";
  return head;
}

std::string chunk_size_line(size_t size) {
  char line[24];
  const int n = std::snprintf(line, sizeof line, "%zx\r\n", size);
  return std::string(line, static_cast<size_t>(n));
}

}  // namespace wsup::supervisor

#include "supervisor/http_exchange.h"

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <cctype>
#include <cstdio>
#include <iterator>

#include "config/cluster_config.h"
#include "shared/ascii.h"

namespace wsup::supervisor {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<FrontAnswer> check_head(const BeastRequest& head) {
  const size_t hosts = head.count(http::field::host);
  if (hosts > 1) return FrontAnswer{400, "wsup: more than one Host header\n", false, true};
  if (hosts == 0 && head.version() >= 11)
    return FrontAnswer{400, "wsup: missing Host header (required in HTTP/1.1)\n", false, true};
  if (head.count(http::field::transfer_encoding) == 0) return std::nullopt;
  if (head.version() < 11)
    return FrontAnswer{400, "wsup: Transfer-Encoding in an HTTP/1.0 request\n", false, true};
  // Every coding of every Transfer-Encoding line, in order.
  size_t codings = 0, chunked_at = 0, chunked = 0;
  auto [first, last] = head.equal_range(http::field::transfer_encoding);
  for (auto field = first; field != last; ++field) {
    std::string_view list = field->value();
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view coding = trim(list.substr(0, comma));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      if (coding.empty()) continue;
      ++codings;
      coding = trim(coding.substr(0, coding.find(';')));
      if (ascii_iequals(coding, "chunked")) {
        ++chunked;
        chunked_at = codings;
      }
    }
  }
  if (chunked != 1 || chunked_at != codings)
    return FrontAnswer{400, "wsup: chunked must be the final transfer coding, once\n", false, true};
  if (codings != 1)
    return FrontAnswer{501, "wsup: transfer codings other than chunked are not supported\n", false,
                       true};
  return std::nullopt;
}

HeaderList request_headers(const BeastRequest& head, std::string_view authority) {
  HeaderList headers;
  headers.reserve(static_cast<size_t>(std::distance(head.begin(), head.end())) + 1);
  bool has_host = false;
  for (const auto& field : head) {
    if (field.name() == http::field::host) {
      has_host = true;
      headers.emplace_back(field.name_string(), authority);
    } else {
      headers.emplace_back(field.name_string(), field.value());
    }
  }
  if (!has_host) headers.emplace_back("Host", authority);
  return headers;
}

size_t field_bytes(const BeastRequest& message) {
  size_t bytes = 0;
  for (const auto& field : message) bytes += field.name_string().size() + field.value().size() + 4;
  return bytes;
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
    if (ascii_iequals(name, f)) return true;
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
                          const Framing& framing, std::string_view date) {
  std::string head;
  head.reserve(128 + 64 * headers.size());
  head += "HTTP/1.1 ";
  head += std::to_string(status);
  head += ' ';
  std::string_view reason =
      http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)));
  if (reason != "<unknown-status>") head += reason;
  head += "\r\n";
  bool has_date = false;
  for (const auto& [name, value] : headers) {
    if (name.empty() || is_framing_header(name) || !safe_in_header(name) || !safe_in_header(value))
      continue;
    has_date = has_date || ascii_iequals(name, "date");
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  if (!has_date && !date.empty()) {
    head += "Date: ";
    head += date;
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

// The HTTP front's translations, free of I/O: a parsed request head checked and turned into the
// headers a worker reads, a settlement into the bytes of a response head, and the front's own
// answers.
//
// A response carries exactly the headers the script set, minus framing ones (Content-Length,
// Transfer-Encoding, Connection, Keep-Alive), which the front writes itself, plus Date when the
// script set none; header lines with CR, LF or NUL (from a broken or hostile worker) are dropped.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shared/http_message.h"
#include "supervisor/dispatcher.h"

namespace wsup::supervisor {

namespace http = boost::beast::http;
using BeastRequest = http::request<http::string_body>;

// A request target longer than this gets 414 (when the whole head is within max_header_bytes).
constexpr size_t kMaxTargetBytes = 8 * 1024;

// A response the front writes itself (errors, refusals).
struct FrontAnswer {
  int status = 0;
  std::string_view body;  // text/plain
  bool retry_after = false;
  bool close = false;  // the connection cannot go on (e.g. an unread body, shutting down)
};

// The framing and Host rules of RFC 9112 a request head must meet before anything else is done
// with it, or the answer that refuses it (the connection then closes: its body cannot be read
// safely). Transfer-Encoding in HTTP/1.0 (§6.1), chunked other than once and last (§6.3), a
// missing (HTTP/1.1) or repeated Host (§3.2): 400. Any coding besides chunked ("gzip, chunked"):
// 501, since the front decodes none (Workers does not either). Content-Length with
// Transfer-Encoding and differing Content-Lengths are refused by Beast's parser already (400).
std::optional<FrontAnswer> check_head(const BeastRequest& head);

// The head's fields as the worker gets them, in order, with the Host field's value replaced by
// the request URL's authority (added when the request had none), so that the script's Host
// header and request.url agree. Taken once the head is parsed and before the body: fields parsed
// later are trailers, and beast::http::fields files a trailer next to a head field of the same
// name, so they could not be told apart afterwards.
HeaderList request_headers(const BeastRequest& head, std::string_view authority);
// The bytes of `message`'s fields as "name: value\r\n" lines.
size_t field_bytes(const BeastRequest& message);
FrontAnswer answer_for(Outcome outcome);  // every outcome but response and client_gone
// The answer to a request Beast could not parse: 400, 413 (body), 431 (head).
FrontAnswer answer_for_parse_error(boost::beast::error_code ec);

bool is_framing_header(std::string_view name);

// The subrequest hop counter (config::kHopHeader, which wsup's fetch() sets to the incoming
// count plus one): 508 Loop Detected past `max_hops` (a Worker fetching itself, directly or
// through others, ends there), 400 when it is not a number; nullopt when the request may go on.
std::optional<FrontAnswer> check_hops(const BeastRequest& request, uint32_t max_hops);

// How the response head ends the message's framing.
struct Framing {
  bool close = false;          // "Connection: close"
  bool keep_alive_10 = false;  // an HTTP/1.0 client that asked for keep-alive
  bool chunked = false;        // "Transfer-Encoding: chunked": a streamed body of unknown length
};
// Status line, headers, `date` (unless the headers have a Date) and framing of a response whose
// body has `body_size` bytes (nullopt: unknown, so chunked or ended by closing the connection, as
// `framing` says). Statuses without a body (1xx, 204, 304) get neither Content-Length nor
// Transfer-Encoding.
std::string response_head(int status, const HeaderList& headers, std::optional<uint64_t> body_size,
                          const Framing& framing, std::string_view date);
// The size line of one chunk of a chunked body ("1a2b\r\n"); the chunk's CRLF follows its data.
std::string chunk_size_line(size_t size);
inline constexpr std::string_view kChunkEnd = "\r\n";
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";
// True when a response with this status (to this method) carries its body.
bool sends_body(int status, bool head_request);

}  // namespace wsup::supervisor

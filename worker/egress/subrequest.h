// What a subrequest is to its caller (the fetch() glue): the request it describes, the response
// head and body chunks it delivers, the errors it reports, and the handle that steers it.
//
//   Subrequest sub = client.fetch(std::move(spec), {
//       .on_head = [&](ResponseHead head) { ... },             // status, headers, final URL
//       .on_body = [&](std::string_view chunk) { ... },        // decoded bytes; may pause()
//       .on_end = [&] { ... },                                 // the body is complete
//       .on_error = [&](FetchError error) { ... },             // the JS side: a TypeError
//       .on_request_body_ready = [&] { sub.write_body(next); },// streamed request bodies
//   });
//   sub.pause(); sub.resume();   // a paused subrequest reads nothing from its socket
//   sub.abort();                 // at any point: the connection is closed, no callback follows
//
// Exactly one of on_end and on_error ends a subrequest that is not aborted; on_error may come
// before or after on_head (a body that breaks off). Callbacks run on the client's loop, never
// from inside a call into the Subrequest or into fetch(). A Subrequest that is destroyed aborts.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "shared/http_message.h"

namespace wsup::worker::egress {

enum class RedirectMode { follow, manual, error };

struct RequestBody {
  enum class Kind {
    none,
    bytes,   // all in memory (a string or buffer body): sent as is, again after a 307/308
    stream,  // supplied by the caller piece by piece (write_body), never held whole
  };
  Kind kind = Kind::none;
  std::string bytes;               // Kind::bytes
  std::optional<uint64_t> length;  // Kind::stream: the exact size when known, else chunked
};

struct SubrequestSpec {
  std::string method = "GET";
  std::string url;  // absolute http(s) URL, as the WHATWG URL parser serializes it
  HeaderList headers;
  RequestBody body;
  RedirectMode redirect = RedirectMode::follow;
  bool decode_body = true;     // decode gzip / deflate / br (and ask for them)
  uint32_t incoming_hops = 0;  // the incoming request's Wsup-Hops; this subrequest sends +1
};

struct ResponseHead {
  uint16_t status = 0;
  std::string status_text;
  HeaderList headers;  // as received, in order; Content-Encoding and Content-Length included
  std::string url;     // the URL that answered (after redirects)
  bool redirected = false;
  // The coding the body is delivered decoded from ("gzip", "deflate", "br"); "" when the body is
  // delivered as received.
  std::string decoded_from;
  // The exact byte count on_body will deliver before on_end, when the upstream framed its body
  // with a Content-Length and it is delivered as received (not decoded); nullopt for a chunked
  // or close-delimited body, a decoded one, and for bodiless answers (HEAD, 1xx, 204, 304). A
  // body that breaks off short of it ends with on_error, never on_end.
  std::optional<uint64_t> length;
};

struct FetchError {
  enum class Kind {
    refused,          // by the outbound policy
    invalid_request,  // a URL, method or header this client cannot send
    dns,              // the name did not resolve
    connect,          // no address accepted the connection
    tls,              // handshake or certificate verification failed
    timeout,          // limits.subrequest_timeout_ms passed
    network,          // the connection broke (reset, closed early)
    protocol,         // the upstream's answer is not valid HTTP/1.1
    redirect,         // redirect mode "error", too many redirects, a bad Location
    decode,           // the body's Content-Encoding is broken
  };
  Kind kind = Kind::network;
  // One sentence for the TypeError: "fetch to https://example.com/ failed: ..." or
  // "fetch to 127.0.0.1:8080 refused by outbound policy: ...".
  std::string message;
};

struct SubrequestCallbacks {
  std::function<void(ResponseHead)> on_head;
  std::function<void(std::string_view chunk)> on_body;  // valid during the call only
  std::function<void()> on_end;
  std::function<void(FetchError)> on_error;
  // RequestBody::Kind::stream: write_body() may be called now (once after the request head is
  // out, then after each chunk has been written to the socket).
  std::function<void()> on_request_body_ready;
};

class SubrequestRun;

class Subrequest {
 public:
  Subrequest() = default;
  explicit Subrequest(std::shared_ptr<SubrequestRun> run) : run_(std::move(run)) {}
  Subrequest(Subrequest&&) noexcept = default;
  Subrequest& operator=(Subrequest&& other) noexcept;
  ~Subrequest();

  // Response body backpressure: while paused nothing more is read from the socket (and
  // nothing more decoded), so the upstream's sending stalls once the socket buffers fill.
  void pause();
  void resume();
  // Ends it now: the connection is closed (never reused), nothing is called back.
  void abort();
  // Streamed request bodies: false when not ready (wait for on_request_body_ready).
  bool write_body(std::string chunk);
  // The streamed body is complete (a body with a stated length must have reached it).
  void end_body();
  // Still running: neither ended, failed nor aborted.
  bool active() const;

 private:
  std::shared_ptr<SubrequestRun> run_;
};

}  // namespace wsup::worker::egress

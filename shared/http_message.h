// The HTTP fields that travel between supervisor and worker, as plain values.
//
// These are the record fields only: shared/ attaches no HTTP policy to them. The supervisor
// fills an HttpRequest from the HTTP front; the worker runtime answers with an HttpResponse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace wsup {

// Header names keep the case the client sent; order and duplicates are preserved.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  uint64_t id = 0;     // unique per supervisor run; appears in every log line about the request
  std::string script;  // name of the script (from cluster.yaml) that the route selected
  std::string method;  // "GET", "POST", ...
  std::string url;     // absolute URL as the script will see it: "http://host:port/path?query"
  HeaderList headers;
  std::string body;  // raw bytes
  // Set for a cron trigger's run instead of an HTTP request (made by the supervisor's scheduler or
  // `wsup trigger`, never from a client's bytes): the worker calls the script's scheduled handler
  // and method, url, headers and body are empty.
  struct Scheduled {
    std::string cron;               // the expression as written in cluster.yaml
    int64_t scheduled_time_ms = 0;  // the tick, in milliseconds since the Unix epoch (UTC)
  };
  std::optional<Scheduled> scheduled;
};

struct HttpResponse {
  uint64_t id = 0;  // the request's id
  uint16_t status = 200;
  HeaderList headers;
  std::string body;  // raw bytes
};

}  // namespace wsup

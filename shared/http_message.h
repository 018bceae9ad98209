// The HTTP fields that travel between supervisor and worker, as plain values.
//
// These are the record fields only: shared/ attaches no HTTP policy to them. The supervisor
// fills an HttpRequest from the HTTP front; the worker runtime answers with an HttpResponse.
#pragma once

#include <cstdint>
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
};

struct HttpResponse {
  uint64_t id = 0;  // the request's id
  uint16_t status = 200;
  HeaderList headers;
  std::string body;  // raw bytes
};

}  // namespace wsup

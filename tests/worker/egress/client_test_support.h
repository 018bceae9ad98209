// Driving an HttpClient from a test: the test thread runs the client's loop until a condition
// holds (bounded, like eventually()), and a FetchResult collects what one subrequest delivered.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "worker/egress/http_client.h"

namespace wsup::worker::egress::testing {

// Runs `loop` until `condition()` holds (true) or `timeout` passes (false). Never a fixed sleep:
// the loop blocks only until its next event.
bool run_until(boost::asio::io_context& loop, const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));

struct FetchResult {
  std::optional<ResponseHead> head;
  std::string body;
  size_t chunks = 0;
  bool ended = false;
  std::optional<FetchError> error;
  bool done() const { return ended || error.has_value(); }
  // The response header's first value (case-insensitive), "" when absent.
  std::string header(std::string_view name) const;
};

// Callbacks that fill `result`.
SubrequestCallbacks collect_into(FetchResult& result);

// Options that allow loopback (the tests' upstreams live there), with this timeout.
ClientOptions loopback_options(std::chrono::milliseconds timeout = std::chrono::seconds(20));

SubrequestSpec get(const std::string& url);

// One subrequest start to end: its result (error "did not finish" when it hangs past 20 s).
FetchResult fetch_and_wait(boost::asio::io_context& loop, HttpClient& client, SubrequestSpec spec);

}  // namespace wsup::worker::egress::testing

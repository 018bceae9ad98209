#include "tests/worker/egress/client_test_support.h"

#include <boost/beast/core/string.hpp>

#include "config/outbound_rule.h"

namespace wsup::worker::egress::testing {

bool run_until(boost::asio::io_context& loop, const std::function<bool()>& condition,
               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return condition();
    if (loop.stopped()) loop.restart();
    // Blocks until a handler ran (or a short slice passed when the loop has nothing to wait on,
    // e.g. while another thread does the work the condition waits for).
    if (loop.run_one_for(std::min<std::chrono::steady_clock::duration>(
            deadline - now, std::chrono::milliseconds(20))) == 0 &&
        loop.stopped())
      loop.restart();
  }
  return true;
}

std::string FetchResult::header(std::string_view name) const {
  if (!head) return "";
  for (const auto& [key, value] : head->headers)
    if (boost::beast::iequals(key, name)) return value;
  return "";
}

SubrequestCallbacks collect_into(FetchResult& result) {
  SubrequestCallbacks callbacks;
  callbacks.on_head = [&result](ResponseHead head) { result.head = std::move(head); };
  callbacks.on_body = [&result](std::string_view chunk) {
    result.body.append(chunk);
    ++result.chunks;
  };
  callbacks.on_end = [&result] { result.ended = true; };
  callbacks.on_error = [&result](FetchError error) { result.error = std::move(error); };
  return callbacks;
}

ClientOptions loopback_options(std::chrono::milliseconds timeout) {
  ClientOptions options;
  std::string error;
  options.outbound.allow.push_back(*config::parse_outbound_rule("loopback", error));
  options.subrequest_timeout = timeout;
  return options;
}

SubrequestSpec get(const std::string& url) {
  SubrequestSpec spec;
  spec.url = url;
  return spec;
}

FetchResult fetch_and_wait(boost::asio::io_context& loop, HttpClient& client, SubrequestSpec spec) {
  FetchResult result;
  Subrequest sub = client.fetch(std::move(spec), collect_into(result));
  if (!run_until(loop, [&] { return result.done(); }))
    result.error = FetchError{FetchError::Kind::network, "did not finish"};
  return result;
}

}  // namespace wsup::worker::egress::testing

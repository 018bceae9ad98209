// The fetch() client (worker/egress) against a local upstream, keep-alive on: requests per
// second and the client's own CPU per request (the loop thread's CPU clock; the upstream runs
// on its own threads in this process, DNS is not involved: the URL is an address).
//
//   build/release/tests/bench/egress_bench          (figures go to docs/PERFORMANCE.md)
// Get/N: N subrequests in flight at a time, each GET /status/200 (a 10-byte body), plain HTTP.
// GetTls/1: the same over HTTPS (one kept-alive TLS connection).
// Download: 1 MiB bodies, one at a time, GB/s and CPU per MiB.
#include <benchmark/benchmark.h>
#include <time.h>

#include <vector>

#include "tests/worker/egress/client_test_support.h"
#include "tests/worker/egress/test_certificates.h"
#include "tests/worker/egress/test_upstream.h"

namespace wsup::worker::egress::testing {
namespace {

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Keeps `in_flight` subrequests to `url` running until `total` have ended; false on any error.
bool run_batch(boost::asio::io_context& loop, HttpClient& client, const std::string& url,
               int in_flight, int total) {
  int started = 0, ended = 0;
  bool failed = false;
  std::vector<Subrequest> running(static_cast<size_t>(in_flight));
  std::function<void(size_t)> start = [&](size_t lane) {
    if (started == total) return;
    ++started;
    SubrequestCallbacks callbacks;
    callbacks.on_body = [](std::string_view chunk) { benchmark::DoNotOptimize(chunk.data()); };
    callbacks.on_end = [&, lane] {
      ++ended;
      start(lane);
    };
    callbacks.on_error = [&](FetchError) { failed = true; };
    running[lane] = client.fetch(get(url), std::move(callbacks));
  };
  for (size_t lane = 0; lane < running.size(); ++lane) start(lane);
  return run_until(
             loop, [&] { return ended == total || failed; }, std::chrono::seconds(60)) &&
         !failed;
}

void measure(benchmark::State& state, HttpClient& client, boost::asio::io_context& loop,
             const std::string& url, int batch, uint64_t bytes_per_request) {
  const int in_flight = static_cast<int>(state.range(0));
  run_batch(loop, client, url, in_flight, in_flight * 4);  // connections opened and warm
  double cpu = 0;
  int64_t requests = 0;
  for (auto _ : state) {
    const double before = thread_cpu_seconds();
    if (!run_batch(loop, client, url, in_flight, batch)) state.SkipWithError("a subrequest failed");
    cpu += thread_cpu_seconds() - before;
    requests += batch;
  }
  state.SetItemsProcessed(requests);
  if (bytes_per_request > 0)
    state.SetBytesProcessed(requests * static_cast<int64_t>(bytes_per_request));
  state.counters["client_cpu_us_per_req"] = cpu * 1e6 / static_cast<double>(requests);
  state.counters["connections"] = static_cast<double>(client.stats().connections_opened);
}

void BM_Get(benchmark::State& state) {
  boost::asio::io_context loop;
  TestUpstream upstream;
  HttpClient client(loop, loopback_options());
  measure(state, client, loop, upstream.url("/status/200"), 200, 0);
}
BENCHMARK(BM_Get)->Arg(1)->Arg(8)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_GetTls(benchmark::State& state) {
  const TestCertificates& certs = TestCertificates::get();
  boost::asio::io_context loop;
  TestUpstream upstream(TestUpstream::Tls{certs.localhost, certs.server_key});
  ClientOptions options = loopback_options();
  options.outbound.ca_bundle = certs.ca;
  HttpClient client(loop, options);
  measure(state, client, loop, upstream.url("/status/200", "localhost"), 200, 0);
}
BENCHMARK(BM_GetTls)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Download(benchmark::State& state) {
  boost::asio::io_context loop;
  TestUpstream upstream;
  HttpClient client(loop, loopback_options());
  measure(state, client, loop, upstream.url("/big?bytes=1048576"), 20, 1 << 20);
}
BENCHMARK(BM_Download)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace wsup::worker::egress::testing

BENCHMARK_MAIN();

#include "supervisor/egress_metrics.h"

#include <cstdint>

namespace wsup::supervisor {
namespace {

std::string worker_label(const WorkerSnapshot& w) {
  return "{worker=\"" + std::to_string(w.id) + "\"";
}

}  // namespace

void render_egress_metrics(std::string& out, std::span<const WorkerSnapshot> workers) {
  struct Counter {
    const char* name;
    const char* help;
    uint64_t WorkerEgress::*figure;
  };
  static const Counter counters[] = {
      {"wsup_worker_subrequests_total", "fetch() calls the worker's scripts made.",
       &WorkerEgress::subrequests},
      {"wsup_worker_subrequest_responses_total",
       "Subrequests whose response head reached the script.", &WorkerEgress::responses},
      {"wsup_worker_subrequest_completed_total", "Subrequest response bodies read to their end.",
       &WorkerEgress::completed},
      {"wsup_worker_subrequest_aborted_total",
       "Subrequests aborted by their script (AbortSignal, body cancelled) or by the end of its "
       "request.",
       &WorkerEgress::aborted},
      {"wsup_worker_subrequest_redirects_total", "Redirect hops fetch() followed.",
       &WorkerEgress::redirects},
      {"wsup_worker_subrequest_connections_opened_total",
       "Connections the worker established to upstreams (TLS handshake done where https); "
       "failed attempts count as connect or tls errors.",
       &WorkerEgress::connections_opened},
      {"wsup_worker_subrequest_connections_reused_total",
       "Subrequests sent on a kept-alive connection from the worker's pool.",
       &WorkerEgress::connections_reused},
      {"wsup_worker_subrequest_sent_bytes_total", "Request body bytes sent to upstreams.",
       &WorkerEgress::sent_body_bytes},
      {"wsup_worker_subrequest_received_bytes_total",
       "Response body bytes delivered to scripts (after gzip/deflate/br decoding).",
       &WorkerEgress::received_body_bytes},
      {"wsup_worker_subrequest_passthrough_total",
       "Subrequest response bodies sent on as the response's body without JavaScript (an "
       "untouched fetched body returned by the script: return fetch(request)).",
       &WorkerEgress::passed_through},
  };
  for (const Counter& c : counters) {
    gauge_header(out, c.name, c.help, "counter");
    for (const WorkerSnapshot& w : workers)
      out += c.name + worker_label(w) + "} " + std::to_string(w.egress.*c.figure) + "\n";
  }

  gauge_header(out, "wsup_worker_subrequest_errors_total",
               "fetch() calls that failed, by kind: refused (outbound policy), invalid_request, "
               "dns, connect, tls, timeout, network (connection broken), protocol, redirect, "
               "decode.",
               "counter");
  for (const WorkerSnapshot& w : workers) {
    for (size_t kind = 0; kind < WorkerEgress::kErrorKinds.size(); ++kind) {
      out += "wsup_worker_subrequest_errors_total" + worker_label(w) + ",kind=\"" +
             WorkerEgress::kErrorKinds[kind] + "\"} " + std::to_string(w.egress.errors[kind]) +
             "\n";
    }
  }

  const char* head = "wsup_worker_subrequest_head_seconds";
  gauge_header(out, head,
               "Time from fetch() to the subrequest's response head (connection, TLS and "
               "redirects included).",
               "histogram");
  for (const WorkerSnapshot& w : workers) {
    const WorkerEgress& e = w.egress;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < WorkerEgress::kHeadLatencyBoundsMs.size(); ++i) {
      cumulative += e.head_latency_buckets[i];
      out += std::string(head) + "_bucket" + worker_label(w) + ",le=\"" +
             full_precision(WorkerEgress::kHeadLatencyBoundsMs[i] / 1000.0) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    // The count is the buckets' total, so +Inf and _count agree with the buckets whatever a scrape
    // saw of the worker's report (its figures are stored one by one).
    cumulative += e.head_latency_buckets.back();
    out += std::string(head) + "_bucket" + worker_label(w) + ",le=\"+Inf\"} " +
           std::to_string(cumulative) + "\n";
    out += std::string(head) + "_sum" + worker_label(w) + "} " +
           exact_decimal(e.head_latency_sum_us, 6) + "\n";
    out +=
        std::string(head) + "_count" + worker_label(w) + "} " + std::to_string(cumulative) + "\n";
  }
}

}  // namespace wsup::supervisor

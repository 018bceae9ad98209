#include "tests/chaos/loadgen/load_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "shared/json_escape.h"

namespace wsup::chaos {
namespace {

std::string latency_json(std::vector<uint32_t> values) {
  char buf[160];
  double mean = 0;
  for (uint32_t v : values) mean += v;
  mean = values.empty() ? 0 : mean / static_cast<double>(values.size()) / 1000.0;
  double p50 = percentile_ms(values, 0.50);
  double p99 = percentile_ms(values, 0.99);
  double max = values.empty() ? 0 : values.back() / 1000.0;
  std::snprintf(buf, sizeof buf, "{\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f, \"mean\": %.3f}",
                p50, p99, max, mean);
  return buf;
}

}  // namespace

double percentile_ms(std::vector<uint32_t>& values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<size_t>(std::ceil(fraction * static_cast<double>(values.size())));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1] / 1000.0;
}

void LoadReport::merge(const LoadReport& other) {
  attempted += other.attempted;
  sent += other.sent;
  answered += other.answered;
  connect_errors += other.connect_errors;
  lost += other.lost;
  mismatched += other.mismatched;
  for (auto& [status, n] : other.by_status) by_status[status] += n;
  for (auto& [reason, n] : other.errors) errors[reason] += n;
  for (auto& example : other.mismatch_examples) {
    if (mismatch_examples.size() < 5) mismatch_examples.push_back(example);
  }
  latencies_us.insert(latencies_us.end(), other.latencies_us.begin(), other.latencies_us.end());
  latencies_2xx_us.insert(latencies_2xx_us.end(), other.latencies_2xx_us.begin(),
                          other.latencies_2xx_us.end());
  elapsed_s = std::max(elapsed_s, other.elapsed_s);
}

uint64_t LoadReport::status_count(int status) const {
  auto it = by_status.find(status);
  return it == by_status.end() ? 0 : it->second;
}

uint64_t LoadReport::failed_answers() const {
  uint64_t n = 0;
  for (auto& [status, count] : by_status) {
    if (status < 200 || status >= 300) n += count;
  }
  return n;
}

std::string LoadReport::to_json() const {
  std::string out = "{\n";
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "  \"attempted\": %llu,\n  \"sent\": %llu,\n  \"answered\": %llu,\n"
                "  \"connect_errors\": %llu,\n  \"lost\": %llu,\n  \"mismatched\": %llu,\n"
                "  \"failed_answers\": %llu,\n  \"elapsed_s\": %.3f,\n",
                static_cast<unsigned long long>(attempted), static_cast<unsigned long long>(sent),
                static_cast<unsigned long long>(answered),
                static_cast<unsigned long long>(connect_errors),
                static_cast<unsigned long long>(lost), static_cast<unsigned long long>(mismatched),
                static_cast<unsigned long long>(failed_answers()), elapsed_s);
  out += buf;
  std::snprintf(buf, sizeof buf, "  \"requests_per_s\": %.1f,\n",
                elapsed_s > 0 ? static_cast<double>(answered) / elapsed_s : 0.0);
  out += buf;
  out += "  \"status\": {";
  bool first = true;
  for (auto& [status, n] : by_status) {
    std::snprintf(buf, sizeof buf, "%s\"%d\": %llu", first ? "" : ", ", status,
                  static_cast<unsigned long long>(n));
    out += buf;
    first = false;
  }
  out += "},\n  \"errors\": {";
  first = true;
  for (auto& [reason, n] : errors) {
    out += (first ? "\"" : ", \"") + json_escape(reason) + "\": " + std::to_string(n);
    first = false;
  }
  out += "},\n  \"mismatch_examples\": [";
  first = true;
  for (auto& example : mismatch_examples) {
    out += (first ? "\"" : ", \"") + json_escape(example) + "\"";
    first = false;
  }
  out += "],\n  \"latency_ms\": " + latency_json(latencies_us) + ",\n";
  out += "  \"latency_2xx_ms\": " + latency_json(latencies_2xx_us) + "\n}\n";
  return out;
}

}  // namespace wsup::chaos

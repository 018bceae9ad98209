// What a load run observed, request by request, summed: the figures the chaos suite asserts on.
//
// Invariant: attempted == connect_errors + sent, and sent == answered + lost. A request counts as
// sent once a connection was open and its bytes started to leave; it is lost when no complete
// response came back (reset, EOF, timeout, malformed response).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace wsup::chaos {

struct LoadReport {
  uint64_t attempted = 0;
  uint64_t sent = 0;
  uint64_t answered = 0;
  uint64_t connect_errors = 0;
  uint64_t lost = 0;
  uint64_t mismatched = 0;  // answered 200 but the body was not the one expected
  std::map<int, uint64_t> by_status;
  std::map<std::string, uint64_t> errors;      // reason of each connect error / lost request
  std::vector<std::string> mismatch_examples;  // the first few, for the failure message
  std::vector<uint32_t> latencies_us;          // of answered requests, any status
  std::vector<uint32_t> latencies_2xx_us;
  double elapsed_s = 0;

  void merge(const LoadReport& other);
  uint64_t status_count(int status) const;
  // Every status outside [200, 300): answered but failed.
  uint64_t failed_answers() const;
  std::string to_json() const;
};

// Nearest-rank percentile in milliseconds; sorts `values`. 0 when empty.
double percentile_ms(std::vector<uint32_t>& values, double fraction);

}  // namespace wsup::chaos

// Faults of the chaos suite's test-only worker, `wsup-worker-faults` (docs/RELIABILITY.md,
// "Test fault flag"): wsup-worker plus the faults below, read from its environment. The
// production wsup-worker has none of this code.
//   WSUP_TEST_FAULT=corrupt-responses   answer requests with records the supervisor must reject
//   WSUP_TEST_FAULT_EVERY=N             corrupt every N-th response (default 1)
#pragma once

#include <cstdint>

namespace wsup::worker {

struct TestFaults {
  uint32_t corrupt_every = 0;  // 0: no fault; N: every N-th response is written corrupt
};

// Reads the variables above (unset: no fault). Throws StartupError on a value it does not
// understand.
TestFaults test_faults_from_environment();

}  // namespace wsup::worker

// Test-only faults of wsup-worker, for the chaos suite (docs/RELIABILITY.md, "Test fault flag").
//
// Honoured only when wsup-worker is started with --allow-test-faults; without the switch a set
// WSUP_TEST_FAULT refuses the start, so a stray variable can never corrupt anything silently.
//   WSUP_TEST_FAULT=corrupt-responses   answer requests with records the supervisor must reject
//   WSUP_TEST_FAULT_EVERY=N             corrupt every N-th response (default 1)
#pragma once

#include <cstdint>

namespace wsup::worker {

struct TestFaults {
  uint32_t corrupt_every = 0;  // 0: no fault; N: every N-th response is written corrupt
};

// Reads the variables above. Throws StartupError when a fault is asked for and `allowed` is
// false, or when a value is not understood.
TestFaults test_faults_from_environment(bool allowed);

}  // namespace wsup::worker

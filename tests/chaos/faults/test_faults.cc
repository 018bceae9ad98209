#include "tests/chaos/faults/test_faults.h"

#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>

#include "worker/startup_error.h"

namespace wsup::worker {

TestFaults test_faults_from_environment() {
  const char* fault = std::getenv("WSUP_TEST_FAULT");
  if (fault == nullptr || *fault == '\0') return {};
  if (std::string_view(fault) != "corrupt-responses") {
    throw StartupError(std::string("wsup-worker-faults: unknown WSUP_TEST_FAULT '") + fault +
                       "' (known: corrupt-responses)");
  }
  TestFaults faults;
  faults.corrupt_every = 1;
  if (const char* every = std::getenv("WSUP_TEST_FAULT_EVERY"); every != nullptr && *every) {
    std::string_view text(every);
    uint32_t n = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error != std::errc() || end != text.data() + text.size() || n == 0) {
      throw StartupError(std::string("wsup-worker-faults: WSUP_TEST_FAULT_EVERY must be a positive "
                                     "integer, got '") +
                         every + "'");
    }
    faults.corrupt_every = n;
  }
  return faults;
}

}  // namespace wsup::worker

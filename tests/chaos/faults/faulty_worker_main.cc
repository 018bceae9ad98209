// wsup-worker-faults: the chaos suite's test-only worker (scenario 9). It is wsup-worker with the
// faults of tests/chaos/faults/test_faults.h read from its environment; never installed, never
// built into a production target.
#include <cstdio>
#include <memory>

#include "tests/chaos/faults/corrupting_sink.h"
#include "tests/chaos/faults/test_faults.h"
#include "worker/startup_error.h"
#include "worker/worker_main.h"

int main(int argc, char** argv) {
  using namespace wsup::worker;
  TestFaults faults;
  try {
    faults = test_faults_from_environment();
  } catch (const StartupError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  }
  ChannelSinks::Factory factory;
  if (faults.corrupt_every != 0) {
    // Every N-th request's answer is garbage, cycling through the kinds of garbage.
    factory = [every = faults.corrupt_every, requests = uint64_t{0}](
                  wsup::WorkerChannel& channel, uint64_t request_id,
                  ChannelResponseSink::Defer defer,
                  std::function<void()> finished) mutable -> std::shared_ptr<ChannelResponseSink> {
      if (++requests % every != 0)
        return std::make_shared<ChannelResponseSink>(channel, request_id, std::move(defer),
                                                     std::move(finished));
      const auto how = static_cast<wsup::WorkerChannelFaults::Corruption>((requests / every) % 3);
      return std::make_shared<CorruptingSink>(channel, request_id, std::move(defer),
                                              std::move(finished), how);
    };
  }
  return worker_main(argc, argv, std::move(factory));
}

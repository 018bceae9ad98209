// Shared-memory channel against a Unix socket pair, two real processes each, same codec.
//
//   build/release/tests/bench/ipc_bench            (figures go to docs/PERFORMANCE.md)
// RoundTrip: one 256-byte request, wait for its 1 KiB response; p50/p99 in microseconds.
// Throughput/N: N-byte request bodies, empty responses, up to 64 requests in flight.
// Stream_1MiB/C: one request at a time answered with a 1 MiB body streamed in C-byte chunks, each
// released as soon as the supervisor has read it (a client that takes everything at once): the
// channel's streaming rate in MB/s, one record per round trip. C = 131040 fills the default
// 128 KiB arena.
// syscalls/rec: doorbell writes plus sleeps (poll + read each) on both sides, per request
// (not counting sched_yield while spinning; for every system call run it under
// `WSUP_BENCH_PRINT_RECORDS=1 perf stat -e raw_syscalls:sys_enter` and divide).
#include <benchmark/benchmark.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

#include "shared/channel.h"
#include "shared/record_codec.h"
#include "tests/shared/ipc_test_support.h"

namespace wsup {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint32_t kWindow = 64;

HttpRequest bench_request(uint64_t id, size_t body) {
  return {id,
          "bench",
          "POST",
          "http://127.0.0.1/bench",
          {{"content-type", "application/octet-stream"}},
          std::string(body, 'q')};
}

void report_latency(benchmark::State& state, std::vector<double>& us) {
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[us.size() * 99 / 100];
}

// A worker process on a shared-memory channel.
struct ShmPeer {
  SupervisorChannel channel;
  pid_t pid;
  uint64_t next_id = 1;
  explicit ShmPeer(size_t response_bytes, std::chrono::microseconds spin = ChannelOptions{}.spin)
      : ShmPeer("bench:" + std::to_string(response_bytes), spin) {}
  // `mode`: ipc_test_worker's --mode.
  explicit ShmPeer(const std::string& mode, std::chrono::microseconds spin = ChannelOptions{}.spin)
      : channel(SupervisorChannel::create(
            {.instance_id = "bench", .worker_id = 1, .slots = kWindow, .spin = spin})),
        pid(testing::spawn_worker(WSUP_IPC_TEST_WORKER, channel, {"--mode", mode})) {}
  ~ShmPeer() {
    // For `perf stat -e raw_syscalls:sys_enter`: the records this peer carried, to divide by.
    if (std::getenv("WSUP_BENCH_PRINT_RECORDS")) {
      std::fprintf(stderr, "records=%llu\n",
                   static_cast<unsigned long long>(channel.counters().submitted));
    }
    HttpRequest quit = bench_request(next_id++, 0);
    quit.method = "QUIT";
    while (channel.try_submit(quit) == SubmitStatus::full) drain();
    testing::wait_exit_status(pid);
  }
  bool submit(const HttpRequest& r) { return channel.try_submit(r) == SubmitStatus::ok; }
  size_t drain() {
    size_t n = channel.poll_responses([](ResponseEvent&& c) { benchmark::DoNotOptimize(c); });
    if (n == 0) {
      channel.wait_for_responses(std::chrono::milliseconds(100));
      n = channel.poll_responses([](ResponseEvent&& c) { benchmark::DoNotOptimize(c); });
    }
    return n;
  }
  double syscalls_per_record() const {
    ChannelCounters c = channel.counters();
    double calls = static_cast<double>(c.worker_doorbells + c.supervisor_doorbells +
                                       2 * (c.worker_sleeps + c.supervisor_sleeps));
    return c.submitted ? calls / static_cast<double>(c.submitted) : 0;
  }
};

// A worker process behind a Unix socket pair: length-prefixed records, same codec.
struct SocketPeer {
  int fd = -1;
  pid_t pid;
  std::vector<std::byte> frame, reply;
  explicit SocketPeer(size_t response_bytes, std::chrono::microseconds = {}) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
    fd = fds[0];
    pid = ::fork();
    if (pid == 0) {
      clear_close_on_exec(fds[1]);
      std::string child_fd = std::to_string(fds[1]),
                  mode = "bench:" + std::to_string(response_bytes);
      ::execl(WSUP_IPC_TEST_WORKER, WSUP_IPC_TEST_WORKER, "--socket-fd", child_fd.c_str(), "--mode",
              mode.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(fds[1]);
  }
  ~SocketPeer() {
    ::close(fd);
    testing::wait_exit_status(pid);
  }
  void submit(const HttpRequest& r) {
    frame.resize(4 + codec::encoded_size(r, false));
    uint32_t length = static_cast<uint32_t>(frame.size() - 4);
    std::memcpy(frame.data(), &length, 4);
    codec::encode(r, false, std::span(frame).subspan(4));
    if (!testing::write_full(fd, frame.data(), frame.size())) std::abort();
  }
  size_t drain() {  // one response
    uint32_t length = 0;
    if (!testing::read_full(fd, &length, 4)) std::abort();
    reply.resize(length);
    if (!testing::read_full(fd, reply.data(), length)) std::abort();
    auto record = codec::decode(reply, 1ull << 30);
    benchmark::DoNotOptimize(record);
    return 1;
  }
};

template <typename Peer>
void BM_RoundTrip(benchmark::State& state) {
  Peer peer(1024, std::chrono::microseconds(state.range(0)));
  HttpRequest request = bench_request(1, 256);
  std::vector<double> us;
  for (auto _ : state) {
    auto start = Clock::now();
    request.id++;
    peer.submit(request);
    while (peer.drain() == 0) {
    }
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  report_latency(state, us);
  if constexpr (std::is_same_v<Peer, ShmPeer>) {
    state.counters["syscalls/rec"] = peer.syscalls_per_record();
  }
}

template <typename Peer>
void BM_Throughput(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0));
  Peer peer(0);
  HttpRequest request = bench_request(1, bytes);
  uint64_t in_flight = 0, done = 0;
  for (auto _ : state) {
    // One iteration = one request submitted (and, on average, one answered).
    request.id++;
    while (in_flight >= kWindow) {
      size_t n = peer.drain();
      in_flight -= n;
      done += n;
    }
    if constexpr (std::is_same_v<Peer, ShmPeer>) {
      while (!peer.submit(request)) {
        size_t n = peer.drain();
        in_flight -= n;
        done += n;
      }
    } else {
      peer.submit(request);
    }
    ++in_flight;
  }
  while (in_flight > 0) {
    size_t n = peer.drain();
    in_flight -= n;
    done += n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  if constexpr (std::is_same_v<Peer, ShmPeer>) {
    state.counters["syscalls/rec"] = peer.syscalls_per_record();
  }
}

void BM_Stream(benchmark::State& state) {
  constexpr size_t kBody = 1 << 20;
  const size_t chunk = static_cast<size_t>(state.range(0));
  ShmPeer peer("stream:" + std::to_string(kBody) + ":" + std::to_string(chunk));
  HttpRequest request = bench_request(1, 0);
  size_t bytes = 0, records = 0;
  for (auto _ : state) {
    request.id++;
    if (!peer.submit(request)) std::abort();
    for (bool ended = false; !ended;) {
      size_t n = peer.channel.poll_responses([&](ResponseEvent&& e) {
        ++records;
        if (e.kind == ResponseEvent::Kind::end) ended = true;
        if (e.kind != ResponseEvent::Kind::head && e.kind != ResponseEvent::Kind::chunk) return;
        bytes += e.chunk.size();
        peer.channel.release(e.request_id);  // written at once: the worker may send the next
      });
      if (n == 0 && !ended) peer.channel.wait_for_responses(std::chrono::milliseconds(100));
    }
  }
  if (bytes != state.iterations() * kBody) state.SkipWithError("body bytes missing");
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["records/resp"] =
      static_cast<double>(records) / static_cast<double>(state.iterations());
  state.counters["syscalls/rec"] = peer.syscalls_per_record();
}

// RoundTrip/shm/N: both consumers spin N microseconds before they sleep on the eventfd.
BENCHMARK(BM_RoundTrip<ShmPeer>)
    ->Name("RoundTrip_256B_1KiB/shm")
    ->Arg(0)
    ->Arg(20)
    ->Arg(100)
    ->MinTime(1.0)
    ->UseRealTime();
BENCHMARK(BM_RoundTrip<SocketPeer>)
    ->Name("RoundTrip_256B_1KiB/unix_socket")
    ->MinTime(1.0)
    ->UseRealTime();
BENCHMARK(BM_Throughput<ShmPeer>)
    ->Name("Throughput/shm")
    ->Arg(1024)
    ->Arg(64 * 1024)
    ->MinTime(1.0)
    ->UseRealTime();
BENCHMARK(BM_Stream)
    ->Name("Stream_1MiB")
    ->Arg(16 * 1024)
    ->Arg(128 * 1024 - 32)  // one chunk fills the default arena
    ->MinTime(1.0)
    ->UseRealTime();
BENCHMARK(BM_Throughput<SocketPeer>)
    ->Name("Throughput/unix_socket")
    ->Arg(1024)
    ->Arg(64 * 1024)
    ->MinTime(1.0)
    ->UseRealTime();

}  // namespace
}  // namespace wsup

BENCHMARK_MAIN();

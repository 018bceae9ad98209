// A stand-in worker process for the channel tests and the benchmark. It drives a WorkerChannel
// from a Boost.Asio loop (doorbell as a posix::stream_descriptor plus a heartbeat timer), the
// way wsup-worker does, and answers through the same ChannelResponseSinks.
//
//   ipc_test_worker --segment NAME --request-fd N --response-fd M [--mode MODE] [--log-fd FD]
//                   [--stream-log-fd FD] [--heartbeat-ms M]
//   modes: echo        answer every request through its sink (a body past one record goes out
//                      as a stream): body of x-resp-size bytes (x-resp-seed), x-sum checksum;
//                      with x-seq, verifies the request's x-sum and x-seq order (500 on mismatch).
//                      A request with x-stream-chunks: N and x-chunk-size: S is answered with a
//                      stream of N chunks of S bytes (stream_chunk(id, k, S)), written as the
//                      supervisor releases them; x-stream-declare: 1 declares the length,
//                      x-stream-abort-after: K ends it aborted after K chunks, x-stream-hang-after:
//                      K stops writing after K chunks (until cancelled).
//          hang:N      take N requests, write their ids to --log-fd, never answer, sleep
//          bench:N     answer every request with an N-byte body, no checks
//          stream:T:C  answer every request with a T-byte body written in C-byte chunks
// --heartbeat-ms M: the timed wait (heartbeat) when idle; default 100.
// --stream-log-fd: 16 bytes per stream event (u64 request id, u64 what): each chunk written
// (its index) and each cancel (kCancelledEvent).
// With --socket-fd FD instead of a channel (benchmark baseline): read frames (u32 length +
// encoded request record) from the Unix socket, answer as bench:N does, with the same codec.
// In every mode a request with method QUIT is answered and ends the process. With --log-fd,
// each request id is written there (8 bytes) right after it is taken.
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "shared/channel.h"
#include "shared/record_codec.h"
#include "tests/shared/ipc_test_support.h"
#include "tests/support/test_stream_writer.h"
#include "worker/channel_sinks.h"

namespace {

using wsup::HttpRequest;
using wsup::HttpResponse;
using wsup::testing::header_value;
using wsup::testing::read_full;
using wsup::testing::TestStreamWriter;
using wsup::testing::write_full;

struct Args {
  std::string channel, mode = "echo";
  int request_fd = -1, response_fd = -1, log_fd = -1, stream_log_fd = -1, socket_fd = -1;
  int heartbeat_ms = 100;
};

// The benchmark's baseline: the same exchange over a Unix socket pair.
int serve_socket(const Args& args) {
  size_t body_bytes = std::stoul(args.mode.substr(args.mode.find(':') + 1));
  std::vector<std::byte> in, out;
  for (;;) {
    uint32_t length = 0;
    if (!read_full(args.socket_fd, &length, sizeof length)) return 0;
    in.resize(length);
    if (!read_full(args.socket_fd, in.data(), length)) return 1;
    auto record = wsup::codec::decode(in, 1ull << 30);
    if (record.status != wsup::codec::DecodeStatus::ok) return 1;
    HttpResponse response{record.request_id, 200, {}, std::string(body_bytes, 'b')};
    out.resize(sizeof(uint32_t) + wsup::codec::encoded_size(response));
    uint32_t out_length = static_cast<uint32_t>(out.size() - sizeof(uint32_t));
    std::memcpy(out.data(), &out_length, sizeof out_length);
    wsup::codec::encode(response, std::span(out).subspan(sizeof(uint32_t)));
    if (!write_full(args.socket_fd, out.data(), out.size())) return 1;
    if (record.request.method == "QUIT") return 0;
  }
}

size_t header_number(const HttpRequest& request, const std::string& name, size_t otherwise) {
  std::string value = header_value(request.headers, name);
  return value.empty() ? otherwise : std::stoull(value);
}

class TestWorker {
 public:
  TestWorker(const Args& args)
      : args_(args),
        channel_(wsup::WorkerChannel::open(args.channel, args.request_fd, args.response_fd)),
        bell_(io_, ::dup(channel_.request_doorbell_fd())),
        timer_(io_),
        sinks_(channel_,
               [this](std::function<void()> f) { boost::asio::post(io_, std::move(f)); }) {
    if (args.mode.rfind("hang:", 0) == 0) hang_after_ = std::stoul(args.mode.substr(5));
    if (args.mode.rfind("bench:", 0) == 0) {
      bench_ = true;
      bench_body_ = std::string(std::stoul(args.mode.substr(6)), 'b');
    }
    if (args.mode.rfind("stream:", 0) == 0) {
      const size_t colon = args.mode.find(':', 7);
      const size_t total = std::stoul(args.mode.substr(7, colon - 7));
      bench_stream_.size = std::stoul(args.mode.substr(colon + 1));
      bench_stream_.chunks = (total + bench_stream_.size - 1) / bench_stream_.size;
      bench_chunk_ = std::string(bench_stream_.size, 's');
      bench_stream_.content = [this, total](uint64_t k) {  // the last one may be shorter
        return bench_chunk_.substr(0,
                                   std::min(bench_chunk_.size(), total - k * bench_chunk_.size()));
      };
    }
    channel_.set_pid(::getpid());
    channel_.set_state(wsup::WorkerState::ready);
  }

  int run() {
    boost::asio::post(io_, [this] { drain(); });
    io_.run();
    return exit_code_;
  }

 private:
  void drain() {
    for (;;) {
      if (hang_after_ && taken_ >= hang_after_) {
        for (;;) ::pause();  // the test kills us
      }
      wsup::TakeResult t = channel_.try_take();
      if (t.kind == wsup::TakeResult::Kind::empty) break;
      if (t.kind == wsup::TakeResult::Kind::corrupt) continue;  // already answered as an error
      if (sinks_.route(t)) continue;                            // released / cancelled
      ++taken_;
      if (args_.log_fd >= 0) {
        [[maybe_unused]] ssize_t n = ::write(args_.log_fd, &t.request.id, sizeof t.request.id);
      }
      if (hang_after_) continue;
      if (t.request.method == "QUIT") {
        channel_.respond({t.request.id, 200, {}, {}});
        channel_.set_state(wsup::WorkerState::stopped);
        io_.stop();
        return;
      }
      if (bench_ && bench_body_.size() + 64 < channel_.max_record_bytes()) {
        channel_.respond({t.request.id, 200, {}, bench_body_});  // the hot path, no sink
        continue;
      }
      answer(t.request);
    }
    sleep();
  }

  void answer(const HttpRequest& request) {
    auto sink = sinks_.open(request.id, nullptr);
    const HttpResponse head{request.id, 200, {{"x-stream", "yes"}}, {}};
    if (bench_stream_.chunks != 0) {
      std::make_shared<TestStreamWriter>(sink, head, bench_stream_)->start();
      return;
    }
    if (bench_) return sink->respond({request.id, 200, {}, bench_body_});
    if (size_t chunks = header_number(request, "x-stream-chunks", 0); chunks != 0) {
      const uint64_t id = request.id;
      TestStreamWriter::Plan plan;
      plan.chunks = chunks;
      plan.size = header_number(request, "x-chunk-size", 1024);
      if (header_value(request.headers, "x-stream-declare") == "1")
        plan.length = plan.chunks * plan.size;
      plan.abort_after = header_number(request, "x-stream-abort-after", UINT64_MAX);
      plan.hang_after = header_number(request, "x-stream-hang-after", UINT64_MAX);
      plan.content = [id, size = plan.size](uint64_t k) {
        return wsup::testing::stream_chunk(id, k, size);
      };
      plan.on_chunk = [this, id](uint64_t k) { log_stream(id, k); };
      plan.on_cancel = [this, id] { log_stream(id, wsup::testing::kCancelledEvent); };
      std::make_shared<TestStreamWriter>(sink, head, std::move(plan))->start();
      return;
    }
    sink->respond(echo(request));
  }

  void log_stream(uint64_t id, uint64_t what) {
    if (args_.stream_log_fd < 0) return;
    uint64_t event[2] = {id, what};
    [[maybe_unused]] ssize_t n = ::write(args_.stream_log_fd, event, sizeof event);
  }

  HttpResponse echo(const HttpRequest& request) {
    HttpResponse response{request.id, 200, {}, {}};
    uint64_t seq = header_number(request, "x-seq", request.id);
    if (!header_value(request.headers, "x-seq").empty()) {
      if (seq != next_seq_ || std::to_string(wsup::testing::fnv1a(request.body)) !=
                                  header_value(request.headers, "x-sum")) {
        response.status = 500;  // the test counts these as failures
      }
      next_seq_ = seq + 1;
    }
    size_t size = header_number(request, "x-resp-size", 0);
    response.body = wsup::testing::make_body(seq ^ 0xabcdef, size);
    response.headers = {{"x-seq", std::to_string(seq)},
                        {"x-sum", std::to_string(wsup::testing::fnv1a(response.body))}};
    return response;
  }

  // Announce sleep, then wait for the doorbell or the heartbeat timer, whichever comes first.
  void sleep() {
    if (!channel_.prepare_to_sleep()) {
      boost::asio::post(io_, [this] { drain(); });
      return;
    }
    uint64_t round = ++sleep_round_;
    auto wake = [this, round](const boost::system::error_code&) {
      if (round != sleep_round_) return;  // the other waiter already woke us
      ++sleep_round_;
      bell_.cancel();
      timer_.cancel();
      channel_.finish_sleep();  // also the heartbeat
      drain();
    };
    bell_.async_wait(boost::asio::posix::stream_descriptor::wait_read, wake);
    timer_.expires_after(std::chrono::milliseconds(args_.heartbeat_ms));
    timer_.async_wait(wake);
  }

  Args args_;
  boost::asio::io_context io_;
  wsup::WorkerChannel channel_;
  boost::asio::posix::stream_descriptor bell_;
  boost::asio::steady_timer timer_;
  wsup::worker::ChannelSinks sinks_;
  uint64_t hang_after_ = 0, taken_ = 0, next_seq_ = 0, sleep_round_ = 0;
  bool bench_ = false;
  std::string bench_body_;
  TestStreamWriter::Plan bench_stream_;
  std::string bench_chunk_;
  int exit_code_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i], value = argv[i + 1];
    if (key == "--segment") {
      args.channel = value;
    } else if (key == "--mode") {
      args.mode = value;
    } else {
      int fd = std::stoi(value);
      if (key == "--request-fd") args.request_fd = fd;
      if (key == "--response-fd") args.response_fd = fd;
      if (key == "--log-fd") args.log_fd = fd;
      if (key == "--stream-log-fd") args.stream_log_fd = fd;
      if (key == "--socket-fd") args.socket_fd = fd;
      if (key == "--heartbeat-ms") args.heartbeat_ms = fd;
    }
  }
  if (args.socket_fd >= 0) return serve_socket(args);
  try {
    TestWorker worker(args);
    return worker.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ipc_test_worker: %s\n", e.what());
    return 2;
  }
}

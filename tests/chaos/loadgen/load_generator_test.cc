// The load generator's accounting, proven against an in-process server on 127.0.0.1 whose
// behaviour is known: every request must land in exactly one bucket.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "tests/chaos/loadgen/http_exchange.h"
#include "tests/chaos/loadgen/load_generator.h"
#include "tests/support/eventually.h"

namespace wsup::chaos {
namespace {

using namespace std::chrono_literals;

class TestServer {
 public:
  TestServer() {
    server_.Get("/ok", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    server_.Get("/busy", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content("busy", "text/plain");
    });
    // Answers only once the test is over (or after 10 s): later than any client timeout here.
    server_.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      std::unique_lock lock(mutex_);
      finished_.wait_for(lock, 10s, [this] { return finishing_; });
      res.set_content("late", "text/plain");
    });
    server_.Get("/chunked", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [](size_t, httplib::DataSink& sink) {
        sink.write("hello ", 6);
        sink.write("world", 5);
        sink.done();
        return true;
      });
    });
    // Answers with the secret it received, like tests/chaos/scripts/echo_secret.js.
    server_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("h=" + req.get_header_value("x-chaos-secret") +
                          " q=" + req.get_param_value("secret") + " b=" + req.body,
                      "text/plain");
    });
    server_.Post("/leaky", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("h=someone-else q= b=", "text/plain");
    });
    port_ = static_cast<uint16_t>(server_.bind_to_any_port("127.0.0.1"));
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the accept loop runs, so wait for it (bounded).
    if (!wsup::testing::eventually([&] { return server_.is_running(); }))
      throw std::runtime_error("the test server never started listening");
  }
  ~TestServer() {
    {
      std::lock_guard lock(mutex_);
      finishing_ = true;
    }
    finished_.notify_all();
    server_.stop();
    thread_.join();
  }
  uint16_t port() const { return port_; }
  httplib::Server& server() { return server_; }

 private:
  std::mutex mutex_;
  std::condition_variable finished_;
  bool finishing_ = false;  // the test is over: /slow may answer
  httplib::Server server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

LoadOptions options_for(uint16_t port, const std::string& path, uint64_t requests) {
  LoadOptions o;
  o.port = port;
  o.path = path;
  o.connections = 4;
  o.max_requests = requests;
  o.duration = 10s;
  o.timeout = 2s;
  return o;
}

std::atomic<bool> never_stop{false};

TEST(LoadGenerator, CountsEveryAnsweredRequestByStatus) {
  TestServer server;
  LoadReport ok = run_load(options_for(server.port(), "/ok", 200), never_stop);
  EXPECT_EQ(ok.attempted, 200u);
  EXPECT_EQ(ok.sent, 200u);
  EXPECT_EQ(ok.answered, 200u);
  EXPECT_EQ(ok.status_count(200), 200u);
  EXPECT_EQ(ok.lost, 0u);
  EXPECT_EQ(ok.connect_errors, 0u);
  EXPECT_EQ(ok.latencies_us.size(), 200u);

  LoadReport busy = run_load(options_for(server.port(), "/busy", 50), never_stop);
  EXPECT_EQ(busy.status_count(503), 50u);
  EXPECT_EQ(busy.failed_answers(), 50u);
  EXPECT_TRUE(busy.latencies_2xx_us.empty());
}

TEST(LoadGenerator, ReconnectsWhenServerEndsKeepAliveWithConnectionClose) {
  TestServer server;
  server.server().set_keep_alive_max_count(2);  // every 2nd response says Connection: close
  LoadReport r = run_load(options_for(server.port(), "/ok", 100), never_stop);
  EXPECT_EQ(r.answered, 100u);
  EXPECT_EQ(r.lost, 0u);
}

TEST(LoadGenerator, ParsesChunkedResponses) {
  TestServer server;
  HttpConnection connection(server.port(), 2s);
  LoadOptions o = options_for(server.port(), "/chunked", 1);
  for (int i = 0; i < 3; ++i) {  // the same keep-alive connection, so framing must be exact
    Exchange ex = connection.round_trip(build_request(o, ""));
    ASSERT_EQ(ex.outcome, Outcome::answered) << ex.error;
    EXPECT_EQ(ex.status, 200);
    EXPECT_EQ(ex.body, "hello world");
  }
}

TEST(LoadGenerator, NothingListeningCountsConnectErrorsNotSent) {
  uint16_t port = 0;
  {
    TestServer gone;  // a port that was just free and is closed again
    port = gone.port();
  }
  LoadReport r = run_load(options_for(port, "/ok", 20), never_stop);
  EXPECT_EQ(r.attempted, 20u);
  EXPECT_EQ(r.connect_errors, 20u);
  EXPECT_EQ(r.sent, 0u);
  EXPECT_EQ(r.lost, 0u);
}

TEST(LoadGenerator, ServerClosingWithoutAnswerCountsLost) {
  // A listener that reads each request and hangs up without a byte of response.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 64), 0);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread hangup([listener] {
    for (int i = 0; i < 10; ++i) {
      int c = ::accept(listener, nullptr, nullptr);
      if (c < 0) return;
      char buf[1024];
      (void)::recv(c, buf, sizeof buf, 0);
      ::close(c);
    }
  });
  LoadOptions o = options_for(ntohs(addr.sin_port), "/ok", 10);
  o.connections = 1;
  LoadReport r = run_load(o, never_stop);
  hangup.join();
  ::close(listener);
  EXPECT_EQ(r.sent, 10u);
  EXPECT_EQ(r.lost, 10u);
  EXPECT_EQ(r.answered, 0u);
  EXPECT_EQ(r.errors["eof"], 10u);
}

TEST(LoadGenerator, AnswerPastTheTimeoutCountsLost) {
  TestServer server;
  LoadOptions o = options_for(server.port(), "/slow", 2);
  o.connections = 2;
  o.timeout = 100ms;
  LoadReport r = run_load(o, never_stop);
  EXPECT_EQ(r.sent, 2u);
  EXPECT_EQ(r.lost, 2u);
  EXPECT_EQ(r.errors["timeout"], 2u);
}

TEST(LoadGenerator, SecretEchoFindsResponsesCarryingAnotherRequestsData) {
  TestServer server;
  LoadOptions o = options_for(server.port(), "/echo", 40);
  o.method = "POST";
  o.expect_body = "h={secret} q={secret} b={secret}";
  LoadReport good = run_load(o, never_stop);
  EXPECT_EQ(good.status_count(200), 40u);
  EXPECT_EQ(good.mismatched, 0u);

  o.path = "/leaky";
  LoadReport leaky = run_load(o, never_stop);
  EXPECT_EQ(leaky.mismatched, 40u);
  EXPECT_FALSE(leaky.mismatch_examples.empty());
}

TEST(LoadGenerator, RateAndDurationBoundTheRun) {
  TestServer server;
  LoadOptions o = options_for(server.port(), "/ok", 0);
  o.rate = 100;
  o.duration = 500ms;
  auto began = std::chrono::steady_clock::now();
  LoadReport r = run_load(o, never_stop);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
  EXPECT_GE(r.answered, 30u);
  EXPECT_LE(r.answered, 55u);
}

TEST(LoadGenerator, StopFlagEndsTheRunEarly) {
  TestServer server;
  std::atomic<bool> stop{true};
  LoadReport r = run_load(options_for(server.port(), "/ok", 1000), stop);
  EXPECT_EQ(r.attempted, 0u);
}

TEST(LoadReport, PercentileIsNearestRank) {
  std::vector<uint32_t> v;
  for (uint32_t i = 1; i <= 100; ++i) v.push_back(i * 1000);
  EXPECT_DOUBLE_EQ(percentile_ms(v, 0.50), 50.0);
  EXPECT_DOUBLE_EQ(percentile_ms(v, 0.99), 99.0);
  std::vector<uint32_t> empty;
  EXPECT_DOUBLE_EQ(percentile_ms(empty, 0.99), 0.0);
}

TEST(HttpExchange, OnlyLoopbackIsAccepted) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("example.com"));
}

}  // namespace
}  // namespace wsup::chaos

// The Beast HTTP front in process, against EchoWorker behind a real Dispatcher: framing,
// pipelining, limits, deadlines, hang-ups, the connection cap and a graceful stop, over loopback.
#include "supervisor/http_front.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <future>

#include "front_test_support.h"
#include "tests/support/eventually.h"

using namespace wsup;
using namespace wsup::supervisor;
using namespace wsup::supervisor::testing;
using namespace std::chrono_literals;
using wsup::testing::eventually;

namespace {

// A temporary access-log file.
struct TempLog {
  std::string path = "/tmp/wsup-front-access-" + std::to_string(::getpid()) + ".log";
  TempLog() { std::remove(path.c_str()); }
  ~TempLog() { std::remove(path.c_str()); }
  std::string text() const {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
};

config::ClusterConfig front_config(uint32_t max_connections = 64) {
  config::ClusterConfig c;
  c.listen = {config::ListenAddress{"127.0.0.1", 0, {}}};
  c.http_threads = 2;
  c.limits.max_header_bytes = 4096;
  c.limits.max_body_bytes = 1000;
  c.limits.max_connections = max_connections;
  c.limits.wall_ms = 5000;
  config::Script echo;
  echo.name = "echo";
  echo.routes = {config::Route{"", "/echo*", "/echo*", {}}, config::Route{"", "/hold*", "", {}},
                 config::Route{"", "/headers", "", {}}, config::Route{"", "/big/*", "/big/*", {}}};
  c.scripts = {echo};
  return c;
}

FrontTimeouts short_timeouts() {
  FrontTimeouts t;
  t.header_timeout = 400ms;
  t.idle_timeout = 200ms;
  t.body_timeout = 400ms;
  t.min_body_rate = 0;
  t.write_timeout = 1s;
  t.linger_timeout = 200ms;
  return t;
}

config::ClusterConfig with_timeouts(config::ClusterConfig config, const FrontTimeouts& timeouts) {
  config.http = timeouts;
  return config;
}

// A front on a free port with one EchoWorker.
struct Front {
  // `access_log_path`: where the JSON access log goes ("" for none).
  explicit Front(config::ClusterConfig config = front_config(),
                 FrontTimeouts timeouts = short_timeouts(), const std::string& access_log_path = "")
      : access_log(access_log_path.empty() ? config::Logging::AccessFormat::off
                                           : config::Logging::AccessFormat::json,
                   access_log_path.empty() ? "stderr" : access_log_path),
        front(with_timeouts(std::move(config), timeouts), dispatcher, metrics, access_log) {
    dispatcher.add_endpoint(1, 0, 64, worker);
    front.start();
    port = front.ports().at(0);
  }
  ~Front() {
    worker->release();
    front.stop();
  }
  std::string metrics_text() const { return metrics.render({}, 0); }

  Dispatcher dispatcher{{}};
  std::shared_ptr<EchoWorker> worker = std::make_shared<EchoWorker>(dispatcher, 1);
  Metrics metrics;
  AccessLog access_log;
  HttpFront front;
  uint16_t port = 0;
};

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST(HttpFront, PipelinedRequestsAreAnsweredInOrderOnOneConnection) {
  Front f;
  RawClient c(f.port);
  std::string burst;
  for (int i = 1; i <= 5; ++i) burst += get("/echo?n=" + std::to_string(i));
  burst += "POST /echo?n=6 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nsix";
  burst +=
      "POST /echo?n=7 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n3\r\nsev\r\n2\r\nen\r\n0\r\n\r\n";
  c.send(burst);
  std::string reply = c.read_until_close();
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(complete_responses(reply), 7u) << reply;
  size_t at = 0;
  for (int i = 1; i <= 7; ++i) {
    size_t next = reply.find("http://t/echo?n=" + std::to_string(i) + " ", at);
    ASSERT_NE(next, std::string::npos) << "response " << i << " missing or out of order: " << reply;
    at = next;
  }
  EXPECT_TRUE(has(reply, "POST http://t/echo?n=6 body=six"));
  EXPECT_TRUE(has(reply, "POST http://t/echo?n=7 body=seven"));
}

// The connection reads ahead while a request waits for its worker. When the response is written
// and the parser then empties the buffer (a next request's head and the start of its body), the
// read still in flight must land after those bytes, not where the emptied buffer restarts: the
// rest of the body once came back as bytes of an earlier request ("GET /").
TEST(HttpFront, BodyBytesReadAheadWhileTheBufferEmptiesArriveIntact) {
  Front f;
  RawClient c(f.port);
  f.worker->release();  // /hold answers at once: only the read-ahead matters here
  c.send(get("/hold") + "POST /echo?n=2 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nab");
  std::string first = c.read_responses(1);
  ASSERT_EQ(complete_responses(first), 1u) << first;
  c.send("cde");
  std::string second = c.read_responses(1);
  EXPECT_TRUE(has(second, "POST http://t/echo?n=2 body=abcde")) << second;
}

TEST(HttpFront, ResponseCarriesTheScriptsHeadersPlusFramingOnly) {
  Front f;
  RawClient c(f.port);
  c.send(get("/headers"));
  std::string reply = c.read_responses(1);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_TRUE(has(reply, "\r\nx-echo: yes\r\n")) << reply;
  EXPECT_FALSE(has(reply, "999"));                // the script's Content-Length is replaced
  EXPECT_FALSE(has(reply, "Connection: close"));  // and its Connection header dropped
  EXPECT_FALSE(has(reply, "Injected"));           // a header with CR LF in it never gets out
  EXPECT_TRUE(has(reply, "Content-Length: 26\r\n")) << reply;  // "GET http://t/headers body="
  c.send(get("/echo"));                                        // the connection is still usable
  EXPECT_EQ(complete_responses(c.read_responses(1)), 1u);
}

TEST(HttpFront, MalformedAndOversizedRequestsGetTheirStatusAndTheConnectionCloses) {
  Front f;
  struct Case {
    std::string bytes;
    std::string status;
  };
  const Case cases[] = {
      {"GARBAGE\r\n\r\n", "400"},
      {"GET /echo HTTP/1.1 extra\r\nHost: t\r\n\r\n", "400"},
      {get("/echo", "X-Big: " + std::string(5000, 'h') + "\r\n"), "431"},
      {"GET /echo/" + std::string(9000, 'p') + " HTTP/1.1\r\nHost: t\r\n\r\n", "431"},  // > head
      {"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n", "413"},
      {"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n" +
           std::string(1001, 'c') + "\r\n0\r\n\r\n",
       "413"},
      {"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhi\r\n0\r\n\r\n",
       "400"},
      {"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n",
       "400"},
      {"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
       "400"},
      {"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\nGET /x HTTP/1.1\r\n\r\n",
       "400"},  // chunked is not the final coding: the body's end is unknown (RFC 9112 6.3)
      {"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
       "501"},
      {"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400"},
      {"GET /echo HTTP/1.1\r\n\r\n", "400"},                        // no Host
      {"GET /echo HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n", "400"},  // two
      {"GET /echo HTTP/1.1\r\nHost: t/../x\r\n\r\n", "400"},
      {"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: " +
           std::string(5000, 't') + "\r\n\r\n",
       "431"},  // a trailer section past max_header_bytes
      {"BREW /echo HTTP/1.1\r\nHost: t\r\n\r\n", "501"},
  };
  for (const Case& k : cases) {
    RawClient c(f.port);
    c.send(k.bytes);
    std::string reply = c.read_until_close(2s);
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 " + k.status + " ")) << k.bytes.substr(0, 60) << reply;
    EXPECT_TRUE(c.closed()) << k.bytes.substr(0, 60);
  }
  EXPECT_EQ(f.worker->served(), 0);
}

TEST(HttpFront, HeadArrivingInPiecesIsHeldToTheLimitAsAWhole) {
  Front f;  // max_header_bytes 4096
  RawClient c(f.port);
  c.send("GET /echo HTTP/1.1\r\nHost: t\r\n");
  for (int i = 0; i < 6 && !c.closed(); ++i) {
    c.send("X-Part-" + std::to_string(i) + ": " + std::string(1000, 'v') + "\r\n");
    // sleep-ok: pacing, so each piece arrives in a read of its own (the case under test).
    std::this_thread::sleep_for(10ms);
  }
  c.send("\r\n");
  EXPECT_TRUE(c.read_until_close(2s).starts_with("HTTP/1.1 431 "));
  EXPECT_EQ(f.worker->served(), 0);
}

TEST(HttpFront, LongTargetWithinTheHeadLimitGets414) {
  config::ClusterConfig config = front_config();
  config.limits.max_header_bytes = 32 * 1024;
  Front f(config);
  RawClient c(f.port);
  c.send("GET /echo/" + std::string(kMaxTargetBytes, 'p') + " HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_TRUE(c.read_until_close(2s).starts_with("HTTP/1.1 414 "));
}

TEST(HttpFront, UnroutedRequestGets404AndTheConnectionGoesOn) {
  Front f;
  RawClient c(f.port);
  c.send(get("/nowhere"));
  std::string reply = c.read_responses(1);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 404 ")) << reply;
  c.send(get("/echo"));
  EXPECT_TRUE(c.read_responses(1).starts_with("HTTP/1.1 200 "));
}

TEST(HttpFront, Http10ClosesUnlessItAsksForKeepAlive) {
  Front f;
  RawClient plain(f.port);
  plain.send("GET /echo HTTP/1.0\r\n\r\n");
  std::string reply = plain.read_until_close(2s);
  EXPECT_TRUE(plain.closed());
  // No Host: the URL's authority is the address the request came in on.
  EXPECT_TRUE(has(reply, "GET http://127.0.0.1:" + std::to_string(f.port) + "/echo body="))
      << reply;

  RawClient kept(f.port);
  kept.send("GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  reply = kept.read_responses(1);
  EXPECT_TRUE(has(reply, "Connection: keep-alive\r\n")) << reply;
  kept.send("GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(complete_responses(kept.read_responses(1)), 1u);
}

TEST(HttpFront, HeadResponseHasTheLengthButNoBody) {
  Front f;
  RawClient c(f.port);
  c.send("HEAD /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  std::string reply = c.read_until_close(2s);
  EXPECT_TRUE(has(reply, "Content-Length: 24\r\n")) << reply;  // "HEAD http://t/echo body="
  EXPECT_TRUE(reply.ends_with("\r\n\r\n")) << reply;
}

TEST(HttpFront, ExpectContinueGets100BeforeTheBodyIsSent) {
  Front f;
  RawClient c(f.port);
  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  std::string interim = c.read_until_close(300ms);  // what arrives within 300 ms
  EXPECT_TRUE(interim.starts_with("HTTP/1.1 100 Continue\r\n\r\n")) << interim;
  c.send("ok");
  EXPECT_TRUE(has(c.read_responses(2), "body=ok"));
}

TEST(HttpFront, HeadDribbledSlowerThanTheHeaderDeadlineIsCut) {
  Front f;
  RawClient c(f.port);
  auto start = std::chrono::steady_clock::now();
  std::string head = get("/echo");
  for (size_t i = 0; i < head.size() && !c.closed(); ++i) {
    c.send(head.substr(i, 1));
    c.read_until_close(50ms);  // a byte every 50 ms: past the 200 ms idle time, under way
  }
  EXPECT_TRUE(c.closed());
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 350ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_EQ(f.worker->served(), 0);
}

TEST(HttpFront, IdleKeepAliveConnectionIsClosedAfterTheIdleTime) {
  Front f;
  RawClient c(f.port);
  c.send(get("/echo"));
  ASSERT_EQ(complete_responses(c.read_responses(1)), 1u);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_within(2s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
}

TEST(HttpFront, ClientThatHangsUpWhileWaitingIsCancelledAndLoggedAs499) {
  Front f;
  {
    RawClient c(f.port);
    c.send(get("/hold"));
    ASSERT_TRUE(eventually([&] { return f.worker->held() == 1; }));
  }  // hangs up
  // Withdrawn from the worker:
  EXPECT_TRUE(eventually([&] { return f.worker->cancelled() == 1; }));
  std::string text;
  eventually([&] {
    text = f.metrics_text();
    return has(text, "status=\"499\"");
  });
  EXPECT_TRUE(has(text, "wsup_requests_total{script=\"echo\",worker=\"0\",status=\"499\"} 1"))
      << text;
}

TEST(HttpFront, ConnectionsBeyondTheCapAreAnswered503AndClosed) {
  Front f(front_config(2));
  // Both places hold a request that is with the worker: neither can make room.
  RawClient a(f.port), b(f.port);
  a.send(get("/hold"));
  b.send(get("/hold"));
  ASSERT_TRUE(eventually([&] { return f.dispatcher.total_pending() == 2; }));
  RawClient over(f.port);
  over.send(get("/echo"));
  std::string reply = over.read_until_close(2s);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 503 ")) << reply;
  EXPECT_TRUE(has(reply, "Retry-After: 1\r\n"));
  EXPECT_TRUE(over.closed());
  a.close();
  ASSERT_TRUE(eventually([&] { return f.front.open_connections() == 1; }));
  RawClient next(f.port);
  next.send(get("/echo"));
  EXPECT_TRUE(next.read_responses(1).starts_with("HTTP/1.1 200 "));
}

TEST(HttpFront, OverTheCapTheSlowestReadingConnectionMakesRoom) {
  config::ClusterConfig config = front_config(2);
  config.http_threads = 1;  // eviction looks at one I/O thread's connections
  FrontTimeouts timeouts = short_timeouts();
  timeouts.header_timeout = timeouts.idle_timeout = timeouts.body_timeout = 60s;
  timeouts.min_body_rate = 1'000'000'000;  // every connection that is reading is below it
  Front f(config, timeouts);
  // One connection waits for its worker (never evicted), one sends its body slowly.
  RawClient busy(f.port), slow(f.port);
  busy.send(get("/hold"));
  ASSERT_TRUE(eventually([&] { return f.dispatcher.total_pending() == 1; }));
  slow.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nab");
  ASSERT_TRUE(eventually([&] { return f.front.open_connections() == 2; }));
  RawClient newcomer(f.port);
  newcomer.send(get("/echo"));
  EXPECT_TRUE(newcomer.read_responses(1).starts_with("HTTP/1.1 200 "));
  EXPECT_TRUE(slow.closed_within(2s));
  f.worker->release();
  EXPECT_TRUE(busy.read_responses(1).starts_with("HTTP/1.1 200 "));
}

TEST(HttpFront, StopAnswersTheRequestInFlightClosesIdleConnectionsThenReturns) {
  Front f;
  RawClient idle(f.port);
  idle.send(get("/echo"));
  ASSERT_EQ(complete_responses(idle.read_responses(1)), 1u);
  RawClient busy(f.port);
  busy.send(get("/hold"));
  ASSERT_TRUE(eventually([&] { return f.worker->held() == 1; }));
  auto stopped = std::async(std::launch::async, [&] { f.front.stop(); });
  EXPECT_TRUE(idle.closed_within(1s));
  EXPECT_EQ(stopped.wait_for(100ms), std::future_status::timeout);  // waits for /hold
  f.worker->release();
  std::string reply = busy.read_until_close(2s);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 ")) << reply;
  EXPECT_TRUE(has(reply, "Connection: close\r\n"));
  EXPECT_EQ(stopped.wait_for(2s), std::future_status::ready);
  RawClient late(f.port);
  EXPECT_FALSE(late.connected());
}

TEST(HttpFront, ReloadedRoutesApplyToTheNextRequestOfAnOpenConnection) {
  Front f;
  RawClient c(f.port);
  c.send(get("/fresh"));
  EXPECT_TRUE(c.read_responses(1).starts_with("HTTP/1.1 404 "));
  config::ClusterConfig reloaded = front_config();
  reloaded.scripts[0].routes.push_back(config::Route{"", "/fresh", "", {}});
  f.front.set_routing(std::make_shared<const RoutingTable>(reloaded));
  c.send(get("/fresh"));
  EXPECT_TRUE(c.read_responses(1).starts_with("HTTP/1.1 200 "));
}

// The write deadline counts from the last progress: a client that reads a large response slowly
// but steadily gets all of it, however long that takes.
TEST(HttpFront, ASlowButSteadyReaderGetsAResponseThatTakesLongerThanTheWriteDeadline) {
  Front f;  // write deadline 1 s
  constexpr size_t kBig = 16 << 20;
  const std::string target = "/big/" + std::to_string(kBig);
  const size_t body = std::string("GET http://t" + target + " body=").size() + kBig;
  RawClient c(f.port, 64 * 1024);
  c.send(get(target));
  std::string got;
  size_t head_end = std::string::npos;
  // ~5 MB/s: the kernel's buffers hold a few MiB, so the front writes for seconds in all.
  while (!c.closed() && (head_end == std::string::npos || got.size() < head_end + 4 + body)) {
    for (size_t tick = 0; tick < 512 * 1024 && !c.closed();) {
      std::string piece = c.read_some(16 * 1024, 2s);
      if (piece.empty()) break;
      tick += piece.size();
      got += piece;
    }
    head_end = got.find("\r\n\r\n");
    std::this_thread::sleep_for(100ms);  // sleep-ok: a slow client paces its reads (~5 MB/s)
  }
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_EQ(got.size() - head_end - 4, body);  // all of it: not cut
}

// A client that stops reading is cut after the write deadline, and the access log says so with
// the bytes that actually went out.
TEST(HttpFront, AClientThatStopsReadingIsCutAndLoggedWithTheBytesSent) {
  TempLog log;
  Front f(front_config(), short_timeouts(), log.path);
  RawClient c(f.port, 64 * 1024);
  c.send(get("/big/" + std::to_string(16 << 20)));
  std::string line;
  ASSERT_TRUE(eventually(
      [&] {
        line = log.text();
        return line.find("write_timeout") != std::string::npos;
      },
      10s))
      << line;
  EXPECT_TRUE(has(line, "\"status\":499,")) << line;
  EXPECT_TRUE(has(line, "\"cut\":\"write_timeout\",\"sent_status\":200")) << line;
  const size_t at = line.find("\"bytes\":") + 8;
  const uint64_t sent = std::stoull(line.substr(at));
  EXPECT_GT(sent, 0u);
  EXPECT_LT(sent, uint64_t{16} << 20);
}

TEST(HttpFront, SubrequestHopsPastTheLimitGet508) {
  Front f;  // outbound.max_hops: 8
  {
    RawClient c(f.port);
    c.send(get("/echo", "Wsup-Hops: 8\r\n"));
    EXPECT_TRUE(c.read_responses(1).starts_with("HTTP/1.1 200 ")) << "at the limit: served";
  }
  {
    RawClient c(f.port);
    c.send(get("/echo", "wsup-hops: 9\r\n"));
    std::string reply = c.read_until_close();
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 508 Loop Detected\r\n")) << reply;
    EXPECT_TRUE(has(reply, "outbound.max_hops")) << reply;
  }
  {
    RawClient c(f.port);
    c.send(get("/echo", "Wsup-Hops: many\r\n"));
    EXPECT_TRUE(c.read_until_close().starts_with("HTTP/1.1 400 ")) << "not a number";
  }
  EXPECT_EQ(f.worker->served(), 1);
}

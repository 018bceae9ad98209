// Streamed responses through the real `wsup` and fake-worker (its /stream and /big paths), byte
// for byte on a raw loopback socket: framing, cuts and what the access log says about them, a
// hang-up reaching the worker as a cancel, and slow clients that must not grow the supervisor;
// last, a script's own ReadableStream through the real wsup-worker.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "fake_cluster.h"
#include "harness.h"
#include "tests/support/eventually.h"
#include "tests/support/raw_client.h"

using namespace wsup::e2e;
using namespace std::chrono_literals;
using wsup::testing::eventually;
using wsup::testing::RawClient;

namespace {

std::string get(const std::string& target, const std::string& version = "HTTP/1.1") {
  return "GET " + target + " " + version + "\r\nHost: t\r\n\r\n";
}

// The front adds "Date: <IMF-fixdate, 29 characters>\r\n" to every response head (RFC 9110
// §6.6.1); these tests compare everything else byte for byte.
constexpr size_t kDateLine = 37;
std::string without_date(std::string bytes) {
  const size_t at = bytes.find("\r\nDate: ");
  if (at != std::string::npos && at < bytes.find("\r\n\r\n")) bytes.erase(at + 2, kDateLine);
  return bytes;
}

// Reads a response that starts here until `want` bytes besides its Date line are in (or the
// server closes, or 10 s pass); returns them without the Date line. Each pass blocks on the
// socket; eventually()'s back-off between passes would slow a large body's read to a crawl.
std::string read_bytes(RawClient& c, size_t want) {
  want += kDateLine;
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got.size() < want && !c.closed() && std::chrono::steady_clock::now() < deadline)
    got += c.read_some(want - got.size(), 100ms);
  return without_date(got);
}

const std::string kChunkedHead =
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";

// The data of the complete chunks at the start of a chunked body.
std::string dechunk(const std::string& framed) {
  std::string data;
  size_t at = 0;
  for (;;) {
    const size_t line_end = framed.find("\r\n", at);
    if (line_end == std::string::npos) return data;
    const size_t size = std::stoul(framed.substr(at, line_end - at), nullptr, 16);
    if (size == 0 || line_end + 2 + size + 2 > framed.size()) return data;
    data += framed.substr(line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
}

// The access-log line (JSON, on the supervisor's stderr) of the request for `path`.
std::string access_line(const Supervisor& s, const std::string& path) {
  std::string line;
  eventually([&] {
    const std::string log = s.log();
    size_t at = log.find("\"path\":\"" + path + "\"");
    if (at == std::string::npos) return false;
    size_t begin = log.rfind('\n', at) + 1;
    line = log.substr(begin, log.find('\n', at) - begin);
    return true;
  });
  return line;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// "cancelled req=<id>" printed by fake-worker for the request whose access-log line is `line`.
bool worker_saw_cancel(const Supervisor& s, const std::string& line) {
  size_t at = line.find("\"req\":");
  if (at == std::string::npos) return false;
  const std::string id = line.substr(at + 6, line.find(',', at) - at - 6);
  return eventually([&] { return has(s.log(), "fake-worker: cancelled req=" + id + "\n"); });
}

}  // namespace

TEST(Streaming, ChunkedFramingIsByteExactAndTheConnectionGoesOn) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  RawClient client(c.port);
  client.send(get("/stream?chunks=3&size=5"));
  const std::string expected = kChunkedHead + "5\r\naaaaa\r\n5\r\nbbbbb\r\n5\r\nccccc\r\n0\r\n\r\n";
  EXPECT_EQ(read_bytes(client, expected.size()), expected);
  client.send(get("/stream?chunks=1&size=2"));
  EXPECT_EQ(read_bytes(client, kChunkedHead.size() + 12), kChunkedHead + "2\r\naa\r\n0\r\n\r\n");
  EXPECT_FALSE(client.closed());
  EXPECT_TRUE(
      has(access_line(*c.supervisor, "/stream?chunks=3&size=5"), "\"status\":200,\"bytes\":15,"));
}

TEST(Streaming, ADeclaredLengthIsSentAsContentLength) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  RawClient client(c.port);
  client.send(get("/stream?chunks=2&size=3&declare=1") + get("/big/300000"));
  const std::string first =
      "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nContent-Length: 6\r\n\r\naaabbb";
  EXPECT_EQ(read_bytes(client, first.size()), first);
  // A whole response past one record (128 KiB) comes as a stream with its length declared.
  std::string second = client.read_responses(1, 10s);
  EXPECT_TRUE(has(second, "Content-Length: 300000\r\n")) << second.substr(0, 200);
  EXPECT_EQ(second.size() - second.find("\r\n\r\n") - 4, 300000u);
  EXPECT_EQ(second.find("Transfer-Encoding"), std::string::npos);
}

TEST(Streaming, ABodyEndingShortOrRunningPastItsDeclaredLengthIsCut) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  const std::string head = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nContent-Length: ";
  {
    RawClient client(c.port);
    client.send(get("/stream?chunks=3&size=5&length=20"));
    EXPECT_EQ(without_date(client.read_until_close(10s)), head + "20\r\n\r\naaaaabbbbbccccc");
    EXPECT_TRUE(client.closed());
  }
  {
    RawClient client(c.port);
    client.send(get("/stream?chunks=3&size=5&length=10"));
    // Never all 10 bytes: the 10th waits for an end that does not come.
    EXPECT_EQ(without_date(client.read_until_close(10s)), head + "10\r\n\r\naaaaabbbb");
    EXPECT_TRUE(client.closed());
  }
  std::string short_line = access_line(*c.supervisor, "/stream?chunks=3&size=5&length=20");
  EXPECT_TRUE(has(short_line, "\"status\":502,\"bytes\":15,")) << short_line;
  EXPECT_TRUE(has(short_line, "\"cut\":\"length_mismatch\",\"sent_status\":200")) << short_line;
  std::string long_line = access_line(*c.supervisor, "/stream?chunks=3&size=5&length=10");
  EXPECT_TRUE(has(long_line, "\"status\":502,\"bytes\":9,")) << long_line;
}

TEST(Streaming, AnHttp10ClientGetsABodyEndedByClosing) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  RawClient client(c.port);
  client.send("GET /stream?chunks=2&size=4 HTTP/1.0\r\n\r\n");
  EXPECT_EQ(without_date(client.read_until_close(10s)),
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nConnection: close\r\n\r\naaaabbbb");
  EXPECT_TRUE(client.closed());
}

TEST(Streaming, HeadAnd204GetNoBodyAndTheWorkerIsToldToStop) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  RawClient client(c.port);
  client.send("HEAD /stream?chunks=3&size=5&declare=1 HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string head =
      "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nContent-Length: 15\r\n\r\n";
  EXPECT_EQ(read_bytes(client, head.size()), head);
  client.send(get("/stream?chunks=3&size=5&status=204"));
  const std::string no_content = "HTTP/1.1 204 No Content\r\ncontent-type: text/plain\r\n\r\n";
  EXPECT_EQ(read_bytes(client, no_content.size()), no_content);
  client.send(get("/stream?chunks=1&size=1"));  // nothing of either body comes before this
  EXPECT_EQ(read_bytes(client, kChunkedHead.size() + 11), kChunkedHead + "1\r\na\r\n0\r\n\r\n");
  EXPECT_TRUE(worker_saw_cancel(*c.supervisor,
                                access_line(*c.supervisor, "/stream?chunks=3&size=5&declare=1")));
  EXPECT_TRUE(worker_saw_cancel(*c.supervisor,
                                access_line(*c.supervisor, "/stream?chunks=3&size=5&status=204")));
}

TEST(Streaming, ABodyTheWorkerAbortsEndsAbruptlyAndIsLoggedAsCut) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  RawClient client(c.port);
  client.send(get("/stream?chunks=5&size=4&abort=2"));
  // No last chunk: the connection closes after what was sent.
  EXPECT_EQ(without_date(client.read_until_close(10s)),
            kChunkedHead + "4\r\naaaa\r\n4\r\nbbbb\r\n");
  EXPECT_TRUE(client.closed());
  std::string line = access_line(*c.supervisor, "/stream?chunks=5&size=4&abort=2");
  EXPECT_TRUE(has(line, "\"status\":502,\"bytes\":8,")) << line;
  EXPECT_TRUE(has(line, "\"cut\":\"worker_aborted\",\"sent_status\":200")) << line;
}

TEST(Streaming, AWorkerThatDiesMidStreamTruncatesThatResponseAndServingGoesOn) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  RawClient client(c.port);
  client.send(get("/stream?chunks=5&size=4&crash=2"));
  EXPECT_EQ(without_date(client.read_until_close(10s)),
            kChunkedHead + "4\r\naaaa\r\n4\r\nbbbb\r\n");
  EXPECT_TRUE(client.closed());
  std::string line = access_line(*c.supervisor, "/stream?chunks=5&size=4&crash=2");
  EXPECT_TRUE(has(line, "\"status\":502,\"bytes\":8,")) << line;
  EXPECT_TRUE(has(line, "\"cut\":\"worker_died\"")) << line;
  EXPECT_TRUE(eventually([&] { return http_get(c.port, "/after").status == 200; }));
}

TEST(Streaming, AHangUpMidStreamReachesTheWorkerAsACancel) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  {
    RawClient client(c.port);
    client.send(get("/stream?chunks=10&size=4&hang=2"));
    const std::string two = kChunkedHead + "4\r\naaaa\r\n4\r\nbbbb\r\n";
    EXPECT_EQ(read_bytes(client, two.size()), two);
  }  // hangs up while the worker's stream waits
  std::string line = access_line(*c.supervisor, "/stream?chunks=10&size=4&hang=2");
  EXPECT_TRUE(has(line, "\"status\":499,\"bytes\":8,")) << line;
  EXPECT_TRUE(has(line, "\"cut\":\"client_gone\",\"sent_status\":200")) << line;
  EXPECT_TRUE(worker_saw_cancel(*c.supervisor, line)) << c.supervisor->log();
}

TEST(Streaming, AStreamStillRunningAtTheWallTimeIsCut) {
  Cluster c("workers: 1\nlimits:\n  wall_ms: 500");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  RawClient client(c.port);
  client.send(get("/stream?chunks=100000&size=4&delay=20"));
  std::string got = without_date(client.read_until_close(10s));
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(got.starts_with(kChunkedHead)) << got.substr(0, 200);
  EXPECT_FALSE(got.ends_with("0\r\n\r\n"));
  std::string line = access_line(*c.supervisor, "/stream?chunks=100000&size=4&delay=20");
  EXPECT_TRUE(has(line, "\"status\":504,")) << line;
  EXPECT_TRUE(has(line, "\"cut\":\"wall_time\"")) << line;
  EXPECT_TRUE(worker_saw_cancel(*c.supervisor, line));
}

TEST(Streaming, SlowClientsDoNotGrowTheSupervisor) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  ASSERT_EQ(http_get(c.port, "/warm-up").status, 200);
  const uint64_t before = rss_bytes(c.supervisor->pid());
  ASSERT_GT(before, 0u);
  // Four clients, each offered 6.5 GB, read 1 KiB a second for three seconds. A supervisor that
  // buffered what the worker can produce would grow by gigabytes in that time.
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<RawClient>(c.port, 4096));
    clients.back()->send(get("/stream?chunks=100000&size=65536&slow=" + std::to_string(i)));
  }
  uint64_t peak = before;
  for (int second = 0; second < 3; ++second) {
    for (auto& client : clients) EXPECT_FALSE(client->read_some(1024, 1s).empty());
    peak = std::max(peak, rss_bytes(c.supervisor->pid()));
    std::this_thread::sleep_for(1s);  // sleep-ok: a slow client paces its reads (1 KiB/s)
  }
  std::printf("supervisor RSS %llu KiB before, %llu KiB at most while 4 clients read 1 KiB/s\n",
              static_cast<unsigned long long>(before >> 10),
              static_cast<unsigned long long>(peak >> 10));
  EXPECT_LT(peak - before, uint64_t{16} << 20) << "before " << before << " peak " << peak;
  clients.clear();  // hang up
  std::string line = access_line(*c.supervisor, "/stream?chunks=100000&size=65536&slow=0");
  EXPECT_TRUE(has(line, "\"cut\":\"client_gone\"")) << line;
  // What reached the socket is what the kernel buffers held: megabytes, not gigabytes.
  const size_t at = line.find("\"bytes\":") + 8;
  EXPECT_LT(std::stoull(line.substr(at)), uint64_t{64} << 20) << line;
}

// With the real wsup-worker: a script's own ReadableStream.
namespace {

const char* kEventsScript = R"js(export default {
  fetch(request) {
    const path = new URL(request.url).pathname;
    if (path !== '/events' && path !== '/fail') return new Response('ok');
    const fail = path === '/fail';
    let n = 0;
    return new Response(new ReadableStream({
      async pull(controller) {
        await new Promise((done) => setTimeout(done, 2));
        if (fail && n === 1) return controller.error(new Error('source broke'));
        controller.enqueue(new TextEncoder().encode(`event ${++n}\n`));
      },
      cancel() { console.log(`stream cancelled after ${n} events`); },
    }), {headers: {'content-type': 'text/event-stream'}});
  },
};
)js";

}  // namespace

TEST(Streaming, AScriptsEndlessStreamArrivesAsItIsMadeAndAHangUpCancelsItsSource) {
  OneScriptCluster c(kEventsScript, "workers: 1", WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  {
    RawClient client(c.port);
    client.send(get("/events"));
    // The body never ends: whatever arrives was sent as the script made it. (Events the script
    // made while the previous chunk was on its way travel together: "18\r\nevent 1\nevent
    // 2\nevent 3\n" is as right as three chunks.)
    const std::string head =
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string events = "event 1\nevent 2\nevent 3\n";
    std::string got = read_bytes(client, head.size());
    ASSERT_TRUE(got.starts_with(head)) << got;
    std::string body;
    for (int i = 0; i < 100 && body.size() < events.size() && !client.closed(); ++i) {
      got += client.read_some(4096, 100ms);
      body = dechunk(got.substr(head.size()));
    }
    EXPECT_EQ(body.substr(0, events.size()), events) << got;
  }  // hangs up
  std::string line = access_line(*c.supervisor, "/events");
  EXPECT_TRUE(has(line, "\"status\":499,")) << line;
  EXPECT_TRUE(has(line, "\"cut\":\"client_gone\"")) << line;
  EXPECT_TRUE(eventually([&] { return has(c.supervisor->log(), "stream cancelled after"); }))
      << c.supervisor->log();
}

TEST(Streaming, AScriptsStreamThatErrorsEndsTheBodyAbruptly) {
  OneScriptCluster c(kEventsScript, "workers: 1", WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  RawClient client(c.port);
  client.send(get("/fail"));
  EXPECT_EQ(without_date(client.read_until_close(10s)),
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: "
            "chunked\r\n\r\n8\r\nevent 1\n\r\n");  // and no last chunk
  EXPECT_TRUE(client.closed());
  std::string line = access_line(*c.supervisor, "/fail");
  EXPECT_TRUE(has(line, "\"status\":502,\"bytes\":8,")) << line;
  EXPECT_TRUE(has(line, "\"cut\":\"worker_aborted\"")) << line;
}

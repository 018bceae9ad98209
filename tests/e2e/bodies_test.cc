// Request and response bodies through the real cluster (`wsup start`, real `wsup-worker`s,
// loopback HTTP): the Fetch bodies, streams, FormData and compression that Workers apps lean
// on, and a minified module bundle whose only module syntax is a trailing `export{...}`.
#include <gtest/gtest.h>
#include <zlib.h>

#include <map>
#include <memory>
#include <string>

#include "harness.h"

using namespace wsup::e2e;

namespace {

// The app: one module script routed on every path; a second script, minified, on /min/*.
const char* kApp = R"js(
const kMiB = 1 << 20;
function pattern(size) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7) % 251;
  return bytes;
}
// Hono's bodyLimit in miniature: counts req.body's chunks and refuses past the limit.
async function bodyLimit(request, limit) {
  if (request.body === null) return null;
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const {value, done} = await reader.read();
    if (done) return null;
    size += value.byteLength;
    if (size > limit) return new Response('Payload Too Large', {status: 413});
  }
}
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/rewrap') {
      // Hono's cors / secure-headers idiom: a header set after the handler's Response exists.
      const inner = new Response(pattern(kMiB), {headers: {'content-type': 'application/x-test'}});
      const outer = new Response(inner.body, inner);
      outer.headers.set('access-control-allow-origin', '*');
      return outer;
    }
    if (path === '/upload') {
      const form = await request.formData();
      const file = form.get('file');
      const bytes = new Uint8Array(await file.arrayBuffer());
      let sum = 0;
      for (const b of bytes) sum = (sum + b) % 65521;
      return Response.json({title: form.get('title'), name: file.name, type: file.type,
                            size: file.size, sum});
    }
    if (path === '/gzip') {
      const source = new Response('compress me '.repeat(2000)).body;
      const gzipped = source.pipeThrough(new CompressionStream('gzip'));
      return new Response(await new Response(gzipped).arrayBuffer(),
                          {headers: {'x-original-size': String(12 * 2000)}});
    }
    if (path === '/stream') {
      // The script's own stream, produced over timer ticks: read by the runtime's pump.
      let n = 0;
      return new Response(new ReadableStream({
        async pull(controller) {
          await new Promise((done) => setTimeout(done, 1));
          if (++n > 50) return controller.close();
          controller.enqueue(new TextEncoder().encode(`chunk ${n}\n`));
        },
      }));
    }
    if (path === '/short') {
      const {readable, writable} = new FixedLengthStream(100);
      const writer = writable.getWriter();
      writer.write(new Uint8Array(10)).then(() => writer.close()).catch(() => {});
      return new Response(readable);
    }
    if (path === '/limit') {
      const refused = await bodyLimit(request, 1024);
      return refused ?? new Response('accepted');
    }
    return new Response('not found', {status: 404});
  },
};
)js";

// What esbuild --minify --format=esm makes of a module: no line starts with `export`.
const char* kMinified =
    "var t=\"minified \";function a(){return t+\"ok\"}var b={fetch(e){return new "
    "Response(a()+\" \"+new URL(e.url).pathname)}};var export_note=\"x.export\";"
    "export{b as default};";

// Both scripts, one worker, bodies up to 4 MiB.
std::unique_ptr<ClusterWithFiles> start_bodies_cluster() {
  return std::make_unique<ClusterWithFiles>(
      std::map<std::string, std::string>{{"app.js", kApp}, {"min.js", kMinified}},
      // cpu_ms: results, not limits, are tested here: a mebibyte through JS streams passed the
      // default 50 ms under TSan on a loaded machine.
      "workers: 1\nlimits:\n  max_body_bytes: 4MiB\n  cpu_ms: 5s\nscripts:\n"
      "  - name: min\n    path: min.js\n    routes: [\"/min/*\"]\n"
      "  - name: app\n    path: app.js\n    routes: [\"/*\"]\n",
      WSUP_WORKER_BINARY);
}

std::string header(const HttpResult& result, const std::string& name) {
  auto it = result.headers.find(name);
  return it == result.headers.end() ? std::string() : it->second;
}

std::string gunzip(const std::string& compressed) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return "<inflateInit2 failed>";
  std::string out;
  char buffer[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  int status = Z_OK;
  while (status == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof(buffer);
    status = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - z.avail_out);
  }
  inflateEnd(&z);
  return status == Z_STREAM_END ? out : "<inflate failed: " + std::to_string(status) + ">";
}

class Bodies : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = start_bodies_cluster();
    ASSERT_TRUE(cluster_->supervisor->wait_serving(cluster_->port)) << cluster_->supervisor->log();
  }
  static void TearDownTestSuite() { cluster_.reset(); }
  static uint16_t port() { return cluster_->port; }
  static std::string log() { return cluster_->supervisor->log(); }
  static std::unique_ptr<ClusterWithFiles> cluster_;
};
std::unique_ptr<ClusterWithFiles> Bodies::cluster_;

TEST_F(Bodies, RewrappedResponseKeepsAMebibyteByteForByte) {
  HttpResult result = http_get(port(), "/rewrap");
  ASSERT_EQ(result.status, 200) << log();
  ASSERT_EQ(result.body.size(), size_t{1} << 20);
  size_t mismatches = 0;
  for (size_t i = 0; i < result.body.size(); ++i)
    if (static_cast<unsigned char>(result.body[i]) != (i * 7) % 251) ++mismatches;
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(header(result, "access-control-allow-origin"), "*");
  EXPECT_EQ(header(result, "content-type"), "application/x-test");
}

TEST_F(Bodies, MultipartUploadWithAFileRoundTripsThroughFormData) {
  std::string file(3000, '\0');
  unsigned sum = 0;
  for (size_t i = 0; i < file.size(); ++i) {
    file[i] = static_cast<char>((i * 13 + 5) % 256);
    sum = (sum + static_cast<unsigned char>(file[i])) % 65521;
  }
  // CRLF and "--" inside the file's bytes must not end its part early.
  file.replace(100, 8, "\r\n--bou\r");
  sum = 0;
  for (unsigned char c : file) sum = (sum + c) % 65521;
  const std::string boundary = "----e2eBoundary7MA4YWxk";
  const std::string body =
      "--" + boundary +
      "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHéllo"
      "\r\n--" +
      boundary +
      "\r\nContent-Disposition: form-data; name=\"file\"; "
      "filename=\"d\xC3\xA4ta.bin\"\r\nContent-Type: application/x-blob\r\n\r\n" +
      file + "\r\n--" + boundary + "--\r\n";
  HttpResult result =
      http_post(port(), "/upload", body, "multipart/form-data; boundary=" + boundary);
  ASSERT_EQ(result.status, 200) << result.body << log();
  EXPECT_EQ(result.body, R"({"title":"Héllo","name":"däta.bin","type":"application/x-blob",)"
                         R"("size":3000,"sum":)" +
                             std::to_string(sum) + "}");
}

TEST_F(Bodies, CompressionStreamGzipInflatesWithZlib) {
  HttpResult result = http_get(port(), "/gzip");
  ASSERT_EQ(result.status, 200) << log();
  EXPECT_LT(result.body.size(), 1000u);
  std::string expected;
  for (int i = 0; i < 2000; ++i) expected += "compress me ";
  EXPECT_EQ(gunzip(result.body), expected);
}

TEST_F(Bodies, AStreamedResponseArrivesByteForByte) {
  HttpResult result = http_get(port(), "/stream");
  ASSERT_EQ(result.status, 200) << log();
  std::string expected;
  for (int n = 1; n <= 50; ++n) expected += "chunk " + std::to_string(n) + "\n";
  EXPECT_EQ(result.body, expected);
}

TEST_F(Bodies, AFixedLengthStreamShortOfItsLengthNeverLooksComplete) {
  // The body broke off: the client must not get a well-formed 200 of the wrong length.
  HttpResult result = http_get(port(), "/short");
  EXPECT_NE(result.status, 200) << result.body;
  EXPECT_NE(log().find("closed after 10 of the 100 bytes it declared"), std::string::npos) << log();
}

TEST_F(Bodies, BodyLimitSeesTheRequestBody) {
  HttpResult big = http_post(port(), "/limit", std::string(5000, 'x'));
  EXPECT_EQ(big.status, 413) << big.body << log();
  HttpResult small = http_post(port(), "/limit", std::string(1000, 'x'));
  EXPECT_EQ(small.status, 200);
  EXPECT_EQ(small.body, "accepted");
}

TEST_F(Bodies, MinifiedModuleEndingInExportBracesStartsAndAnswers) {
  HttpResult result = http_get(port(), "/min/x");
  ASSERT_EQ(result.status, 200) << log();
  EXPECT_EQ(result.body, "minified ok /min/x");
}

}  // namespace

// `wsup dev --type module` for a module the scan cannot see is one: after `{}` it takes the '/'
// of a division for the start of a regular expression (config/module_syntax.h), which here
// hides the export.
TEST(DevType, StatesTheKindWhereDetectionGuessesWrong) {
  TempDir dir;
  auto script = dir.write("app.js",
                          "const half = {} / 2; export default { fetch() { return new "
                          "Response('typed ' + String(half)); } }; const third = 1 / 3;\n");
  uint16_t port = free_port();
  Supervisor dev({"dev", script.string(), "--port", std::to_string(port), "--type", "module",
                  "--worker-binary", WSUP_WORKER_BINARY},
                 "", (dir.path() / "dev.log").string());
  ASSERT_TRUE(dev.wait_serving(port)) << dev.log();
  dev.set_control_path("/tmp/wsup-dev-" + std::to_string(dev.pid()) + "/control.sock");
  HttpResult result = http_get(port, "/");
  EXPECT_EQ(result.status, 200) << dev.log();
  EXPECT_EQ(result.body, "typed NaN");
}

// JWTs with jose (npm, a widely used JWT library that does all its cryptography through
// crypto.subtle) inside the real `wsup start`, over loopback HTTP: tests/e2e/jose/worker.mjs,
// bundled with esbuild at test time, signs and verifies HS256, RS256, ES256 and EdDSA tokens
// with keys it makes; Node's own crypto (tests/e2e/jose/node_tokens.mjs) verifies those tokens,
// and signs tokens that wsup then verifies. Needs `node` on PATH and the npm packages of
// third_party/npm-packages.txt (scripts/setup): without them the tests fail, saying so.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "harness.h"

using namespace wsup::e2e;

namespace {

namespace fs = std::filesystem;

const char* const kAlgorithms[] = {"HS256", "RS256", "ES256", "EdDSA"};

// The executable `name` on PATH, or "" when there is none.
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path == nullptr ? "" : path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir) / name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

class JoseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = find_on_path("node");
    ASSERT_FALSE(node_.empty()) << "node is not on PATH: this test needs Node.js to make and "
                                   "check tokens with Node's own crypto";
    const fs::path esbuild = fs::path(WSUP_NPM_DEPS) / "@esbuild/linux-x64/bin/esbuild";
    ASSERT_TRUE(fs::exists(esbuild) && fs::exists(fs::path(WSUP_NPM_DEPS) / "jose"))
        << "jose and @esbuild/linux-x64 are missing from " << WSUP_NPM_DEPS
        << ": run scripts/setup (third_party/npm-packages.txt)";
    const std::string bundle = (dir_.path() / "jose-worker.mjs").string();
    const CommandResult bundled =
        run_command({esbuild.string(), WSUP_JOSE_DIR "/worker.mjs", "--bundle", "--format=esm",
                     "--platform=neutral", "--main-fields=module,main", "--log-level=warning",
                     "--outfile=" + bundle},
                    std::chrono::seconds(60), {std::string("NODE_PATH=") + WSUP_NPM_DEPS});
    ASSERT_EQ(bundled.exit_code, 0) << bundled.output;
    port_ = free_port();
    // RSA key generation (RS256's /roundtrip) takes longer than the default 50 ms CPU limit.
    const fs::path config = dir_.write(
        "cluster.yaml", "listen: 127.0.0.1:" + std::to_string(port_) +
                            "\nworkers: 1\nlimits:\n  cpu_ms: 5000\nscripts:\n"
                            "  - name: jose\n    path: jose-worker.mjs\n    routes: [\"/*\"]\n");
    supervisor_ = std::make_unique<Supervisor>(
        config.string(), (dir_.path() / "control.sock").string(), WSUP_WORKER_BINARY);
    ASSERT_TRUE(supervisor_->wait_serving(port_)) << supervisor_->log();
  }

  CommandResult node_tokens(const std::vector<std::string>& args) {
    std::vector<std::string> argv{node_, WSUP_JOSE_DIR "/node_tokens.mjs"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, std::chrono::seconds(60));
  }

  TempDir dir_;
  std::string node_;
  uint16_t port_ = 0;
  std::unique_ptr<Supervisor> supervisor_;
};

TEST_F(JoseTest, WsupSignsAndVerifiesEveryAlgorithmAndNodeAcceptsItsTokens) {
  std::string lines;
  for (const char* alg : kAlgorithms) {
    const HttpResult made = http_get(port_, std::string("/roundtrip?alg=") + alg);
    ASSERT_EQ(made.status, 200) << alg << ": " << made.body;
    EXPECT_NE(made.body.find("\"payload\":{\"sub\":\"wsup\",\"alg\":\"" + std::string(alg)),
              std::string::npos)
        << made.body;
    lines += made.body + "\n";
  }
  dir_.write("wsup-tokens.jsonl", lines);
  const CommandResult checked =
      node_tokens({"verify", (dir_.path() / "wsup-tokens.jsonl").string()});
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  EXPECT_EQ(checked.output, "HS256 ok\nRS256 ok\nES256 ok\nEdDSA ok\n");
}

TEST_F(JoseTest, TokensSignedByNodeCryptoVerifyInWsupAndTamperedOnesDoNot) {
  const CommandResult signed_by_node = node_tokens({"sign"});
  ASSERT_EQ(signed_by_node.exit_code, 0) << signed_by_node.output;
  std::istringstream lines(signed_by_node.output);
  std::string line;
  int verified = 0;
  while (std::getline(lines, line)) {
    const HttpResult result = http_post(port_, "/verify", line);
    EXPECT_EQ(result.status, 200) << line << "\n" << result.body;
    EXPECT_NE(result.body.find("\"sub\":\"node\""), std::string::npos) << result.body;
    // One character of the signature changed: jose must refuse it.
    const size_t signature = line.find('.', line.find('.', line.find("\"token\"")) + 1) + 5;
    std::string tampered = line;
    tampered[signature] = tampered[signature] == 'A' ? 'B' : 'A';
    const HttpResult refused = http_post(port_, "/verify", tampered);
    EXPECT_EQ(refused.status, 401) << refused.body;
    EXPECT_NE(refused.body.find("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"), std::string::npos)
        << refused.body;
    ++verified;
  }
  EXPECT_EQ(verified, 4) << signed_by_node.output;
}

}  // namespace

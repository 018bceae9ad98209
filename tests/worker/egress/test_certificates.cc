#include "tests/worker/egress/test_certificates.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace wsup::worker::egress::testing {
namespace {

void run(const std::string& directory, const std::string& command) {
  const std::string line = "cd '" + directory + "' && " + command + " > openssl.log 2>&1";
  if (std::system(line.c_str()) != 0) {
    std::ifstream log(directory + "/openssl.log");
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "test certificates: '%s' failed:\n%s\n", command.c_str(), text.c_str());
    std::abort();
  }
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A CA certificate and key: NAME.pem, NAME.key.
void make_ca(const std::string& dir, const std::string& name) {
  run(dir, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
               name + ".key -out " + name + ".pem -days 2 -subj /CN=" + name +
               " -addext basicConstraints=critical,CA:TRUE"
               " -addext keyUsage=critical,keyCertSign,cRLSign");
}

// A server certificate NAME.pem for server.key/server.csr, with these subject alternative
// names, signed by CA.
void make_server(const std::string& dir, const std::string& name, const std::string& ca,
                 const std::string& alt_names) {
  write(dir + "/" + name + ".ext", "subjectAltName=" + alt_names +
                                       "\nbasicConstraints=CA:FALSE\n"
                                       "extendedKeyUsage=serverAuth\n");
  run(dir, "openssl x509 -req -in server.csr -CA " + ca + ".pem -CAkey " + ca +
               ".key -CAcreateserial -days 2 -out " + name + ".pem -extfile " + name + ".ext");
}

TestCertificates make() {
  TestCertificates certs;
  certs.directory =
      (std::filesystem::temp_directory_path() / ("wsup-egress-certs-" + std::to_string(::getpid())))
          .string();
  std::filesystem::create_directories(certs.directory);
  const std::string& dir = certs.directory;
  make_ca(dir, "ca");
  make_ca(dir, "other-ca");
  run(dir,
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key "
      "-out server.csr -subj /CN=localhost");
  make_server(dir, "localhost", "ca", "DNS:localhost,IP:127.0.0.1");
  make_server(dir, "wrong-host", "ca", "DNS:wrong.example");
  make_server(dir, "unknown-ca", "other-ca", "DNS:localhost,IP:127.0.0.1");
  certs.ca = dir + "/ca.pem";
  certs.server_key = dir + "/server.key";
  certs.localhost = dir + "/localhost.pem";
  certs.wrong_host = dir + "/wrong-host.pem";
  certs.unknown_ca = dir + "/unknown-ca.pem";
  return certs;
}

struct Remover {
  std::string directory;
  ~Remover() {
    std::error_code ignored;
    if (!directory.empty()) std::filesystem::remove_all(directory, ignored);
  }
};

}  // namespace

const TestCertificates& TestCertificates::get() {
  static const TestCertificates certs = make();
  static const Remover remover{certs.directory};
  return certs;
}

}  // namespace wsup::worker::egress::testing

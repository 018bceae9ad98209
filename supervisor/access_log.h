// One line per answered request, as JSON or in the Common Log Format, written with one write(2)
// per line to the configured destination (so lines from many threads never interleave).
//
// JSON:   {"ts":"2026-11-25T11:50:02.123Z","req":17,"remote":"127.0.0.1","method":"GET",
//          "path":"/hello","status":200,"bytes":12,"ms":0.84,"script":"hello","worker":1}
//         A response cut short adds why and the status line the client had got:
//          ...,"status":499,"bytes":65536,...,"cut":"client_gone","sent_status":200}
// common: 127.0.0.1 - - [25/Nov/2026:11:50:02 +0000] "GET /hello HTTP/1.1" 200 12
//         (strict CLF so existing tools parse it; the JSON format carries req, script, worker).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/cluster_config.h"
#include "shared/json_escape.h"

namespace wsup::supervisor {

struct AccessRecord {
  std::chrono::system_clock::time_point time;
  uint64_t request_id = 0;
  std::string remote;
  std::string method;
  std::string target;  // path and query as the client sent them
  std::string version = "HTTP/1.1";
  int status = 0;           // a cut response: 499 client gone, 502 worker side, 504 wall time
  uint64_t body_bytes = 0;  // body bytes handed to the client's socket
  std::chrono::microseconds duration{0};
  std::string script;  // "" when no route matched
  int worker = -1;
  std::string cut;      // why the response was cut short ("client_gone", "write_timeout",
                        // "wall_time", "worker_aborted", "worker_died", "length_mismatch",
                        // "shutdown"); "" when it was not
  int sent_status = 0;  // when cut: the status line the client got (0: not even that)
};

std::string format_json(const AccessRecord& record);
std::string format_common(const AccessRecord& record);

class AccessLog {
 public:
  // Opens `destination` ("stderr", "stdout" or a file, appended to); throws std::runtime_error.
  AccessLog(config::Logging::AccessFormat format, const std::string& destination);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void write(const AccessRecord& record) const;

 private:
  config::Logging::AccessFormat format_;
  int fd_ = -1;
  bool owns_fd_ = false;
};

}  // namespace wsup::supervisor

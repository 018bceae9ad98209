// One line per answered request, through the logger (shared/log.h): in the log's own format
// (logging.format) to the access sink (logging.access_file, else with the rest of the log), or in
// the Common Log Format, which only goes to a file of its own.
//
// logfmt: ts=2026-11-25T11:50:02.123Z level=info msg=request req=17 remote=127.0.0.1 method=GET
//         path=/hello status=200 bytes=12 ms=0.84 script=hello worker=1
// json:   {"ts":"…","level":"info","msg":"request","req":17,"remote":"127.0.0.1","method":"GET",
//          "path":"/hello","status":200,"bytes":12,"ms":0.84,"script":"hello","worker":1}
//         A response cut short adds why and the status line the client had got:
//          ...,"status":499,"bytes":65536,...,"cut":"client_gone","sent_status":200}
// common: 127.0.0.1 - - [25/Nov/2026:11:50:02 +0000] "GET /hello HTTP/1.1" 200 12
//         (strict CLF so existing tools parse it; the other formats carry req, script, worker).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "config/cluster_config.h"

namespace wsup::supervisor {

struct AccessRecord {
  std::chrono::system_clock::time_point time;  // for the Common Log Format's timestamp
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

// The line in the log's format (log::format), newline included.
std::string format_line(const AccessRecord& record);
std::string format_common(const AccessRecord& record);  // no newline

class AccessLog {
 public:
  // The sinks are the logger's (log::set_destination, log::set_access_destination).
  explicit AccessLog(config::Logging::AccessFormat format) : format_(format) {}

  void write(const AccessRecord& record) const;

 private:
  config::Logging::AccessFormat format_;
};

}  // namespace wsup::supervisor

// wsup-chaos-probe: the small raw-socket tools the chaos scenarios need, all on 127.0.0.1.
//
//   free-port [N]                      print N currently free loopback TCP ports, one per line
//   hold-port SECONDS                  listen on a free loopback port, print it, hold it
//   raw PORT FILE [TIMEOUT_MS]         send FILE's bytes, print each response's status code on
//                                      its own line, then "closed" or "open" (server kept it open)
//   slowloris PORT CONNECTIONS SECONDS [INTERVAL_MS]
//                                      open CONNECTIONS (then "opened N" on stderr), send header
//                                      bytes one per INTERVAL_MS for at most SECONDS; print a JSON
//                                      summary of how many the server cut and when
//   slowbody, trailerbomb              attacks on the HTTP front (front_attacks.h)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/chaos/loadgen/http_exchange.h"
#include "tests/chaos/probe/front_attacks.h"
#include "tests/chaos/probe/loopback_socket.h"

namespace {

using Clock = std::chrono::steady_clock;
using wsup::chaos::Socket;

int free_ports(int count) {
  // Hold every socket until all are chosen so the N ports differ.
  std::vector<Socket> held;
  for (int i = 0; i < count; ++i) {
    Socket s;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(s.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(s.fd(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::perror("free-port");
      return 1;
    }
    std::printf("%u\n", ntohs(addr.sin_port));
    held.push_back(std::move(s));
  }
  return 0;
}

// Reads until EOF or `idle_ms` without data; returns what arrived and whether EOF/reset was seen.
std::string read_all(int fd, int idle_ms, bool& closed) {
  std::string data;
  closed = false;
  char buf[8192];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, idle_ms);
    if (n <= 0) return data;
    ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got <= 0) {
      closed = true;
      return data;
    }
    data.append(buf, static_cast<size_t>(got));
  }
}

int raw(uint16_t port, const std::string& file, int timeout_ms) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "raw: cannot read %s\n", file.c_str());
    return 2;
  }
  std::stringstream bytes;
  bytes << in.rdbuf();
  std::string payload = bytes.str();
  Socket s;
  if (!s.connect_loopback(port)) {
    std::printf("connect_error\n");
    return 1;
  }
  size_t done = 0;
  while (done < payload.size()) {
    ssize_t n = ::send(s.fd(), payload.data() + done, payload.size() - done, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may cut an oversized request short; read what it said
    done += static_cast<size_t>(n);
  }
  bool closed = false;
  std::string reply = read_all(s.fd(), timeout_ms, closed);
  // Every "HTTP/1.x NNN" at the start of a line is one response's status line.
  for (size_t at = reply.find("HTTP/1."); at != std::string::npos;
       at = reply.find("HTTP/1.", at + 1)) {
    if ((at == 0 || reply[at - 1] == '\n') && at + 12 <= reply.size()) {
      std::printf("%s\n", reply.substr(at + 9, 3).c_str());
    }
  }
  std::printf("%s\n", closed ? "closed" : "open");
  return 0;
}

int slowloris(uint16_t port, int connections, int seconds, int interval_ms) {
  const std::string head = "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  struct Slow {
    Socket socket;
    bool open = false;
    double cut_after_ms = -1;
    std::string reply;
  };
  std::vector<Slow> slow(static_cast<size_t>(connections));
  int opened = 0;
  for (auto& c : slow) {
    c.open = c.socket.connect_loopback(port);
    if (c.open) {
      ++opened;
      ::fcntl(c.socket.fd(), F_SETFL, O_NONBLOCK);
    }
  }
  // Tells a waiting scenario that the connections are open (the report comes at the end).
  std::fprintf(stderr, "opened %d\n", opened);
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  size_t sent = 0;
  while (Clock::now() < end) {
    // One more byte on every open connection, then watch for the server cutting any of them.
    char byte = sent < head.size() ? head[sent] : 'a';
    ++sent;
    bool any_open = false;
    for (auto& c : slow) {
      if (!c.open) continue;
      if (::send(c.socket.fd(), &byte, 1, MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
        c.open = false;
        c.cut_after_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        continue;
      }
      char buf[512];
      ssize_t got = ::recv(c.socket.fd(), buf, sizeof buf, 0);
      if (got > 0) c.reply.append(buf, static_cast<size_t>(got));
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        c.open = false;
        c.cut_after_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      }
      any_open = any_open || c.open;
    }
    if (!any_open) break;
    // sleep-ok: a slow client paces its bytes (the fault this command injects).
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
  int cut = 0, with_status = 0;
  double first_cut = -1, last_cut = -1;
  for (auto& c : slow) {
    if (c.cut_after_ms < 0) continue;
    ++cut;
    if (c.reply.rfind("HTTP/1.", 0) == 0) ++with_status;
    first_cut = first_cut < 0 ? c.cut_after_ms : std::min(first_cut, c.cut_after_ms);
    last_cut = std::max(last_cut, c.cut_after_ms);
  }
  std::printf(
      "{\"opened\": %d, \"cut\": %d, \"still_open\": %d, \"answered_before_cut\": %d, "
      "\"first_cut_ms\": %.0f, \"last_cut_ms\": %.0f, \"bytes_sent_each\": %zu}\n",
      opened, cut, opened - cut, with_status, first_cut, last_cut, sent);
  return 0;
}

// Binds and listens on a free loopback port, prints it, then holds it for `seconds`.
int hold_port(int seconds) {
  Socket s;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(s.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(s.fd(), 16) != 0 ||
      ::getsockname(s.fd(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("hold-port");
    return 1;
  }
  std::printf("%u\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  // sleep-ok: holding the port busy for a stated time is this command's job.
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  return 0;
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: wsup-chaos-probe free-port [N]\n"
               "       wsup-chaos-probe hold-port SECONDS\n"
               "       wsup-chaos-probe raw PORT FILE [TIMEOUT_MS]\n"
               "       wsup-chaos-probe slowloris PORT CONNECTIONS SECONDS [INTERVAL_MS]\n"
               "       wsup-chaos-probe slowbody PORT CONNECTIONS SECONDS INTERVAL_MS\n"
               "       wsup-chaos-probe trailerbomb PORT CONNECTIONS MAX_MIB\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2) usage();
  std::string command = argv[1];
  if (command == "free-port") return free_ports(argc > 2 ? std::atoi(argv[2]) : 1);
  if (command == "hold-port" && argc >= 3) return hold_port(std::min(std::atoi(argv[2]), 600));
  if (command == "raw" && argc >= 4) {
    return raw(static_cast<uint16_t>(std::atoi(argv[2])), argv[3],
               argc > 4 ? std::atoi(argv[4]) : 2000);
  }
  if (command == "slowloris" && argc >= 5) {
    int seconds = std::min(std::atoi(argv[4]), 120);  // bounded whatever is asked
    int connections = std::min(std::atoi(argv[3]), 1000);
    return slowloris(static_cast<uint16_t>(std::atoi(argv[2])), connections, seconds,
                     argc > 5 ? std::max(10, std::atoi(argv[5])) : 1000);
  }
  if (command == "slowbody" && argc >= 6) {
    return wsup::chaos::slow_bodies(
        static_cast<uint16_t>(std::atoi(argv[2])), std::min(std::atoi(argv[3]), 8192),
        std::min(std::atoi(argv[4]), 900), std::max(10, std::atoi(argv[5])));
  }
  if (command == "trailerbomb" && argc >= 5) {
    return wsup::chaos::trailer_bombs(static_cast<uint16_t>(std::atoi(argv[2])),
                                      std::min(std::atoi(argv[3]), 64),
                                      std::min(std::atoi(argv[4]), 1024));
  }
  usage();
}

#include "tests/chaos/probe/front_attacks.h"

#include <fcntl.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/chaos/probe/loopback_socket.h"

namespace wsup::chaos {
namespace {

using Clock = std::chrono::steady_clock;

// The status code of a reply that starts with a status line, or 0.
int status_of(const std::string& reply) {
  if (reply.size() < 12 || reply.rfind("HTTP/1.", 0) != 0) return 0;
  return std::atoi(reply.c_str() + 9);
}

std::string json_statuses(const std::map<int, int>& statuses) {
  std::string out = "{";
  for (const auto& [status, count] : statuses) {
    if (out.size() > 1) out += ", ";
    out += "\"" + std::to_string(status) + "\": " + std::to_string(count);
  }
  return out + "}";
}

}  // namespace

int slow_bodies(uint16_t port, int connections, int seconds, int interval_ms) {
  const std::string head =
      "POST /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n";
  struct Slow {
    Socket socket;
    bool open = false;
    Clock::time_point next;  // the next byte, or the next connect when closed
    std::string reply;
  };
  std::vector<Slow> slow(static_cast<size_t>(connections));
  int connects = 0, connect_errors = 0, cut = 0;
  std::map<int, int> statuses;  // 0: closed without an answer
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  const auto interval = std::chrono::milliseconds(interval_ms);
  // Spread over one interval, so the trickle is steady rather than in bursts.
  for (size_t i = 0; i < slow.size(); ++i) slow[i].next = start + interval * i / slow.size();
  std::vector<pollfd> fds;
  std::vector<Slow*> polled;
  bool said_opened = false;
  while (Clock::now() < end) {
    const auto now = Clock::now();
    if (!said_opened && now >= start + interval) {
      // Every connection has made its first attempt: scenarios wait for this line on stderr.
      std::fprintf(stderr, "opened %d\n", connects);
      said_opened = true;
    }
    fds.clear();
    polled.clear();
    for (auto& c : slow) {
      if (!c.open && now >= c.next) {
        // Cut (or never connected): connect again when its next byte would be due.
        c.socket = Socket();
        c.reply.clear();
        c.open = c.socket.connect_loopback(port) &&
                 ::send(c.socket.fd(), head.data(), head.size(), MSG_NOSIGNAL) ==
                     static_cast<ssize_t>(head.size());
        c.next = now + interval;
        if (!c.open) {
          ++connect_errors;
          continue;
        }
        ++connects;
        ::fcntl(c.socket.fd(), F_SETFL, O_NONBLOCK);
      }
      if (!c.open) continue;
      if (now >= c.next) {
        ::send(c.socket.fd(), "b", 1, MSG_NOSIGNAL);  // a failure shows as a close below
        c.next = now + interval;
      }
      fds.push_back({c.socket.fd(), POLLIN, 0});
      polled.push_back(&c);
    }
    if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      Slow& c = *polled[i];
      char buf[512];
      ssize_t got = ::recv(c.socket.fd(), buf, sizeof buf, 0);
      if (got > 0) c.reply.append(buf, static_cast<size_t>(got));
      if (got <= 0 || !c.reply.empty()) {  // answered or closed: either way cut
        ++cut;
        ++statuses[status_of(c.reply)];
        c.open = false;
        c.socket = Socket();
      }
    }
  }
  int still_open = 0;
  for (auto& c : slow) still_open += c.open ? 1 : 0;
  std::printf(
      "{\"connections\": %d, \"connects\": %d, \"connect_errors\": %d, \"cut\": %d, "
      "\"still_open\": %d, \"status\": %s}\n",
      connections, connects, connect_errors, cut, still_open, json_statuses(statuses).c_str());
  return 0;
}

int trailer_bombs(uint16_t port, int connections, int max_mib) {
  const std::string head =
      "POST /bomb HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\nhi\r\n0\r\n";
  const std::string piece = "X-Pad: " + std::string(64 * 1024 - 9, 'p') + "\r\n";
  const size_t max_bytes = static_cast<size_t>(max_mib) << 20;
  struct Bomb {
    Socket socket;
    bool open = false;
    size_t sent = 0;
    std::string reply;
  };
  std::vector<Bomb> bombs(static_cast<size_t>(connections));
  for (auto& b : bombs) {
    b.open = b.socket.connect_loopback(port) &&
             ::send(b.socket.fd(), head.data(), head.size(), MSG_NOSIGNAL) > 0;
    if (b.open) ::fcntl(b.socket.fd(), F_SETFL, O_NONBLOCK);
  }
  // Round robin, one piece each, until every bomb is answered, closed or at its cap.
  for (bool any = true; any;) {
    any = false;
    for (auto& b : bombs) {
      if (!b.open || b.sent >= max_bytes) continue;
      any = true;
      ssize_t n = ::send(b.socket.fd(), piece.data(), piece.size(), MSG_NOSIGNAL);
      if (n > 0) b.sent += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) b.open = false;
      char buf[512];
      ssize_t got = ::recv(b.socket.fd(), buf, sizeof buf, 0);
      if (got > 0) b.reply.append(buf, static_cast<size_t>(got));
      if (got == 0 || !b.reply.empty()) b.open = false;
    }
    // sleep-ok: paces the bombs' non-blocking sends between rounds; not a wait for the server
    if (any) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::map<int, int> statuses;
  size_t most = 0;
  for (auto& b : bombs) {
    // The answer may still be on its way to a bomb that stopped at its cap.
    pollfd p{b.socket.fd(), POLLIN, 0};
    if (b.reply.empty() && ::poll(&p, 1, 2000) > 0) {
      char buf[512];
      ssize_t got = ::recv(b.socket.fd(), buf, sizeof buf, 0);
      if (got > 0) b.reply.append(buf, static_cast<size_t>(got));
    }
    ++statuses[status_of(b.reply)];
    most = std::max(most, b.sent);
  }
  std::printf("{\"connections\": %d, \"most_trailer_bytes_sent\": %zu, \"status\": %s}\n",
              connections, most, json_statuses(statuses).c_str());
  return 0;
}

}  // namespace wsup::chaos

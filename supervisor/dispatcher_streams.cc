// The dispatcher's streamed responses: a head settles its request with a ResponseStream, chunks
// and the end go to that stream, and the request stays its endpoint's until the end.
#include <utility>

#include "supervisor/dispatcher.h"
#include "supervisor/dispatcher_pending.h"

namespace wsup::supervisor {

void Dispatcher::take_streams(Endpoint& e, std::vector<std::shared_ptr<ResponseStream>>& into) {
  for (auto& [rid, stream] : e.streams) into.push_back(std::move(stream));
  e.streams.clear();
}

void Dispatcher::begin_stream(EndpointId id, HttpResponse head, std::optional<uint64_t> length) {
  const Clock::time_point answered = Clock::now();
  const uint64_t rid = head.id;
  std::vector<Settled> settled;
  {
    std::lock_guard lock(mutex_);
    auto e = endpoints_.find(id);
    if (e == endpoints_.end() || e->second.in_flight.count(rid) == 0) return;  // stale
    auto p = pending_.find(rid);
    if (p == pending_.end() || p->second->endpoint != id) {
      // Settled meanwhile (client gone, wall time): its worker stops, its end is dropped.
      e->second.channel->abandon(rid);
      return;
    }
    std::shared_ptr<Pending> pending = p->second;  // settling erases the map's reference
    auto stream = std::make_shared<ResponseStream>(e->second.channel, rid, length);
    e->second.streams[rid] = stream;
    pending->result.answered = answered;
    pending->result.response = std::move(head);
    pending->result.stream = std::move(stream);
    settle_locked(*pending, Outcome::response, e->second.worker);
    settled.swap(settled_);
  }
  run_settled(settled);
}

void Dispatcher::stream_chunk(EndpointId id, uint64_t request_id, std::string chunk) {
  std::shared_ptr<ResponseStream> stream;
  {
    std::lock_guard lock(mutex_);
    auto e = endpoints_.find(id);
    if (e == endpoints_.end()) return;
    auto s = e->second.streams.find(request_id);
    if (s == e->second.streams.end()) return;  // abandoned: the channel stops delivering it
    stream = s->second;
  }
  stream->push(std::move(chunk));  // without the lock: it wakes the connection's thread
}

void Dispatcher::end_stream(EndpointId id, uint64_t request_id, bool aborted) {
  std::vector<Settled> settled;
  std::shared_ptr<ResponseStream> stream;
  {
    std::lock_guard lock(mutex_);
    auto e = endpoints_.find(id);
    if (e == endpoints_.end() || e->second.in_flight.erase(request_id) == 0) return;  // stale
    if (auto s = e->second.streams.find(request_id); s != e->second.streams.end()) {
      stream = std::move(s->second);
      e->second.streams.erase(s);
    } else if (auto p = pending_.find(request_id);
               p != pending_.end() && p->second->endpoint == id) {
      // An end with no head before it answers a cancel, and a cancelled request is settled
      // already; a worker that ends one it never began has failed it.
      std::shared_ptr<Pending> pending = p->second;
      settle_locked(*pending, Outcome::worker_died, e->second.worker);
    }
    pump_overflow_locked();
    settled.swap(settled_);
  }
  run_settled(settled);
  if (stream) stream->finish(aborted, "worker_aborted");
}

}  // namespace wsup::supervisor

// Both ends of one channel in one process, for the protocol tests: the supervisor's side, the
// worker's side, and a third mapping of the segment to scribble on like a broken peer would.
#pragma once

#include <unistd.h>

#include <string>
#include <vector>

#include "shared/channel.h"
#include "shared/segment.h"

namespace wsup::testing {

struct Pair {
  SupervisorChannel supervisor;
  WorkerChannel worker;
  shm::Segment raw;
};

inline Pair make_pair(uint32_t slots = 4) {
  ChannelOptions o;
  o.instance_id = "proto";
  o.worker_id = 2;
  o.slots = slots;
  o.slot_arena_bytes = 4096;
  o.max_body_bytes = 1 << 20;
  auto supervisor = SupervisorChannel::create(o);
  auto worker = WorkerChannel::open(supervisor.name(), ::dup(supervisor.worker_doorbell_fd()),
                                    ::dup(supervisor.supervisor_doorbell_fd()));
  auto raw = shm::Segment::open(supervisor.name());
  return {std::move(supervisor), std::move(worker), std::move(raw)};
}

inline HttpRequest request(uint64_t id, std::string body = "hello") {
  return {id, "s", "POST", "http://x/" + std::to_string(id), {{"a", "b"}}, std::move(body)};
}

inline std::vector<ResponseEvent> poll_all(SupervisorChannel& s) {
  std::vector<ResponseEvent> out;
  s.poll_responses([&](ResponseEvent&& c) { out.push_back(std::move(c)); });
  return out;
}

}  // namespace wsup::testing

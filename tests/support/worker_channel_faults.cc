#include "tests/support/worker_channel_faults.h"

#include <cstring>

#include "shared/record_codec.h"
#include "shared/worker_channel_state.h"

namespace wsup {

RespondStatus WorkerChannelFaults::respond_corrupt(WorkerChannel& channel,
                                                   const HttpResponse& response, Corruption how) {
  WorkerChannel::State& s = *channel.state_;
  WorkerChannel::State::Taken* entry = nullptr;
  if (RespondStatus status = s.check_turn(response.id, false, entry); status != RespondStatus::ok)
    return status;
  auto arena = s.view.arena(entry->slot);
  HttpResponse small;  // headers and status only: always fits the arena
  small.id = how == Corruption::unknown_id ? response.id ^ (uint64_t{1} << 62) : response.id;
  small.status = response.status;
  size_t bytes = codec::encode(small, arena);
  if (how == Corruption::unknown_type) {
    const uint32_t garbage = 0x21444142;  // "BAD!": no record type
    std::memcpy(arena.data(), &garbage, sizeof garbage);
  }
  if (how == Corruption::length_past_end) bytes = arena.size() + 4096;
  return s.send(response.id, *entry, bytes, true);
}

}  // namespace wsup

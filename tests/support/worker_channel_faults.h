// Test only: answers a taken request with a record the supervisor must reject. Used by the
// channel tests and the chaos suite's test-only worker (scenario 9); linked into no production
// target. WorkerChannel names it as a friend: it writes into the request's slot directly.
#pragma once

#include "shared/channel.h"
#include "shared/http_message.h"

namespace wsup {

struct WorkerChannelFaults {
  enum class Corruption {
    length_past_end,  // the record's length runs past the slot's arena
    unknown_type,     // a record type nobody defined
    unknown_id,       // a request id the supervisor never sent
  };
  // Like respond(): the request must be taken and not begun. ok once the garbage went out.
  static RespondStatus respond_corrupt(WorkerChannel& channel, const HttpResponse& response,
                                       Corruption how);
};

}  // namespace wsup

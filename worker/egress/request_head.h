// The head a subrequest sends for one hop: the caller's headers checked and cleaned of what the
// client owns (framing, connection management, Host, the hop counter), then Host, the hop
// counter, Accept-Encoding when the body will be decoded and the caller set none, and the
// body's framing (Fetch: a POST or PUT without a body says Content-Length: 0).
#pragma once

#include <optional>
#include <string>

#include "worker/egress/redirect.h"
#include "worker/egress/subrequest.h"
#include "worker/egress/upstream_exchange.h"

namespace wsup::worker::egress {

// What this client decodes, in the order it prefers them.
inline constexpr const char* kAcceptEncoding = "gzip, deflate, br";

// nullopt and `error` for a method or header that cannot be sent ("the method 'CONNECT' is not
// allowed", "header 'X' has a line break in its value").
std::optional<UpstreamExchange::RequestHead> build_request_head(const HopRequest& hop,
                                                                const RequestBody& body,
                                                                bool decode_body,
                                                                uint32_t incoming_hops,
                                                                std::string& error);

}  // namespace wsup::worker::egress

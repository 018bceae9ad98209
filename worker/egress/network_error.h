// Internal to worker/egress: a socket or parser error code as the kind and the words of a
// FetchError ("the upstream reset the connection", "invalid HTTP response: bad chunk").
#pragma once

#include <boost/system/error_code.hpp>
#include <string>

#include "worker/egress/subrequest.h"

namespace wsup::worker::egress {

FetchError::Kind network_error_kind(const boost::system::error_code& error);
std::string describe_network_error(const boost::system::error_code& error);

}  // namespace wsup::worker::egress

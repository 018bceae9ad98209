// The byte format of one record in a slot's arena, and its validating decoder.
//
// All integers are native-endian (both processes run on the same machine):
//   header   u32 type ('WSRQ' request, 'WSRS' response, 'WSER' error), u32 total_bytes,
//            u64 request_id, u32 flags (bit 0: body spilled to its own object), u32 header_count
//   request  str script, str method, str url, header_count × (str name, str value), body
//   response u32 status (100..999), header_count × (str name, str value), body
//   error    u32 ChannelError code (header_count 0, flags 0)
//   str      u32 length, bytes
//   body     u64 length, then the bytes unless spilled
// The decoder trusts nothing: every length is checked against what is left, total_bytes must
// match exactly, and each length is read once (the peer may scribble while we read).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "shared/channel.h"
#include "shared/http_message.h"

namespace wsup::codec {

enum class RecordType : uint32_t {
  request = 0x51525357,   // "WSRQ"
  response = 0x53525357,  // "WSRS"
  error = 0x52455357,     // "WSER"
};

inline constexpr uint32_t kBodySpilled = 1;
inline constexpr size_t kRecordHeaderBytes = 24;

enum class DecodeStatus {
  ok,
  truncated,         // a field runs past the end of the record
  bad_type,          // unknown record type
  bad_total_length,  // total_bytes is smaller than a header, or larger than the buffer
  bad_flags,         // unknown flag bits, or flags on a record type that has no body
  too_many_headers,  // header_count cannot fit in the bytes left
  bad_status,        // HTTP status outside 100..999
  bad_error_code,    // unknown ChannelError in an error record
  body_too_large,    // body length above the limit
  trailing_bytes,    // bytes left over after the last field
};
const char* to_string(DecodeStatus status);

struct DecodedRecord {
  DecodeStatus status = DecodeStatus::truncated;
  RecordType type = RecordType::request;
  uint64_t request_id = 0;
  HttpRequest request;                      // type request (body empty when spilled)
  HttpResponse response;                    // type response (body empty when spilled)
  ChannelError error = ChannelError::none;  // type error
  bool body_spilled = false;
  uint64_t body_bytes = 0;  // the body's length, inline or spilled
};

// Size of the encoded record; with spill_body the body bytes are left out.
size_t encoded_size(const HttpRequest& request, bool spill_body);
size_t encoded_size(const HttpResponse& response, bool spill_body);
inline constexpr size_t kErrorRecordBytes = kRecordHeaderBytes + 4;

// Write the record into `out` (at least encoded_size bytes). Return the bytes written.
size_t encode(const HttpRequest& request, bool spill_body, std::span<std::byte> out);
size_t encode(const HttpResponse& response, bool spill_body, std::span<std::byte> out);
size_t encode_error(uint64_t request_id, ChannelError error, std::span<std::byte> out);

DecodedRecord decode(std::span<const std::byte> bytes, uint64_t max_body_bytes);

}  // namespace wsup::codec

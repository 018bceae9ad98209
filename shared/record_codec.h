// The byte format of one record in a slot's arena, and its validating decoder.
//
// All integers are native-endian (both processes run on the same machine):
//   header   u32 type, u32 total_bytes, u64 request_id, u32 flags, u32 header_count
//   request  'WSRQ': str script, str method, str url, header_count × (str name, str value), body
//            (flags bit 0: the body is in the slot's large-body object; only its length is here)
//   response 'WSRS': the whole answer: u32 status (100..999), headers, body (always inline)
//   head     'WSHD': a streamed answer's start: u32 status, headers, u64 declared body length
//            (flags bit 1: the length is declared; without it the u64 must be 0)
//   chunk    'WSCK': the next piece of a streamed body: u64 length, bytes (header_count 0)
//   end      'WSEN': the streamed body is over: u32 0 complete, 1 aborted (header_count 0)
//   error    'WSER': u32 ChannelError code (header_count 0, flags 0)
//   str      u32 length, bytes
//   body     u64 length, then the bytes unless spilled
// A request comes from the supervisor; every other record from the worker. Flags a record type
// does not define are rejected. The decoder trusts nothing: every length is checked against what
// is left, total_bytes must match exactly, and each length is read once (the peer may scribble
// while we read).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "shared/channel.h"
#include "shared/http_message.h"

namespace wsup::codec {

enum class RecordType : uint32_t {
  request = 0x51525357,   // "WSRQ"
  response = 0x53525357,  // "WSRS"
  error = 0x52455357,     // "WSER"
  head = 0x44485357,      // "WSHD"
  chunk = 0x4b435357,     // "WSCK"
  end = 0x4e455357,       // "WSEN"
};

inline constexpr uint32_t kBodySpilled = 1;     // request
inline constexpr uint32_t kLengthDeclared = 2;  // head
inline constexpr size_t kRecordHeaderBytes = 24;
inline constexpr size_t kChunkOverheadBytes = kRecordHeaderBytes + 8;
inline constexpr size_t kErrorRecordBytes = kRecordHeaderBytes + 4;
inline constexpr size_t kEndRecordBytes = kRecordHeaderBytes + 4;

enum class DecodeStatus {
  ok,
  truncated,         // a field runs past the end of the record
  bad_type,          // unknown record type
  bad_total_length,  // total_bytes is smaller than a header, or larger than the buffer
  bad_flags,         // unknown flag bits, flags or headers on a record type that has none
  too_many_headers,  // header_count cannot fit in the bytes left
  bad_status,        // HTTP status outside 100..999
  bad_error_code,    // unknown ChannelError in an error record
  bad_end,           // an end record that is neither complete nor aborted
  body_too_large,    // body length above the limit
  trailing_bytes,    // bytes left over after the last field
};
const char* to_string(DecodeStatus status);

struct DecodedRecord {
  DecodeStatus status = DecodeStatus::truncated;
  RecordType type = RecordType::request;
  uint64_t request_id = 0;
  HttpRequest request;                      // request (body empty when spilled)
  HttpResponse response;                    // response; head (status and headers only)
  ChannelError error = ChannelError::none;  // error
  bool body_spilled = false;                // request
  uint64_t body_bytes = 0;                  // request, response: the body's length
  std::optional<uint64_t> declared_length;  // head
  std::string chunk;                        // chunk
  bool aborted = false;                     // end
};

// Size of the encoded record; with spill_body the body bytes are left out.
size_t encoded_size(const HttpRequest& request, bool spill_body);
// A whole response (body inline).
size_t encoded_size(const HttpResponse& response);
// A head record: `head`'s status and headers (its body is not part of it).
size_t head_size(const HttpResponse& head);

// Each writes the record into `out` (at least its size) and returns the bytes written.
size_t encode(const HttpRequest& request, bool spill_body, std::span<std::byte> out);
size_t encode(const HttpResponse& response, std::span<std::byte> out);
size_t encode_head(const HttpResponse& head, std::optional<uint64_t> length,
                   std::span<std::byte> out);
// `out` holds at least kChunkOverheadBytes + bytes.size().
size_t encode_chunk(uint64_t request_id, std::string_view bytes, std::span<std::byte> out);
size_t encode_end(uint64_t request_id, bool aborted, std::span<std::byte> out);
size_t encode_error(uint64_t request_id, ChannelError error, std::span<std::byte> out);

// `max_body_bytes` bounds request and whole-response bodies.
DecodedRecord decode(std::span<const std::byte> bytes, uint64_t max_body_bytes);

}  // namespace wsup::codec

// libFuzzer target for the record decoder: arbitrary bytes must never crash, hang or read out
// of bounds, and whatever decodes (every record type: request, whole response, head, chunk, end,
// error) must survive an encode/decode round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "shared/record_codec.h"

namespace {

using namespace wsup::codec;

constexpr uint64_t kMaxBody = 1 << 20;

void check(bool condition) {
  if (!condition) std::abort();
}

// Encodes `first` again with the encoder of its type and checks that it decodes the same. A
// record that decoded has exactly the length of its encoding, so `size` bytes hold it again.
void round_trip(const DecodedRecord& first, size_t size) {
  std::vector<std::byte> again(size);
  size_t bytes = 0;
  switch (first.type) {
    case RecordType::request:
      bytes = encode(first.request, first.body_spilled, again);
      check(bytes == encoded_size(first.request, first.body_spilled));
      break;
    case RecordType::response:
      bytes = encode(first.response, again);
      check(bytes == encoded_size(first.response));
      break;
    case RecordType::head:
      bytes = encode_head(first.response, first.declared_length, again);
      check(bytes == head_size(first.response));
      break;
    case RecordType::chunk:
      bytes = encode_chunk(first.request_id, first.chunk, again);
      check(bytes == kChunkOverheadBytes + first.chunk.size());
      break;
    case RecordType::end:
      bytes = encode_end(first.request_id, first.aborted, again);
      check(bytes == kEndRecordBytes);
      break;
    case RecordType::error:
      check(first.error != wsup::ChannelError::none);
      bytes = encode_error(first.request_id, first.error, again);
      break;
  }
  DecodedRecord second = decode(std::span(again).first(bytes), kMaxBody);
  check(second.status == DecodeStatus::ok && second.type == first.type &&
        second.request_id == first.request_id && second.body_spilled == first.body_spilled &&
        second.declared_length == first.declared_length && second.chunk == first.chunk &&
        second.aborted == first.aborted && second.error == first.error);
  check(second.request.script == first.request.script &&
        second.request.method == first.request.method && second.request.url == first.request.url &&
        second.request.headers == first.request.headers &&
        second.request.body == first.request.body);
  check(second.response.status == first.response.status &&
        second.response.headers == first.response.headers &&
        second.response.body == first.response.body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  DecodedRecord record = decode(bytes, kMaxBody);
  if (record.status != DecodeStatus::ok) return 0;
  check(record.body_bytes <= kMaxBody);
  check(record.chunk.size() <= size);
  round_trip(record, size);
  return 0;
}

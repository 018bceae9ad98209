// libFuzzer target for the record decoder: arbitrary bytes must never crash, hang or read out
// of bounds, and whatever decodes must survive an encode/decode round trip unchanged.
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

template <typename Message>
void round_trip(const Message& message, const DecodedRecord& first) {
  std::vector<std::byte> again(encoded_size(message, first.body_spilled));
  check(encode(message, first.body_spilled, again) == again.size());
  DecodedRecord second = decode(again, kMaxBody);
  check(second.status == DecodeStatus::ok && second.type == first.type &&
        second.request_id == first.request_id && second.body_spilled == first.body_spilled);
  if constexpr (std::is_same_v<Message, wsup::HttpRequest>) {
    check(second.request.script == message.script && second.request.method == message.method &&
          second.request.url == message.url && second.request.headers == message.headers &&
          second.request.body == message.body);
  } else {
    check(second.response.status == message.status && second.response.headers == message.headers &&
          second.response.body == message.body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  DecodedRecord record = decode(bytes, kMaxBody);
  if (record.status != DecodeStatus::ok) return 0;
  check(record.body_bytes <= kMaxBody);
  switch (record.type) {
    case RecordType::request:
      round_trip(record.request, record);
      break;
    case RecordType::response:
      round_trip(record.response, record);
      break;
    case RecordType::error:
      check(record.error != wsup::ChannelError::none);
      break;
  }
  return 0;
}

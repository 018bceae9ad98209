// The record codec: round trips, and hand-written corrupt records rejected cleanly.
#include "shared/record_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace wsup::codec {
namespace {

std::vector<std::byte> encode_request(const HttpRequest& r, bool spill = false) {
  std::vector<std::byte> out(encoded_size(r, spill));
  EXPECT_EQ(encode(r, spill, out), out.size());
  return out;
}

using namespace std::string_literals;

// The body holds a NUL byte (kept by the s suffix): a body is bytes with a length, not a C string.
HttpRequest sample() {
  return {77, "app", "PUT", "http://h/p?q=1", {{"A", "1"}, {"a", "2"}, {"", ""}}, "body\0x"s};
}

template <typename T>
void put(std::vector<std::byte>& bytes, size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof value);
}

TEST(RecordCodec, RequestRoundTripsWithDuplicateHeadersAndEmptyFields) {
  auto bytes = encode_request(sample());
  DecodedRecord d = decode(bytes, 1 << 20);
  ASSERT_EQ(d.status, DecodeStatus::ok);
  EXPECT_EQ(d.type, RecordType::request);
  EXPECT_EQ(d.request.id, 77u);
  EXPECT_EQ(d.request.script, "app");
  EXPECT_EQ(d.request.method, "PUT");
  EXPECT_EQ(d.request.url, "http://h/p?q=1");
  EXPECT_EQ(d.request.headers, sample().headers);
  ASSERT_EQ(sample().body.size(), 6u);
  EXPECT_EQ(d.request.body, sample().body);
}

TEST(RecordCodec, ResponseAndErrorRoundTrip) {
  HttpResponse r{5, 404, {{"k", "v"}}, std::string(1000, 'b')};
  std::vector<std::byte> out(encoded_size(r));
  encode(r, out);
  DecodedRecord d = decode(out, 1 << 20);
  ASSERT_EQ(d.status, DecodeStatus::ok);
  EXPECT_EQ(d.response.status, 404);
  EXPECT_EQ(d.response.body, r.body);
  std::vector<std::byte> err(kErrorRecordBytes);
  encode_error(9, ChannelError::headers_too_large, err);
  DecodedRecord e = decode(err, 0);
  ASSERT_EQ(e.status, DecodeStatus::ok);
  EXPECT_EQ(e.request_id, 9u);
  EXPECT_EQ(e.error, ChannelError::headers_too_large);
}

TEST(RecordCodec, SpilledBodyCarriesOnlyItsLength) {
  auto bytes = encode_request(sample(), true);
  DecodedRecord d = decode(bytes, 1 << 20);
  ASSERT_EQ(d.status, DecodeStatus::ok);
  EXPECT_TRUE(d.body_spilled);
  EXPECT_EQ(d.body_bytes, sample().body.size());
  EXPECT_TRUE(d.request.body.empty());
}

TEST(RecordCodec, EveryTruncationIsRejected) {
  auto bytes = encode_request(sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    DecodedRecord d = decode(std::span(bytes).first(n), 1 << 20);
    EXPECT_NE(d.status, DecodeStatus::ok) << "accepted " << n << " of " << bytes.size();
  }
}

TEST(RecordCodec, StringLengthPastTheEndIsTruncated) {
  auto bytes = encode_request(sample());
  put<uint32_t>(bytes, kRecordHeaderBytes, 0xffffffff);  // script length
  EXPECT_EQ(decode(bytes, 1 << 20).status, DecodeStatus::truncated);
}

TEST(RecordCodec, TotalLengthPastTheBufferOrBelowHeaderIsRejected) {
  auto bytes = encode_request(sample());
  put<uint32_t>(bytes, 4, static_cast<uint32_t>(bytes.size() + 1));
  EXPECT_EQ(decode(bytes, 1 << 20).status, DecodeStatus::bad_total_length);
  put<uint32_t>(bytes, 4, 3);
  EXPECT_EQ(decode(bytes, 1 << 20).status, DecodeStatus::bad_total_length);
}

TEST(RecordCodec, NegativeLookingSizesAreRejected) {
  auto bytes = encode_request(sample());
  // A body length of -1 as a signed number: far above any limit.
  size_t body_length_at = bytes.size() - sample().body.size() - 8;
  put<int64_t>(bytes, body_length_at, -1);
  EXPECT_EQ(decode(bytes, 1 << 20).status, DecodeStatus::body_too_large);
  auto again = encode_request(sample());
  put<int32_t>(again, 20, -1);  // header_count
  EXPECT_EQ(decode(again, 1 << 20).status, DecodeStatus::too_many_headers);
}

TEST(RecordCodec, UnknownTypeFlagsStatusAndErrorCodeAreRejected) {
  auto bytes = encode_request(sample());
  put<uint32_t>(bytes, 0, 0xdeadbeef);
  EXPECT_EQ(decode(bytes, 1 << 20).status, DecodeStatus::bad_type);
  bytes = encode_request(sample());
  put<uint32_t>(bytes, 16, 0x80);
  EXPECT_EQ(decode(bytes, 1 << 20).status, DecodeStatus::bad_flags);
  HttpResponse r{1, 200, {}, {}};
  std::vector<std::byte> out(encoded_size(r));
  encode(r, out);
  put<uint32_t>(out, kRecordHeaderBytes, 42);
  EXPECT_EQ(decode(out, 10).status, DecodeStatus::bad_status);
  std::vector<std::byte> err(kErrorRecordBytes);
  encode_error(1, ChannelError::corrupt_record, err);
  put<uint32_t>(err, kRecordHeaderBytes, 1000);
  EXPECT_EQ(decode(err, 0).status, DecodeStatus::bad_error_code);
}

TEST(RecordCodec, TrailingBytesInsideTheRecordAreRejectedButBytesAfterItIgnored) {
  auto bytes = encode_request(sample());
  bytes.resize(bytes.size() + 3);
  EXPECT_EQ(decode(bytes, 1 << 20).status, DecodeStatus::ok);  // arena space after the record
  put<uint32_t>(bytes, 4, static_cast<uint32_t>(bytes.size()));
  EXPECT_EQ(decode(bytes, 1 << 20).status, DecodeStatus::trailing_bytes);
}

TEST(RecordCodec, BodyAboveTheLimitIsRejected) {
  auto bytes = encode_request(sample());
  EXPECT_EQ(decode(bytes, sample().body.size() - 1).status, DecodeStatus::body_too_large);
}

}  // namespace
}  // namespace wsup::codec

namespace wsup::codec {
namespace {

template <typename T>
void put_at(std::vector<std::byte>& bytes, size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof value);
}

std::vector<std::byte> head_record(std::optional<uint64_t> length) {
  HttpResponse head{11, 200, {{"content-type", "text/event-stream"}}, "ignored"};
  std::vector<std::byte> out(head_size(head));
  EXPECT_EQ(encode_head(head, length, out), out.size());
  return out;
}

TEST(RecordCodec, HeadChunkAndEndRoundTrip) {
  for (std::optional<uint64_t> length : {std::optional<uint64_t>(), std::optional<uint64_t>(0),
                                         std::optional<uint64_t>(1ull << 40)}) {
    DecodedRecord h = decode(head_record(length), 0);
    ASSERT_EQ(h.status, DecodeStatus::ok);
    EXPECT_EQ(h.type, RecordType::head);
    EXPECT_EQ(h.request_id, 11u);
    EXPECT_EQ(h.response.status, 200);
    EXPECT_EQ(h.response.headers, (HeaderList{{"content-type", "text/event-stream"}}));
    EXPECT_TRUE(h.response.body.empty());  // a head carries no body
    EXPECT_EQ(h.declared_length, length);
  }
  std::vector<std::byte> chunk(kChunkOverheadBytes + 5);
  EXPECT_EQ(encode_chunk(11, "hello", chunk), chunk.size());
  DecodedRecord c = decode(chunk, 0);  // not a body: the body limit does not apply
  ASSERT_EQ(c.status, DecodeStatus::ok);
  EXPECT_EQ(c.type, RecordType::chunk);
  EXPECT_EQ(c.chunk, "hello");
  for (bool aborted : {false, true}) {
    std::vector<std::byte> end(kEndRecordBytes);
    EXPECT_EQ(encode_end(11, aborted, end), end.size());
    DecodedRecord e = decode(end, 0);
    ASSERT_EQ(e.status, DecodeStatus::ok);
    EXPECT_EQ(e.type, RecordType::end);
    EXPECT_EQ(e.aborted, aborted);
  }
}

TEST(RecordCodec, MalformedStreamRecordsAreRejected) {
  auto head = head_record(std::nullopt);
  put_at<uint64_t>(head, head.size() - 8, 77);  // a length without the flag that declares one
  EXPECT_EQ(decode(head, 0).status, DecodeStatus::bad_flags);
  head = head_record(5);
  put_at<uint32_t>(head, 16, kLengthDeclared | 0x10);
  EXPECT_EQ(decode(head, 0).status, DecodeStatus::bad_flags);
  std::vector<std::byte> chunk(kChunkOverheadBytes + 5);
  encode_chunk(1, "hello", chunk);
  put_at<uint32_t>(chunk, 20, 1);  // a header count on a chunk
  EXPECT_EQ(decode(chunk, 0).status, DecodeStatus::bad_flags);
  encode_chunk(1, "hello", chunk);
  put_at<uint64_t>(chunk, kRecordHeaderBytes, 6);  // one byte past the record
  EXPECT_EQ(decode(chunk, 0).status, DecodeStatus::truncated);
  put_at<uint64_t>(chunk, kRecordHeaderBytes, 4);  // one byte left over
  EXPECT_EQ(decode(chunk, 0).status, DecodeStatus::trailing_bytes);
  std::vector<std::byte> end(kEndRecordBytes);
  encode_end(1, false, end);
  put_at<uint32_t>(end, kRecordHeaderBytes, 2);
  EXPECT_EQ(decode(end, 0).status, DecodeStatus::bad_end);
  HttpResponse whole{1, 200, {}, "x"};
  std::vector<std::byte> response(encoded_size(whole));
  encode(whole, response);
  put_at<uint32_t>(response, 16, kBodySpilled);  // responses never spill
  EXPECT_EQ(decode(response, 10).status, DecodeStatus::bad_flags);
}

TEST(RecordCodec, EveryFuzzSeedDecodes) {
  size_t seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(WSUP_FUZZ_CORPUS)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> bytes(text.size());
    std::memcpy(bytes.data(), text.data(), text.size());
    EXPECT_EQ(decode(bytes, 1 << 20).status, DecodeStatus::ok) << entry.path();
    ++seeds;
  }
  EXPECT_GE(seeds, 9u);  // one or more of every record type
}

}  // namespace
}  // namespace wsup::codec

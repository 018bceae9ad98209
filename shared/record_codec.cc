#include "shared/record_codec.h"

#include <cstring>
#include <string>

namespace wsup::codec {
namespace {

class Writer {
 public:
  explicit Writer(std::span<std::byte> out) : out_(out) {}
  template <typename T>
  void put(T value) {
    std::memcpy(out_.data() + at_, &value, sizeof value);
    at_ += sizeof value;
  }
  void put_bytes(std::string_view bytes) {
    if (!bytes.empty()) std::memcpy(out_.data() + at_, bytes.data(), bytes.size());
    at_ += bytes.size();
  }
  void put_str(const std::string& s) {
    put(static_cast<uint32_t>(s.size()));
    put_bytes(s);
  }
  size_t at() const { return at_; }

 private:
  std::span<std::byte> out_;
  size_t at_ = 0;
};

// Reads forward through untrusted bytes; every read checks what is left, once.
class Reader {
 public:
  explicit Reader(std::span<const std::byte> in) : in_(in) {}
  template <typename T>
  bool get(T& value) {
    if (in_.size() - at_ < sizeof value) return false;
    std::memcpy(&value, in_.data() + at_, sizeof value);
    at_ += sizeof value;
    return true;
  }
  bool get_bytes(uint64_t length, std::string& out) {
    if (in_.size() - at_ < length) return false;
    out.assign(reinterpret_cast<const char*>(in_.data() + at_), static_cast<size_t>(length));
    at_ += static_cast<size_t>(length);
    return true;
  }
  bool get_str(std::string& out) {
    uint32_t length = 0;
    return get(length) && get_bytes(length, out);
  }
  size_t left() const { return in_.size() - at_; }

 private:
  std::span<const std::byte> in_;
  size_t at_ = 0;
};

size_t headers_size(const HeaderList& headers) {
  size_t size = 0;
  for (const auto& [name, value] : headers) size += 8 + name.size() + value.size();
  return size;
}

void put_header(Writer& w, RecordType type, size_t total, uint64_t id, uint32_t flags,
                size_t header_count) {
  w.put(static_cast<uint32_t>(type));
  w.put(static_cast<uint32_t>(total));
  w.put(id);
  w.put(flags);
  w.put(static_cast<uint32_t>(header_count));
}

void put_headers(Writer& w, const HeaderList& headers) {
  for (const auto& [name, value] : headers) {
    w.put_str(name);
    w.put_str(value);
  }
}

void put_body(Writer& w, const std::string& body, bool spill_body) {
  w.put(static_cast<uint64_t>(body.size()));
  if (!spill_body) w.put_bytes(body);
}

DecodeStatus get_headers(Reader& r, uint32_t header_count, HeaderList& headers) {
  // Each header needs at least two length words: refuse counts that cannot fit before reserving.
  if (header_count > r.left() / 8) return DecodeStatus::too_many_headers;
  headers.resize(header_count);
  for (auto& [name, value] : headers) {
    if (!r.get_str(name) || !r.get_str(value)) return DecodeStatus::truncated;
  }
  return DecodeStatus::ok;
}

DecodeStatus get_body(Reader& r, uint64_t max_body_bytes, DecodedRecord& record,
                      std::string& body) {
  uint64_t body_bytes = 0;
  if (!r.get(body_bytes)) return DecodeStatus::truncated;
  if (body_bytes > max_body_bytes) return DecodeStatus::body_too_large;
  record.body_bytes = body_bytes;
  if (!record.body_spilled && !r.get_bytes(body_bytes, body)) return DecodeStatus::truncated;
  return DecodeStatus::ok;
}

DecodeStatus get_status(Reader& r, HttpResponse& response) {
  uint32_t status = 0;
  if (!r.get(status)) return DecodeStatus::truncated;
  if (status < 100 || status > 999) return DecodeStatus::bad_status;
  response.status = static_cast<uint16_t>(status);
  return DecodeStatus::ok;
}

// The fields after the record header, by type. `flags` and `header_count` were read already.
DecodeStatus decode_fields(RecordType type, uint32_t flags, uint32_t header_count, Reader& r,
                           uint64_t max_body_bytes, DecodedRecord& record) {
  DecodeStatus status = DecodeStatus::ok;
  switch (type) {
    case RecordType::request: {
      if ((flags & ~(kBodySpilled | kScheduled)) != 0) return DecodeStatus::bad_flags;
      record.body_spilled = (flags & kBodySpilled) != 0;
      record.request.id = record.request_id;
      if (!r.get_str(record.request.script) || !r.get_str(record.request.method) ||
          !r.get_str(record.request.url))
        return DecodeStatus::truncated;
      if ((status = get_headers(r, header_count, record.request.headers)) != DecodeStatus::ok)
        return status;
      if ((status = get_body(r, max_body_bytes, record, record.request.body)) != DecodeStatus::ok ||
          (flags & kScheduled) == 0)
        return status;
      // Assigned, not emplace()d: clang does not see a nested struct with member initializers
      // as default-constructible inside std::optional (the fuzz build is clang's).
      record.request.scheduled = HttpRequest::Scheduled{};
      HttpRequest::Scheduled& scheduled = *record.request.scheduled;
      return r.get_str(scheduled.cron) && r.get(scheduled.scheduled_time_ms)
                 ? DecodeStatus::ok
                 : DecodeStatus::truncated;
    }
    case RecordType::response: {
      if (flags != 0) return DecodeStatus::bad_flags;
      record.response.id = record.request_id;
      if ((status = get_status(r, record.response)) != DecodeStatus::ok) return status;
      if ((status = get_headers(r, header_count, record.response.headers)) != DecodeStatus::ok)
        return status;
      return get_body(r, max_body_bytes, record, record.response.body);
    }
    case RecordType::head: {
      if ((flags & ~kLengthDeclared) != 0) return DecodeStatus::bad_flags;
      record.response.id = record.request_id;
      if ((status = get_status(r, record.response)) != DecodeStatus::ok) return status;
      if ((status = get_headers(r, header_count, record.response.headers)) != DecodeStatus::ok)
        return status;
      uint64_t length = 0;
      if (!r.get(length)) return DecodeStatus::truncated;
      if ((flags & kLengthDeclared) != 0)
        record.declared_length = length;
      else if (length != 0)
        return DecodeStatus::bad_flags;
      return DecodeStatus::ok;
    }
    case RecordType::chunk: {
      if (flags != 0 || header_count != 0) return DecodeStatus::bad_flags;
      uint64_t length = 0;
      if (!r.get(length)) return DecodeStatus::truncated;
      return r.get_bytes(length, record.chunk) ? DecodeStatus::ok : DecodeStatus::truncated;
    }
    case RecordType::end: {
      if (flags != 0 || header_count != 0) return DecodeStatus::bad_flags;
      uint32_t how = 0;
      if (!r.get(how)) return DecodeStatus::truncated;
      if (how > 1) return DecodeStatus::bad_end;
      record.aborted = how == 1;
      return DecodeStatus::ok;
    }
    case RecordType::error: {
      if (flags != 0 || header_count != 0) return DecodeStatus::bad_flags;
      uint32_t code = 0;
      if (!r.get(code)) return DecodeStatus::truncated;
      if (code == 0 || code > static_cast<uint32_t>(ChannelError::headers_too_large))
        return DecodeStatus::bad_error_code;
      record.error = static_cast<ChannelError>(code);
      return DecodeStatus::ok;
    }
  }
  return DecodeStatus::bad_type;
}

bool known_type(uint32_t type) {
  switch (static_cast<RecordType>(type)) {
    case RecordType::request:
    case RecordType::response:
    case RecordType::error:
    case RecordType::head:
    case RecordType::chunk:
    case RecordType::end:
      return true;
  }
  return false;
}

}  // namespace

const char* to_string(DecodeStatus status) {
  switch (status) {
    case DecodeStatus::ok:
      return "ok";
    case DecodeStatus::truncated:
      return "truncated";
    case DecodeStatus::bad_type:
      return "bad_type";
    case DecodeStatus::bad_total_length:
      return "bad_total_length";
    case DecodeStatus::bad_flags:
      return "bad_flags";
    case DecodeStatus::too_many_headers:
      return "too_many_headers";
    case DecodeStatus::bad_status:
      return "bad_status";
    case DecodeStatus::bad_error_code:
      return "bad_error_code";
    case DecodeStatus::bad_end:
      return "bad_end";
    case DecodeStatus::body_too_large:
      return "body_too_large";
    case DecodeStatus::trailing_bytes:
      return "trailing_bytes";
  }
  return "unknown";
}

size_t encoded_size(const HttpRequest& request, bool spill_body) {
  return kRecordHeaderBytes + 12 + request.script.size() + request.method.size() +
         request.url.size() + headers_size(request.headers) + 8 +
         (spill_body ? 0 : request.body.size()) +
         (request.scheduled ? 4 + request.scheduled->cron.size() + 8 : 0);
}

size_t encoded_size(const HttpResponse& response) {
  return kRecordHeaderBytes + 4 + headers_size(response.headers) + 8 + response.body.size();
}

size_t head_size(const HttpResponse& head) {
  return kRecordHeaderBytes + 4 + headers_size(head.headers) + 8;
}

size_t encode(const HttpRequest& request, bool spill_body, std::span<std::byte> out) {
  Writer w(out);
  put_header(w, RecordType::request, encoded_size(request, spill_body), request.id,
             (spill_body ? kBodySpilled : 0) | (request.scheduled ? kScheduled : 0),
             request.headers.size());
  w.put_str(request.script);
  w.put_str(request.method);
  w.put_str(request.url);
  put_headers(w, request.headers);
  put_body(w, request.body, spill_body);
  if (request.scheduled) {
    w.put_str(request.scheduled->cron);
    w.put(request.scheduled->scheduled_time_ms);
  }
  return w.at();
}

size_t encode(const HttpResponse& response, std::span<std::byte> out) {
  Writer w(out);
  put_header(w, RecordType::response, encoded_size(response), response.id, 0,
             response.headers.size());
  w.put(static_cast<uint32_t>(response.status));
  put_headers(w, response.headers);
  put_body(w, response.body, false);
  return w.at();
}

size_t encode_head(const HttpResponse& head, std::optional<uint64_t> length,
                   std::span<std::byte> out) {
  Writer w(out);
  put_header(w, RecordType::head, head_size(head), head.id, length ? kLengthDeclared : 0,
             head.headers.size());
  w.put(static_cast<uint32_t>(head.status));
  put_headers(w, head.headers);
  w.put(length.value_or(0));
  return w.at();
}

size_t encode_chunk(uint64_t request_id, std::string_view bytes, std::span<std::byte> out) {
  Writer w(out);
  put_header(w, RecordType::chunk, kChunkOverheadBytes + bytes.size(), request_id, 0, 0);
  w.put(static_cast<uint64_t>(bytes.size()));
  w.put_bytes(bytes);
  return w.at();
}

size_t encode_end(uint64_t request_id, bool aborted, std::span<std::byte> out) {
  Writer w(out);
  put_header(w, RecordType::end, kEndRecordBytes, request_id, 0, 0);
  w.put(static_cast<uint32_t>(aborted ? 1 : 0));
  return w.at();
}

size_t encode_error(uint64_t request_id, ChannelError error, std::span<std::byte> out) {
  Writer w(out);
  put_header(w, RecordType::error, kErrorRecordBytes, request_id, 0, 0);
  w.put(static_cast<uint32_t>(error));
  return w.at();
}

DecodedRecord decode(std::span<const std::byte> bytes, uint64_t max_body_bytes) {
  DecodedRecord record;
  Reader header(bytes);
  uint32_t type = 0, total = 0, flags = 0, header_count = 0;
  if (!header.get(type) || !header.get(total) || !header.get(record.request_id) ||
      !header.get(flags) || !header.get(header_count)) {
    record.status = DecodeStatus::truncated;
    return record;
  }
  if (total < kRecordHeaderBytes || total > bytes.size()) {
    record.status = DecodeStatus::bad_total_length;
    return record;
  }
  if (!known_type(type)) {
    record.status = DecodeStatus::bad_type;
    return record;
  }
  record.type = static_cast<RecordType>(type);
  // Decode within the record's own length only; what follows in the arena is not ours.
  Reader r(bytes.subspan(kRecordHeaderBytes, total - kRecordHeaderBytes));
  record.status = decode_fields(record.type, flags, header_count, r, max_body_bytes, record);
  if (record.status == DecodeStatus::ok && r.left() != 0)
    record.status = DecodeStatus::trailing_bytes;
  return record;
}

}  // namespace wsup::codec

// UTF-8 encode/decode and the legacy single-byte decoders (WHATWG Encoding), and
// forgiving-base64 (WHATWG Infra), for encoding.js.
#include <cstdint>
#include <string>
#include <vector>

#include "worker/web/natives.h"
#include "worker/web/single_byte_tables.h"

namespace wsup::worker::web {
namespace {

constexpr char16_t kReplacement = 0xFFFD;

// utf8Encode(string) -> Uint8Array. Lone surrogates become U+FFFD (EF BF BD), as the spec's
// "scalar value string" conversion requires.
void Utf8Encode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::String> text = info[0].As<v8::String>();
  const int length = text->Utf8Length(isolate);
  v8::Local<v8::ArrayBuffer> buffer;
  if (!new_array_buffer(isolate, static_cast<size_t>(length)).ToLocal(&buffer)) return;
  text->WriteUtf8(isolate, static_cast<char*>(buffer->Data()), length, nullptr,
                  v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  info.GetReturnValue().Set(v8::Uint8Array::New(buffer, 0, static_cast<size_t>(length)));
}

// utf8EncodeInto(string, Uint8Array, result) -> result with {read, written}: writes whole
// code points only, stopping when the next one would not fit.
void Utf8EncodeInto(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::String> text = info[0].As<v8::String>();
  v8::Local<v8::Uint8Array> target = info[1].As<v8::Uint8Array>();
  auto* bytes = static_cast<char*>(target->Buffer()->Data()) + target->ByteOffset();
  int read = 0;
  const int written =
      text->WriteUtf8(isolate, bytes, static_cast<int>(target->ByteLength()), &read,
                      v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  v8::Local<v8::Object> result = info[2].As<v8::Object>();
  result->Set(context, one_byte_string(isolate, "read"), v8::Integer::New(isolate, read)).Check();
  result->Set(context, one_byte_string(isolate, "written"), v8::Integer::New(isolate, written))
      .Check();
}

// The WHATWG UTF-8 decoder over bytes[0, size). Returns false on the first error in fatal
// mode. With `stream`, an incomplete sequence at the end is not decoded: *consumed says where
// it starts so the caller can prepend it to the next chunk.
bool DecodeUtf8(const uint8_t* bytes, size_t size, bool fatal, bool stream, std::u16string& out,
                size_t& consumed) {
  uint32_t code_point = 0;
  int needed = 0;
  int seen = 0;
  uint8_t lower = 0x80;
  uint8_t upper = 0xBF;
  size_t sequence_start = 0;
  out.reserve(size);
  for (size_t i = 0; i < size; ++i) {
    const uint8_t byte = bytes[i];
    if (needed == 0) {
      sequence_start = i;
      if (byte <= 0x7F) {
        out.push_back(byte);
      } else if (byte >= 0xC2 && byte <= 0xDF) {
        needed = 1;
        code_point = byte & 0x1F;
      } else if (byte >= 0xE0 && byte <= 0xEF) {
        if (byte == 0xE0) lower = 0xA0;
        if (byte == 0xED) upper = 0x9F;
        needed = 2;
        code_point = byte & 0xF;
      } else if (byte >= 0xF0 && byte <= 0xF4) {
        if (byte == 0xF0) lower = 0x90;
        if (byte == 0xF4) upper = 0x8F;
        needed = 3;
        code_point = byte & 0x7;
      } else {
        if (fatal) return false;
        out.push_back(kReplacement);
      }
      continue;
    }
    if (byte < lower || byte > upper) {
      // The offending byte is not consumed: it starts over as a fresh sequence.
      code_point = 0;
      needed = seen = 0;
      lower = 0x80;
      upper = 0xBF;
      if (fatal) return false;
      out.push_back(kReplacement);
      --i;
      continue;
    }
    lower = 0x80;
    upper = 0xBF;
    code_point = (code_point << 6) | (byte & 0x3F);
    if (++seen != needed) continue;
    if (code_point > 0xFFFF) {
      code_point -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (code_point >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (code_point & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(code_point));
    }
    code_point = 0;
    needed = seen = 0;
  }
  consumed = size;
  if (needed != 0) {
    if (stream) {
      consumed = sequence_start;
    } else {
      if (fatal) return false;
      out.push_back(kReplacement);
    }
  }
  return true;
}

// utf8Decode(Uint8Array, fatal, stream) -> string (stream=false) or [string, consumed]
// (stream=true); throws TypeError for malformed input in fatal mode.
void Utf8Decode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Uint8Array> view = info[0].As<v8::Uint8Array>();
  const bool fatal = info[1]->IsTrue();
  const bool stream = info[2]->IsTrue();
  const auto* bytes = static_cast<const uint8_t*>(view->Buffer()->Data()) + view->ByteOffset();
  const size_t size = view->ByteLength();
  std::u16string decoded;
  size_t consumed = 0;
  if (!DecodeUtf8(bytes, size, fatal, stream, decoded, consumed)) {
    throw_type_error(isolate, "The encoded data was not valid for encoding utf-8");
    return;
  }
  v8::Local<v8::String> text =
      v8::String::NewFromTwoByte(isolate, reinterpret_cast<const uint16_t*>(decoded.data()),
                                 v8::NewStringType::kNormal, static_cast<int>(decoded.size()))
          .ToLocalChecked();
  if (!stream) {
    info.GetReturnValue().Set(text);
    return;
  }
  v8::Local<v8::Value> pair[] = {text, v8::Number::New(isolate, static_cast<double>(consumed))};
  info.GetReturnValue().Set(v8::Array::New(isolate, pair, 2));
}

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char16_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::u16string ReadTwoByte(v8::Isolate* isolate, v8::Local<v8::String> text) {
  std::u16string units(static_cast<size_t>(text->Length()), u'\0');
  text->Write(isolate, reinterpret_cast<uint16_t*>(units.data()), 0, -1,
              v8::String::NO_NULL_TERMINATION);
  return units;
}

// btoa(string) -> base64 string, or undefined when a code unit is above U+00FF.
void Btoa(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const std::u16string input = ReadTwoByte(isolate, info[0].As<v8::String>());
  std::string out;
  out.reserve((input.size() + 2) / 3 * 4);
  for (size_t i = 0; i < input.size(); i += 3) {
    uint32_t chunk = 0;
    const size_t take = std::min<size_t>(3, input.size() - i);
    for (size_t k = 0; k < 3; ++k) {
      const char16_t unit = k < take ? input[i + k] : 0;
      if (unit > 0xFF) return;
      chunk = (chunk << 8) | unit;
    }
    for (size_t k = 0; k < 4; ++k) {
      out.push_back(k <= take ? kBase64Alphabet[(chunk >> (18 - 6 * k)) & 0x3F] : '=');
    }
  }
  info.GetReturnValue().Set(one_byte_string(isolate, out.data(), static_cast<int>(out.size())));
}

// atob(string) -> binary string per forgiving-base64 decode, or undefined on failure.
void Atob(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const std::u16string raw = ReadTwoByte(isolate, info[0].As<v8::String>());
  std::u16string data;
  data.reserve(raw.size());
  for (char16_t c : raw) {  // strip ASCII whitespace: TAB, LF, FF, CR, SPACE
    if (c != 0x09 && c != 0x0A && c != 0x0C && c != 0x0D && c != 0x20) data.push_back(c);
  }
  if (data.size() % 4 == 0 && !data.empty()) {
    if (data.back() == '=') data.pop_back();
    if (data.back() == '=') data.pop_back();
  }
  if (data.size() % 4 == 1) return;
  std::string out;
  out.reserve(data.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char16_t c : data) {
    const int value = Base64Value(c);
    if (value < 0) return;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  info.GetReturnValue().Set(one_byte_string(isolate, out.data(), static_cast<int>(out.size())));
}

std::string ascii_text(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  if (!value->IsString()) return {};
  v8::String::Utf8Value text(isolate, value);
  return *text == nullptr ? std::string() : std::string(*text, text.length());
}

// singleByteEncoding(label) -> the name of the single-byte encoding the label names (already
// trimmed and lower-cased), or undefined.
void SingleByteEncodingForLabel(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const std::string label = ascii_text(isolate, info[0]);
  const SingleByteEncoding* encoding = single_byte_encoding_for_label(label);
  if (encoding == nullptr) return;
  info.GetReturnValue().Set(
      one_byte_string(isolate, encoding->name.data(), static_cast<int>(encoding->name.size())));
}

// singleByteDecode(name, Uint8Array, fatal) -> string, or undefined when `fatal` and a byte
// has no code point in the encoding (otherwise such a byte becomes U+FFFD).
void SingleByteDecode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const SingleByteEncoding* encoding = single_byte_encoding_named(ascii_text(isolate, info[0]));
  if (encoding == nullptr || !info[1]->IsUint8Array()) {
    return throw_type_error(isolate, "singleByteDecode: an encoding name and a Uint8Array");
  }
  v8::Local<v8::Uint8Array> view = info[1].As<v8::Uint8Array>();
  const size_t size = view->ByteLength();
  if (size > static_cast<size_t>(v8::String::kMaxLength)) {
    return throw_type_error(isolate, "The input is too large to decode");
  }
  const auto* bytes =
      static_cast<const uint8_t*>(view->Buffer()->Data()) + (size == 0 ? 0 : view->ByteOffset());
  const bool fatal = info[2]->IsTrue();
  std::u16string text(size, u'\0');
  for (size_t i = 0; i < size; ++i) {
    const uint8_t byte = bytes[i];
    char16_t unit = byte < 0x80 ? byte : encoding->high[byte - 0x80];
    if (unit == 0 && byte >= 0x80) {
      if (fatal) return;
      unit = kReplacement;
    }
    text[i] = unit;
  }
  v8::Local<v8::String> result;
  if (v8::String::NewFromTwoByte(isolate, reinterpret_cast<const uint16_t*>(text.data()),
                                 v8::NewStringType::kNormal, static_cast<int>(size))
          .ToLocal(&result)) {
    info.GetReturnValue().Set(result);
  }
}

constexpr NativeFunction kEncodingNatives[] = {
    {"utf8Encode", Utf8Encode, 1},
    {"utf8EncodeInto", Utf8EncodeInto, 3},
    {"utf8Decode", Utf8Decode, 3},
    {"btoa", Btoa, 1},
    {"atob", Atob, 1},
    {"singleByteEncoding", SingleByteEncodingForLabel, 1},
    {"singleByteDecode", SingleByteDecode, 3},
};

}  // namespace

std::span<const NativeFunction> encoding_natives() {
  return kEncodingNatives;
}

}  // namespace wsup::worker::web

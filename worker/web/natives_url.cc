// The pieces of URL parsing taken from Boost.URL: IPv6 address parsing. Everything WHATWG-
// specific (special schemes, IPv4 number forms, percent-encode sets, serialization) is in
// js/url.js; RFC 3986's IPv6address grammar, which Boost.URL implements, accepts the same
// inputs as the WHATWG IPv6 parser.
#include <boost/url/ipv6_address.hpp>

#include "worker/web/natives.h"

namespace wsup::worker::web {
namespace {

// parseIPv6(string without brackets) -> array of 8 16-bit pieces, or null when invalid.
void ParseIpv6(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::String::Utf8Value text(isolate, info[0]);
  if (*text == nullptr) return;
  auto parsed = boost::urls::parse_ipv6_address(boost::urls::string_view(*text, text.length()));
  if (!parsed) {
    info.GetReturnValue().SetNull();
    return;
  }
  const auto bytes = parsed->to_bytes();
  v8::Local<v8::Value> pieces[8];
  for (int i = 0; i < 8; ++i) {
    pieces[i] = v8::Integer::New(isolate, (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  }
  info.GetReturnValue().Set(v8::Array::New(isolate, pieces, 8));
}

constexpr NativeFunction kUrlNatives[] = {
    {"parseIPv6", ParseIpv6, 1},
};

}  // namespace

std::span<const NativeFunction> url_natives() {
  return kUrlNatives;
}

}  // namespace wsup::worker::web

// Encoders for the tests' bodies (zlib and libbrotlienc), the inverse of content_decoder.h.
#pragma once

#include <string>

namespace wsup::worker::egress::testing {

// zlib's deflate at its best compression: window_bits 15 = zlib wrapper ("deflate"), 15 + 16 =
// gzip, -15 = raw deflate.
std::string zlib_encode(const std::string& text, int window_bits);
std::string brotli_encode(const std::string& text);

}  // namespace wsup::worker::egress::testing

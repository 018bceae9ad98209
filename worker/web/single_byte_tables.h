// The WHATWG Encoding Standard's legacy single-byte encodings (windows-1252, ISO-8859-x, KOI8,
// IBM866, macintosh, ...): bytes 0x00-0x7F are ASCII, bytes 0x80-0xFF map through the
// encoding's index. single_byte_tables.cc is generated (scripts/gen-single-byte-encodings).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace wsup::worker::web {

struct SingleByteEncoding {
  std::string_view name;  // the standard's name, lower-cased (TextDecoder.encoding)
  // The code point of byte 0x80 + i; 0 where the index has none (an error when decoding).
  std::array<uint16_t, 128> high;
};

// The encoding a label names (already stripped of ASCII whitespace and lower-cased), or null
// when it names no single-byte encoding.
const SingleByteEncoding* single_byte_encoding_for_label(std::string_view label);
// The encoding by its lower-cased name, or null.
const SingleByteEncoding* single_byte_encoding_named(std::string_view name);

}  // namespace wsup::worker::web

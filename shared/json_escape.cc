#include "shared/json_escape.h"

#include <cstdio>

namespace wsup {
namespace {

void escape_ascii(unsigned char c, std::string& out) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      if (c < 0x20 || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
  }
}

// The length of the well-formed UTF-8 sequence at text[at] (Unicode's table of well-formed byte
// sequences), or, when it is ill-formed, 0 and in `bad` how many bytes its maximal ill-formed
// prefix spans (at least 1): those become one U+FFFD.
size_t utf8_sequence(std::string_view text, size_t at, size_t& bad) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // the range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // no overlong forms
    if (lead == 0xed) high = 0x9f;  // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;   // no overlong forms
    if (lead == 0xf4) high = 0x8f;  // nothing past U+10FFFF
  } else {
    bad = 1;  // a continuation byte, or a byte no UTF-8 sequence starts with
    return 0;
  }
  for (size_t i = 1; i < length; ++i) {
    const bool in_range = at + i < text.size() && byte(at + i) >= (i == 1 ? low : 0x80) &&
                          byte(at + i) <= (i == 1 ? high : 0xbf);
    if (!in_range) {
      bad = i;
      return 0;
    }
  }
  return length;
}

}  // namespace

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[at]);
    if (c < 0x80) {
      escape_ascii(c, out);
      ++at;
      continue;
    }
    size_t bad = 0;
    if (const size_t length = utf8_sequence(text, at, bad)) {
      out.append(text.substr(at, length));
      at += length;
    } else {
      out += "\\ufffd";
      at += bad;
    }
  }
  return out;
}

}  // namespace wsup

// ASCII case folding for protocol and config text (host names, header names and codings, percent
// escapes, size units): locale-free, and bytes outside A-Z are left as they are.
#pragma once

#include <string_view>

namespace wsup {

constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Equal once both sides are folded with ascii_lower.
constexpr bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

}  // namespace wsup

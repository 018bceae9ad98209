// The version wsup reports (`wsup --version`, `wsup status`, the Debian package's name): the
// CMake project's, passed in as WSUP_VERSION by supervisor/CMakeLists.txt.
#pragma once

namespace wsup::supervisor {

inline constexpr const char* kVersion = WSUP_VERSION;

}  // namespace wsup::supervisor

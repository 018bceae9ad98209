# Finds V8 10.2 as shipped in Debian bookworm's libnode108 + libnode-dev and defines V8::V8.
#
# Search order: WSUP_V8_PREFIX (scripts/setup unpacks the two .deb files there), then a
# system-wide libnode-dev. /usr/include/node may instead hold Node.js 20's headers (V8 11.3),
# which compile against libnode 108 and then break at run time, so the header version is checked.
set(WSUP_V8_PREFIX "${CMAKE_SOURCE_DIR}/build/deps/libnode/usr" CACHE PATH
    "Prefix holding the unpacked libnode-dev (include/node) and libnode108 (lib/...)")

find_path(V8_INCLUDE_DIR v8-version.h
  PATHS "${WSUP_V8_PREFIX}/include/node" NO_DEFAULT_PATH)
find_library(V8_LIBRARY NAMES node libnode.so.108
  PATHS "${WSUP_V8_PREFIX}/lib/x86_64-linux-gnu" NO_DEFAULT_PATH)
if(NOT V8_INCLUDE_DIR OR NOT V8_LIBRARY)
  if(EXISTS /usr/lib/x86_64-linux-gnu/libnode.so.108 AND EXISTS /usr/include/node/v8-version.h)
    set(V8_INCLUDE_DIR /usr/include/node CACHE PATH "" FORCE)
    set(V8_LIBRARY /usr/lib/x86_64-linux-gnu/libnode.so.108 CACHE FILEPATH "" FORCE)
  endif()
endif()

if(V8_INCLUDE_DIR AND EXISTS "${V8_INCLUDE_DIR}/v8-version.h")
  file(STRINGS "${V8_INCLUDE_DIR}/v8-version.h" _v8_major REGEX "^#define V8_MAJOR_VERSION")
  file(STRINGS "${V8_INCLUDE_DIR}/v8-version.h" _v8_minor REGEX "^#define V8_MINOR_VERSION")
  string(REGEX MATCH "[0-9]+$" _v8_major "${_v8_major}")
  string(REGEX MATCH "[0-9]+$" _v8_minor "${_v8_minor}")
  set(V8_VERSION "${_v8_major}.${_v8_minor}")
  # major.minor.build.patch, for wsup_build_info (the supervisor does not link V8 to ask it).
  file(STRINGS "${V8_INCLUDE_DIR}/v8-version.h" _v8_build REGEX "^#define V8_BUILD_NUMBER")
  file(STRINGS "${V8_INCLUDE_DIR}/v8-version.h" _v8_patch REGEX "^#define V8_PATCH_LEVEL")
  string(REGEX MATCH "[0-9]+$" _v8_build "${_v8_build}")
  string(REGEX MATCH "[0-9]+$" _v8_patch "${_v8_patch}")
  set(V8_FULL_VERSION "${V8_VERSION}.${_v8_build}.${_v8_patch}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(V8 REQUIRED_VARS V8_LIBRARY V8_INCLUDE_DIR VERSION_VAR V8_VERSION
  FAIL_MESSAGE "V8 (libnode108 + libnode-dev) not found: run scripts/setup first")

if(V8_FOUND AND NOT V8_VERSION VERSION_EQUAL "10.2")
  message(FATAL_ERROR "V8 headers in ${V8_INCLUDE_DIR} are version ${V8_VERSION}, but wsup links "
                      "libnode108 (V8 10.2). Run scripts/setup, which unpacks the matching headers.")
endif()

if(V8_FOUND AND NOT TARGET V8::V8)
  add_library(V8::V8 SHARED IMPORTED)
  # Debian builds V8 without pointer compression and without the sandbox; the embedder must
  # not define V8_COMPRESS_POINTERS or V8_ENABLE_SANDBOX either.
  set_target_properties(V8::V8 PROPERTIES
    IMPORTED_LOCATION "${V8_LIBRARY}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${V8_INCLUDE_DIR}"
    INTERFACE_INCLUDE_DIRECTORIES "${V8_INCLUDE_DIR}")
  get_filename_component(V8_LIBRARY_DIR "${V8_LIBRARY}" DIRECTORY)
  # Binaries find the unpacked libnode through their rpath, without LD_LIBRARY_PATH.
  set(CMAKE_BUILD_RPATH "${CMAKE_BUILD_RPATH};${V8_LIBRARY_DIR}")
  set(CMAKE_INSTALL_RPATH "${CMAKE_INSTALL_RPATH};${V8_LIBRARY_DIR}")
endif()
mark_as_advanced(V8_INCLUDE_DIR V8_LIBRARY)

# wsup_join_js(OUTPUT <file.js> FILES <part.js>...)
#   Generates <file.js> at build time by concatenating the parts, in order (re-run when one
#   changes). For wrapping a vendored JavaScript file (build/deps/npm/...) in wsup's own prelude
#   and epilogue so that it can be embedded with wsup_embed_js (cmake/WsupEmbedJs.cmake) like
#   any other file: the vendored file stays byte for byte what its pinned integrity says.
#
# Run as a script (cmake -P), this file does the joining: -DWSUP_JOIN_OUTPUT=... -DWSUP_JOIN_FILES=...
if(CMAKE_SCRIPT_MODE_FILE)
  set(_text "")
  foreach(_path IN LISTS WSUP_JOIN_FILES)
    file(READ "${_path}" _part)
    get_filename_component(_name "${_path}" NAME)
    string(APPEND _text "// ---- ${_name}\n${_part}\n")
  endforeach()
  file(WRITE "${WSUP_JOIN_OUTPUT}.tmp" "${_text}")
  file(COPY_FILE "${WSUP_JOIN_OUTPUT}.tmp" "${WSUP_JOIN_OUTPUT}" ONLY_IF_DIFFERENT)
  file(REMOVE "${WSUP_JOIN_OUTPUT}.tmp")
  return()
endif()

function(wsup_join_js)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "OUTPUT" "FILES")
  if(NOT arg_OUTPUT OR NOT arg_FILES)
    message(FATAL_ERROR "wsup_join_js needs OUTPUT and FILES")
  endif()
  set(files "")
  foreach(file IN LISTS arg_FILES)
    get_filename_component(file "${file}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND files "${file}")
  endforeach()
  get_filename_component(name "${arg_OUTPUT}" NAME)
  add_custom_command(
    OUTPUT "${arg_OUTPUT}"
    COMMAND ${CMAKE_COMMAND} "-DWSUP_JOIN_OUTPUT=${arg_OUTPUT}" "-DWSUP_JOIN_FILES=${files}"
            -P "${CMAKE_CURRENT_FUNCTION_LIST_FILE}"
    DEPENDS ${files} "${CMAKE_CURRENT_FUNCTION_LIST_FILE}"
    COMMENT "Joining JavaScript into ${name}"
    VERBATIM)
endfunction()

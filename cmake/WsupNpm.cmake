# npm packages pinned in third_party/npm-packages.txt, as scripts/setup (scripts/npm-packages)
# unpacked them into build/deps/npm/<name>/.
#
# wsup_npm_file(<out_var> <package> <path inside the package>)
#   Sets <out_var> to the file's absolute path. Configuring fails, naming the fix, when the
#   package is missing or is not the version and integrity the list pins (the list changed and
#   scripts/setup has not run since).
set(WSUP_NPM_DEPS "${PROJECT_SOURCE_DIR}/build/deps/npm"
    CACHE PATH "Where scripts/setup unpacked the npm packages of third_party/npm-packages.txt")

function(wsup_npm_file out_var package path)
  set(list "${PROJECT_SOURCE_DIR}/third_party/npm-packages.txt")
  file(STRINGS "${list}" lines REGEX "^${package}@")
  list(LENGTH lines count)
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "${list} must pin ${package} exactly once (found ${count} lines)")
  endif()
  string(REGEX MATCH "^[^ ]+ +([^ ]+)" _ "${lines}")
  set(integrity "${CMAKE_MATCH_1}")
  set(dir "${WSUP_NPM_DEPS}/${package}")
  set(stamp "")
  if(EXISTS "${dir}/.wsup-integrity")
    file(STRINGS "${dir}/.wsup-integrity" stamp LIMIT_COUNT 1)
  endif()
  if(NOT stamp STREQUAL integrity OR NOT EXISTS "${dir}/${path}")
    message(FATAL_ERROR "npm package ${lines} is missing from ${dir} or is another version: "
                        "run scripts/setup")
  endif()
  # Re-configure when the pin or the unpacked package changes.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${list}"
                                                                "${dir}/.wsup-integrity")
  set(${out_var} "${dir}/${path}" PARENT_SCOPE)
endfunction()

# Project-wide compile options: warnings (errors in CI) and sanitizer builds.
add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-unused-parameter)
if(WSUP_WERROR)
  add_compile_options(-Werror)
endif()
if(WSUP_SANITIZE)
  # libnode is built without RTTI, so UBSan's vptr check cannot see V8's type info.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined -fno-sanitize=vptr)
endif()
if(WSUP_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

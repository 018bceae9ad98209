# `cmake --install` and the Debian package (CPack).
#
# Layout under the prefix, relocatable: the tree works wherever it is unpacked.
#   bin/wsup                       the supervisor (no V8; finds the worker at ../lib/wsup/)
#   lib/wsup/wsup-worker           RUNPATH $ORIGIN: loads the libnode beside it
#   lib/wsup/libnode.so.108        wsup's private copy of Debian's libnode108 (V8 10.2): no
#                                  system-wide libnode108, which conflicts with NodeSource's nodejs
#   lib/systemd/system/wsup.service
#   share/wsup/examples/           cluster.yaml + hello.js as installed in etc
#   share/doc/wsup/                README.md, CONFIG.md, OPERATIONS.md
#   etc/wsup/cluster.yaml, hello.js  the service's config; a prefix ending in /usr (the package's)
#                                  puts it in the sibling /etc/wsup instead (FHS)
include(GNUInstallDirs)

set(WSUP_WORKER_INSTALL_DIR "lib/wsup")
set_target_properties(wsup PROPERTIES INSTALL_RPATH "")
set_target_properties(wsup-worker PROPERTIES INSTALL_RPATH "$ORIGIN")
install(TARGETS wsup RUNTIME DESTINATION bin)
install(TARGETS wsup-worker RUNTIME DESTINATION ${WSUP_WORKER_INSTALL_DIR})
# The real file behind V8_LIBRARY, installed under its soname (what wsup-worker's NEEDED names).
get_filename_component(_wsup_libnode_real "${V8_LIBRARY}" REALPATH)
install(FILES "${_wsup_libnode_real}" DESTINATION ${WSUP_WORKER_INSTALL_DIR}
        RENAME libnode.so.108)

install(FILES packaging/wsup.service DESTINATION lib/systemd/system)
install(FILES packaging/cluster.yaml config/examples/hello.js DESTINATION share/wsup/examples)
install(FILES README.md docs/CONFIG.md docs/OPERATIONS.md DESTINATION share/doc/wsup)
# The destination is decided when installing (escaped variable), not when configuring: CPack
# installs with its own prefix (<staging>/usr).
install(CODE [[
  if(CMAKE_INSTALL_PREFIX MATCHES "/usr/?$")
    set(WSUP_ETC_DIR "../etc/wsup")
  else()
    set(WSUP_ETC_DIR "etc/wsup")
  endif()
]])
install(FILES packaging/cluster.yaml config/examples/hello.js DESTINATION "\${WSUP_ETC_DIR}")

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "wsup")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "wsup team <wsup@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Cloudflare-Workers-style JavaScript on every core (supervisor + V8 worker processes)")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")  # wsup_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE "amd64")
set(CPACK_DEBIAN_PACKAGE_SECTION "web")
set(CPACK_DEBIAN_COMPRESSION_TYPE "gzip")  # xz takes minutes for libnode on a busy machine
# Debian bookworm's packages for what the binaries and the private libnode link (ldd), plus
# adduser for the maintainer script. Listed, not computed: dpkg-shlibdeps cannot resolve the
# private libnode.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6 (>= 2.36), libstdc++6 (>= 12), libgcc-s1, libyaml-cpp0.7, libssl3, zlib1g, libbrotli1, libsystemd0, libuv1, libicu72, libc-ares2, libnghttp2-14, adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/debian/postinst;${PROJECT_SOURCE_DIR}/packaging/debian/prerm;${PROJECT_SOURCE_DIR}/packaging/debian/postrm;${PROJECT_SOURCE_DIR}/packaging/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

# Install rules for C++ users (included from the top level when
# SLIPWAY_INSTALL is ON). `cmake --install <build> --prefix <prefix>` lays out
#
#   <prefix>/include/slipway/...                        the public headers
#   <prefix>/<libdir>/libslipway.a                      the library
#   <prefix>/<libdir>/cmake/slipway/slipway*.cmake      find_package(slipway CONFIG)
#   <prefix>/<libdir>/pkgconfig/slipway.pc              pkg-config slipway
#
# libslipway.a is made of the module OBJECT libraries' objects
# ($<TARGET_OBJECTS:...>), so it is the only target exported; its public link
# interface is SLIPWAY_EXTERNAL_LIBS. The find_dependency() calls of the CMake
# package are derived from that list, and the pkg-config Requires from
# SLIPWAY_PKGCONFIG_REQUIRES, checked against it below. tests/install builds a
# program against both.
include(CMakePackageConfigHelpers)

set(SLIPWAY_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/slipway"
  CACHE STRING "Where the CMake package files are installed (relative to the prefix)")
set(SLIPWAY_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
  CACHE STRING "Where slipway.pc is installed (relative to the prefix)")

# --- What each external library needs downstream ---------------------------
# For each namespace in SLIPWAY_EXTERNAL_LIBS: the find_dependency() call the
# CMake package makes, and the pkg-config module that must then appear in
# SLIPWAY_PKGCONFIG_REQUIRES ("" when the library is a flag, not a module).
# A dependency added to the top-level list needs a line here.
set(_slipway_deps_absl      "absl CONFIG"   "absl_@NAME@")
set(_slipway_deps_protobuf  "Protobuf"      "protobuf")
set(_slipway_deps_Threads   "Threads"       "")
set(_slipway_deps_SQLite    "SQLite3"       "sqlite3")
set(_slipway_deps_nlohmann_json "nlohmann_json CONFIG" "nlohmann_json")
set(_slipway_deps_PostgreSQL "PostgreSQL"   "libpq")
set(_slipway_deps_OpenSSL   "OpenSSL 3 COMPONENTS Crypto" "libcrypto")

set(SLIPWAY_FIND_DEPENDENCIES "")
set(_slipway_seen_packages "")
string(REPLACE " " ";" _slipway_pc_requires "${SLIPWAY_PKGCONFIG_REQUIRES}")
foreach(_slipway_lib IN LISTS SLIPWAY_EXTERNAL_LIBS)
  if(NOT _slipway_lib MATCHES "^([A-Za-z0-9_]+)::(.+)$")
    message(FATAL_ERROR
      "SlipwayInstall: SLIPWAY_EXTERNAL_LIBS entry '${_slipway_lib}' is not an imported "
      "target (namespace::name); the installed package cannot name it.")
  endif()
  set(_slipway_ns "${CMAKE_MATCH_1}")
  set(_slipway_name "${CMAKE_MATCH_2}")
  if(NOT DEFINED _slipway_deps_${_slipway_ns})
    message(FATAL_ERROR
      "SlipwayInstall: no rule for '${_slipway_lib}' in cmake/SlipwayInstall.cmake. Add "
      "a line `set(_slipway_deps_${_slipway_ns} \"<find_dependency args>\" "
      "\"<pkg-config module>\")` so the installed CMake package and slipway.pc "
      "pull it in.")
  endif()
  list(GET _slipway_deps_${_slipway_ns} 0 _slipway_find_args)
  list(GET _slipway_deps_${_slipway_ns} 1 _slipway_pc_module)
  if(NOT _slipway_find_args IN_LIST _slipway_seen_packages)
    list(APPEND _slipway_seen_packages "${_slipway_find_args}")
    string(APPEND SLIPWAY_FIND_DEPENDENCIES "find_dependency(${_slipway_find_args})\n")
  endif()
  string(REPLACE "@NAME@" "${_slipway_name}" _slipway_pc_module "${_slipway_pc_module}")
  if(_slipway_pc_module AND NOT _slipway_pc_module IN_LIST _slipway_pc_requires)
    message(FATAL_ERROR
      "SlipwayInstall: slipway links ${_slipway_lib} but SLIPWAY_PKGCONFIG_REQUIRES "
      "(top-level CMakeLists.txt) lacks the pkg-config module '${_slipway_pc_module}'; "
      "add it, or `pkg-config --libs slipway` will not link.")
  endif()
endforeach()

# --- Library, headers, CMake package -----------------------------------------
install(TARGETS slipway
  EXPORT slipwayTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/slipway"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  FILES_MATCHING PATTERN "*.h")

install(EXPORT slipwayTargets
  NAMESPACE slipway::
  FILE slipwayTargets.cmake
  DESTINATION "${SLIPWAY_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/slipwayConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/slipwayConfig.cmake"
  INSTALL_DESTINATION "${SLIPWAY_INSTALL_CMAKEDIR}")
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/slipwayConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/slipwayConfig.cmake"
  "${PROJECT_BINARY_DIR}/slipwayConfigVersion.cmake"
  DESTINATION "${SLIPWAY_INSTALL_CMAKEDIR}")

# --- pkg-config ----------------------------------------------------------------
# The .pc file names absolute directories, so it is written at install time,
# when the prefix is known (`cmake --install --prefix` may differ from
# CMAKE_INSTALL_PREFIX at configure time). Everything else is substituted now.
string(REPLACE ";" " " SLIPWAY_PC_REQUIRES "${_slipway_pc_requires}")
# What Threads::Threads stands for on this platform ("-pthread", or nothing
# where libc has the threads).
set(SLIPWAY_PC_THREAD_LIBS "${CMAKE_THREAD_LIBS_INIT}")
set(SLIPWAY_PC_PREFIX "@SLIPWAY_PC_PREFIX@")  # kept for the install step
foreach(_slipway_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_slipway_dir}}")
    set(SLIPWAY_PC_${_slipway_dir} "${CMAKE_INSTALL_${_slipway_dir}}")
  else()
    set(SLIPWAY_PC_${_slipway_dir} "\${prefix}/${CMAKE_INSTALL_${_slipway_dir}}")
  endif()
endforeach()
configure_file("${CMAKE_CURRENT_LIST_DIR}/slipway.pc.in"
  "${PROJECT_BINARY_DIR}/slipway.pc.in" @ONLY)
install(CODE "
  set(SLIPWAY_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/slipway.pc.in\"
    \"${PROJECT_BINARY_DIR}/slipway.pc\" @ONLY)
  if(IS_ABSOLUTE \"${SLIPWAY_INSTALL_PKGCONFIGDIR}\")
    set(_slipway_pc_dest \"${SLIPWAY_INSTALL_PKGCONFIGDIR}\")
  else()
    set(_slipway_pc_dest \"\${CMAKE_INSTALL_PREFIX}/${SLIPWAY_INSTALL_PKGCONFIGDIR}\")
  endif()
  file(INSTALL DESTINATION \"\${_slipway_pc_dest}\" TYPE FILE
    FILES \"${PROJECT_BINARY_DIR}/slipway.pc\")
")

# slipway_module(NAME <name> SOURCES ... [DEPS <module> ...] [EXTERNAL <target> ...])
#
# Declares one module of the core as an OBJECT library `slipway_<name>`.
# DEPS are other slipway modules (names without the prefix) and must be
# modules *below* this one in DESIGN.md's layer list; EXTERNAL are imported
# targets (absl::..., SQLite::SQLite3). The module's objects are appended to
# SLIPWAY_MODULE_OBJECTS, which the top level folds into libslipway.a.
function(slipway_module)
  cmake_parse_arguments(M "" "NAME" "SOURCES;DEPS;EXTERNAL" ${ARGN})
  set(target slipway_${M_NAME})
  add_library(${target} OBJECT ${M_SOURCES})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/proto>)
  # The closure (this module and every module below it that it uses) is
  # kept on the target: object libraries do not pass their objects on
  # transitively, so an executable that uses a module links its closure.
  set(closure ${target})
  foreach(dep IN LISTS M_DEPS)
    target_link_libraries(${target} PUBLIC slipway_${dep})
    get_target_property(dep_closure slipway_${dep} SLIPWAY_CLOSURE)
    list(APPEND closure ${dep_closure})
  endforeach()
  list(REMOVE_DUPLICATES closure)
  set_target_properties(${target} PROPERTIES SLIPWAY_CLOSURE "${closure}")
  target_link_libraries(${target} PUBLIC ${M_EXTERNAL})
  target_compile_options(${target} PRIVATE
    $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wno-unused-parameter>)
  set_property(GLOBAL APPEND PROPERTY SLIPWAY_MODULE_OBJECTS $<TARGET_OBJECTS:${target}>)
endfunction()

# slipway_test(NAME <name> SOURCES ... LINK <targets> [LABELS ...])
#
# One GoogleTest executable, registered test by test with ctest. Tests carry
# the `fast` label unless LABELS says otherwise (`slow` for fault loops,
# crash tests and soak runs).
function(slipway_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LINK;LABELS" ${ARGN})
  if(NOT T_LABELS)
    set(T_LABELS fast)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  slipway_link_modules(${T_NAME} ${T_LINK})
  target_link_libraries(${T_NAME} PRIVATE GTest::gmock GTest::gtest_main)
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  gtest_discover_tests(${T_NAME}
    PROPERTIES LABELS "${T_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()

# slipway_link_modules(<target> <item>...)
#
# Links <target> to each item; a slipway module brings its whole closure of
# object files (see slipway_module), anything else is linked as given.
function(slipway_link_modules target)
  foreach(item IN LISTS ARGN)
    if(TARGET ${item})
      get_target_property(closure ${item} SLIPWAY_CLOSURE)
    else()
      set(closure closure-NOTFOUND)
    endif()
    if(closure)
      target_link_libraries(${target} PRIVATE ${closure})
    else()
      target_link_libraries(${target} PRIVATE ${item})
    endif()
  endforeach()
endfunction()

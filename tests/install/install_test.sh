#!/usr/bin/env bash
# Installs a slipway build tree into a fresh temporary prefix
# (`cmake --install`) and builds tests/install/consumer/main.cc against what
# was installed, as a C++ user would:
#
#   cmake       find_package(slipway CONFIG REQUIRED) + slipway::slipway;
#               examples/serving (the example service) too
#   pkg-config  c++ -std=c++20 main.cc $(pkg-config --cflags --libs slipway),
#               then fully static with `pkg-config --libs --static` and
#               `-static`, which links only if slipway.pc names every library
#               libslipway.a needs
#
# Each built program must run and exit 0 (tests/install/consumer/main.cc says
# what it checks). Prints "N passed, N failed"; exits non-zero on a failure.
# ctest runs it (tests/install/CMakeLists.txt, label `install`); by hand:
#
#   tests/install/install_test.sh --build-dir build [--mode all]
#
# Options: --build-dir DIR (required; built already), --mode
# cmake|pkg-config|all, --config CFG (multi-config builds), --generator G and
# --cxx PATH (for the consumer), --cmake PATH, --pkg-config PATH. Set
# KEEP_WORK=1 to keep the temporary directory for inspection.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_dir=""
mode=all
config=""
generator=""
cxx=${CXX:-c++}
cmake=cmake
pkg_config=${PKG_CONFIG:-pkg-config}

die() { echo "install_test.sh: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --generator) generator=$2; shift 2 ;;
    --cxx) cxx=$2; shift 2 ;;
    --cmake) cmake=$2; shift 2 ;;
    --pkg-config) pkg_config=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ -n $build_dir ]] || die "--build-dir is required"
[[ -f $build_dir/cmake_install.cmake ]] ||
  die "$build_dir is not a configured slipway build (no cmake_install.cmake; is SLIPWAY_INSTALL ON?)"
case $mode in cmake|pkg-config|all) ;; *) die "--mode must be cmake, pkg-config or all" ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/slipway-install-test.XXXXXX")
if [[ ${KEEP_WORK:-0} == 1 ]]; then
  echo "keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi
prefix=$work/prefix
passed=0
failed=0

# check NAME COMMAND...: runs COMMAND with its output in $work/NAME.log;
# prints PASS or FAIL (and the log on failure).
check() {
  local name=$1; shift
  local log="$work/$name.log"
  if "$@" >"$log" 2>&1; then
    echo "PASS  $name"
    passed=$((passed + 1))
  else
    echo "FAIL  $name"
    sed 's/^/      | /' "$log"
    failed=$((failed + 1))
  fi
}

install_prefix() {
  "$cmake" --install "$build_dir" --prefix "$prefix" ${config:+--config "$config"} &&
    [[ -f $(find "$prefix" -name libslipway.a -print -quit) ]] &&
    [[ -f $prefix/include/slipway/slipway.h ]] &&
    [[ -f $prefix/include/slipway/testing/fake_clock.h ]]
}

consumer_cmake() {
  local out=$work/consumer-cmake
  "$cmake" -S "$here/consumer" -B "$out" ${generator:+-G "$generator"} \
      -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
      -DSLIPWAY_EXPECTED_PREFIX="$prefix" &&
    "$cmake" --build "$out" ${config:+--config "$config"} &&
    "$(find "$out" -name consumer -type f -perm -u+x -print -quit)"
}

# examples/serving (the example C++ service) as a standalone project
# against the installed package: it uses the Store, the registry, the
# Router and the testing FakeClock, so it links the whole library.
serving_example_cmake() {
  local out=$work/serving-cmake
  "$cmake" -S "$here/../../examples/serving" -B "$out" ${generator:+-G "$generator"} \
      -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF &&
    "$cmake" --build "$out" ${config:+--config "$config"} &&
    "$(find "$out" -name fraud_service -type f -perm -u+x -print -quit)" --help
}

# pkg-config with only the test prefix added to the search path.
pc() {
  local pcdir
  pcdir=$(dirname "$(find "$prefix" -name slipway.pc -print -quit)")
  PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" "$pkg_config" "$@"
}

consumer_pkg_config() {
  local version flags
  version=$(pc --modversion slipway) || return 1
  flags=$(pc --cflags --libs slipway) || return 1
  echo "pkg-config --cflags --libs slipway: $flags"
  # shellcheck disable=SC2086  # the flags are meant to be split
  "$cxx" -std=c++20 -DSLIPWAY_EXPECTED_VERSION="\"$version\"" \
      "$here/consumer/main.cc" $flags -o "$work/consumer-pc" &&
    "$work/consumer-pc"
}

consumer_pkg_config_static() {
  local version flags
  version=$(pc --modversion slipway) || return 1
  flags=$(pc --cflags --libs --static slipway) || return 1
  echo "pkg-config --cflags --libs --static slipway: $flags"
  # shellcheck disable=SC2086
  "$cxx" -static -std=c++20 -DSLIPWAY_EXPECTED_VERSION="\"$version\"" \
      "$here/consumer/main.cc" $flags -o "$work/consumer-pc-static" &&
    "$work/consumer-pc-static"
}

check "cmake --install into a temp prefix" install_prefix
if [[ $failed -eq 0 ]]; then
  if [[ $mode == cmake || $mode == all ]]; then
    check "find_package(slipway CONFIG) consumer builds and runs" consumer_cmake
    check "the example serving service (examples-serving) builds against the installed package" serving_example_cmake
  fi
  if [[ $mode == pkg-config || $mode == all ]]; then
    if command -v "$pkg_config" >/dev/null; then
      check "pkg-config --cflags --libs slipway consumer builds and runs" consumer_pkg_config
      check "pkg-config --libs --static slipway links with -static" consumer_pkg_config_static
    else
      echo "FAIL  pkg-config: '$pkg_config' not found"
      failed=$((failed + 1))
    fi
  fi
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

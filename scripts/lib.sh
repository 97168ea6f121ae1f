# Shared by scripts/demo and scripts/test: where things are and how to build.
# Sourced, not executed.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${SLIPWAY_BUILD_DIR:-$ROOT/build}
# Debian's interpreter has Debian's pytest and numpy (TOOLCHAIN.md); the
# module built for it also imports under the pyenv 3.11 (same ABI tag).
PYTHON=${SLIPWAY_PYTHON:-/usr/bin/python3}
JOBS=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}

# configure_and_build [build args...], e.g. `configure_and_build --target _slipway`
configure_and_build() {
  mkdir -p "$BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE="${SLIPWAY_BUILD_TYPE:-RelWithDebInfo}" \
    -DSLIPWAY_BUILD_TESTS=ON -DSLIPWAY_BUILD_PYTHON=ON \
    -DPython_EXECUTABLE="$PYTHON" >"$BUILD_DIR/configure.log" 2>&1 || {
    cat "$BUILD_DIR/configure.log" >&2
    echo "configure failed (log above); did scripts/bootstrap run?" >&2
    return 1
  }
  cmake --build "$BUILD_DIR" -j "$JOBS" "$@"
}

"""Builds the `_slipway` extension module with CMake and Ninja.

The build directory is `<source>/build/pep517-<tag>-<hash>-<build type>`,
keyed by the interpreter, so a second `pip install` only recompiles what changed and two
interpreters never share a CMake cache (CMake remembers the first Python it
finds per build directory). The key is the *base* interpreter: every venv of
/usr/bin/python3 shares one build directory, because a module built for the
base interpreter is the module its venvs load, and venvs made for one install
would otherwise rebuild everything from scratch.
"""

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile

from ._errors import BuildError

BOOTSTRAP_HINT = ("run scripts/bootstrap first (it installs CMake, Ninja, a C++20 "
                  "compiler and the libraries slipway builds against), then retry.")

_BUILD_TYPES = ("Release", "Debug", "RelWithDebInfo", "MinSizeRel")


def base_interpreter():
    """The interpreter a venv was made from (itself outside a venv)."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def build_dir_for(source_dir):
    """Returns the build directory for the running interpreter and
    SLIPWAY_BUILD_TYPE (switching build types would recompile everything)."""
    interpreter = base_interpreter()
    ext_suffix = sysconfig.get_config_var("EXT_SUFFIX") or ""
    digest = hashlib.sha256(f"{interpreter}\n{ext_suffix}".encode()).hexdigest()[:10]
    name = f"pep517-{sys.implementation.cache_tag}-{digest}-{_build_type().lower()}"
    parent = os.path.join(source_dir, "build")
    try:
        os.makedirs(parent, exist_ok=True)
        if os.access(parent, os.W_OK):
            return os.path.join(parent, name)
    except OSError:
        pass
    # A read-only source tree: build next to it in the temp directory.
    tree = hashlib.sha256(os.path.abspath(source_dir).encode()).hexdigest()[:10]
    return os.path.join(tempfile.gettempdir(), f"slipway-build-{tree}", name)


def _build_type():
    value = os.environ.get("SLIPWAY_BUILD_TYPE", "Release")
    if value not in _BUILD_TYPES:
        raise BuildError(f"SLIPWAY_BUILD_TYPE={value!r} is not one of "
                         f"{', '.join(_BUILD_TYPES)}")
    return value


def _parallel_level():
    value = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "") or "2"
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise BuildError(f"CMAKE_BUILD_PARALLEL_LEVEL={value!r} is not a positive "
                         "number of jobs")
    return jobs


def _read_cache(build_dir):
    """Returns {name: value} from build_dir/CMakeCache.txt ({} if absent)."""
    entries = {}
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt"), encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line.startswith(("#", "//")) or "=" not in line:
                    continue
                key, value = line.split("=", 1)
                entries[key.split(":", 1)[0]] = value
    except OSError:
        pass
    return entries


@contextlib.contextmanager
def _locked(build_dir):
    """Serializes builds in one directory (two pip runs at once)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    with open(build_dir + ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _run(cmd, what, build_dir):
    print("slipway_build: " + " ".join(cmd), flush=True)
    sys.stderr.flush()
    try:
        # The output goes to the frontend (pip shows it with -v or on failure).
        result = subprocess.run(cmd, check=False)
    except OSError as e:
        raise BuildError(f"{what}: cannot run {cmd[0]} ({e}); {BOOTSTRAP_HINT}") from e
    if result.returncode != 0:
        raise BuildError(
            f"{what} failed (exit status {result.returncode}; the error is in "
            f"the output above). If a tool, header or library is missing, "
            f"{BOOTSTRAP_HINT} Build directory: {build_dir}")


def build_extension(source_dir, output_dir):
    """Configures and builds target `_slipway` with its output in
    `output_dir`; returns the path of the built module."""
    cmake = shutil.which("cmake")
    if cmake is None:
        raise BuildError("CMake was not found on PATH (slipway's Python package "
                         f"compiles its C++ core with CMake): {BOOTSTRAP_HINT}")
    ninja = shutil.which("ninja") or shutil.which("ninja-build")
    if ninja is None:
        raise BuildError("Ninja was not found on PATH (slipway builds with "
                         f"CMake's Ninja generator): {BOOTSTRAP_HINT}")

    source_dir = os.path.abspath(source_dir)
    output_dir = os.path.abspath(output_dir)
    build_dir = build_dir_for(source_dir)
    os.makedirs(build_dir, exist_ok=True)
    definitions = {
        "CMAKE_BUILD_TYPE": _build_type(),
        "CMAKE_MAKE_PROGRAM": ninja,
        "SLIPWAY_BUILD_PYTHON": "ON",
        "SLIPWAY_BUILD_TESTS": "OFF",
        "SLIPWAY_BUILD_BENCHMARKS": "OFF",
        "SLIPWAY_BUILD_FUZZERS": "OFF",
        "SLIPWAY_INSTALL": "OFF",
        "Python_EXECUTABLE": base_interpreter(),
        "SLIPWAY_PYTHON_OUTPUT_DIR": output_dir,
    }
    with _locked(build_dir):
        cache = _read_cache(build_dir)
        home = cache.get("CMAKE_HOME_DIRECTORY")
        generator = cache.get("CMAKE_GENERATOR")
        if (home is not None and os.path.realpath(home) != os.path.realpath(source_dir)) \
                or generator not in (None, "Ninja"):
            # The tree was moved or copied along with its build directory, or
            # someone configured it by hand with another generator.
            print(f"slipway_build: {build_dir} was configured for {home} with "
                  f"{generator}; starting afresh", flush=True)
            shutil.rmtree(build_dir)
            os.makedirs(build_dir)
            cache = {}
        # Reconfigure only when a setting changed: `cmake --build` reruns
        # CMake by itself when a CMakeLists.txt changed, and a configure run
        # costs seconds.
        if not os.path.exists(os.path.join(build_dir, "build.ninja")) or any(
                cache.get(k) != v for k, v in definitions.items()):
            _run([cmake, "-S", source_dir, "-B", build_dir, "-G", "Ninja"]
                 + [f"-D{k}={v}" for k, v in definitions.items()],
                 "Configuring slipway with CMake", build_dir)
        _run([cmake, "--build", build_dir, "--target", "_slipway",
              "--parallel", str(_parallel_level())],
             "Compiling slipway's C++ core", build_dir)

    module = os.path.join(output_dir,
                          "_slipway" + (sysconfig.get_config_var("EXT_SUFFIX") or ".so"))
    if not os.path.isfile(module):
        raise BuildError(f"the build succeeded but {module} does not exist; "
                         "check SLIPWAY_PYTHON_OUTPUT_DIR in bindings/python/CMakeLists.txt")
    return module

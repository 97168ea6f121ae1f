"""slipway's in-tree PEP 517 / PEP 660 build backend.

Standard library only (`[build-system] requires = []`), so `pip install .`,
`pip install -e .` and `pip wheel .` work offline, with or without build
isolation, under any interpreter that has pip. It runs CMake for the
`slipway._slipway` extension module (_cmake.py), then zips the pure-Python
package from python/slipway together with the module (_wheel.py).

Environment:
  SLIPWAY_BUILD_TYPE          CMake build type, default Release.
  CMAKE_BUILD_PARALLEL_LEVEL  compile jobs, default 2.
  SOURCE_DATE_EPOCH           timestamps for reproducible wheels and sdists.

The current directory is the source tree (PEP 517 runs hooks there).
"""

import functools
import os
import sys

from . import _cmake, _sdist, _wheel
from ._errors import BuildError
from ._project import Project

__all__ = [
    "build_wheel", "build_sdist", "build_editable",
    "get_requires_for_build_wheel", "get_requires_for_build_sdist",
    "get_requires_for_build_editable",
    "prepare_metadata_for_build_wheel", "prepare_metadata_for_build_editable",
]

# The import package and where its sources live, relative to the tree.
PACKAGE = "slipway"
PACKAGE_ROOT = "python"
# Files of the package that go into the wheel; anything else under
# python/slipway (a locally built _slipway*.so, __pycache__) stays out.
_PACKAGE_SUFFIXES = (".py", ".pyi")
_PACKAGE_FILES = ("py.typed",)


def _reports_errors(hook):
    """Prints a BuildError's message without a traceback and exits 1, so
    pip's output ends with what went wrong and how to fix it."""
    @functools.wraps(hook)
    def wrapper(*args, **kwargs):
        try:
            return hook(*args, **kwargs)
        except BuildError as e:
            sys.stdout.flush()
            sys.stderr.write(f"\nerror: slipway build failed: {e}\n")
            sys.stderr.flush()
            raise SystemExit(1) from None
    return wrapper


def _source_dir():
    return os.getcwd()


def _package_files(root):
    """Yields (path in the wheel, file) for the package's Python files."""
    package_dir = os.path.join(root, PACKAGE_ROOT, PACKAGE)
    if not os.path.isfile(os.path.join(package_dir, "__init__.py")):
        raise BuildError(f"{package_dir}/__init__.py is missing")
    for dirpath, dirnames, filenames in os.walk(package_dir):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(_PACKAGE_SUFFIXES) or name in _PACKAGE_FILES:
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, os.path.join(root, PACKAGE_ROOT))
                yield rel.replace(os.sep, "/"), path


def _dist_info_files(project):
    """Returns {name: text} of the .dist-info files other than RECORD."""
    files = {
        "METADATA": project.metadata(),
        "WHEEL": _wheel.wheel_metadata(_wheel.wheel_tag()),
        "top_level.txt": PACKAGE + "\n",
    }
    entry_points = project.entry_points_txt()
    if entry_points is not None:
        files["entry_points.txt"] = entry_points
    return files


def _wheel_name(project):
    return f"{project.distribution}-{project.version}-{'-'.join(_wheel.wheel_tag())}.whl"


def _write_wheel(wheel_directory, project, contents):
    """Writes a wheel holding `contents` ((path in wheel, file path or bytes)
    pairs) and the .dist-info; returns its file name."""
    name = _wheel_name(project)
    os.makedirs(wheel_directory, exist_ok=True)
    final = os.path.join(wheel_directory, name)
    # Write beside the target and rename, so a failed build leaves no
    # half-written wheel behind.
    partial = f"{final}.{os.getpid()}.part"
    with _wheel.WheelWriter(partial, project.dist_info) as writer:
        for arcname, source in contents:
            if isinstance(source, bytes):
                writer.add_bytes(arcname, source)
            else:
                writer.add_file(arcname, source)
        for filename, text in _dist_info_files(project).items():
            writer.add_bytes(f"{project.dist_info}/{filename}", text)
    os.replace(partial, final)
    return name


def _prepare_metadata(metadata_directory):
    project = Project(_source_dir())
    target = os.path.join(metadata_directory, project.dist_info)
    os.makedirs(target, exist_ok=True)
    for filename, text in _dist_info_files(project).items():
        with open(os.path.join(target, filename), "w", encoding="utf-8") as f:
            f.write(text)
    return project.dist_info


# --- PEP 517 ---------------------------------------------------------------

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


@_reports_errors
def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _prepare_metadata(metadata_directory)


@_reports_errors
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    root = _source_dir()
    project = Project(root)
    # The module is built into a fixed directory inside the build tree, so
    # an unchanged tree rebuilds nothing and needs no CMake reconfigure.
    staging = os.path.join(_cmake.build_dir_for(root), "wheel", PACKAGE)
    module = _cmake.build_extension(root, staging)
    contents = list(_package_files(root))
    contents.append((f"{PACKAGE}/{os.path.basename(module)}", module))
    return _write_wheel(wheel_directory, project, contents)


@_reports_errors
def build_sdist(sdist_directory, config_settings=None):
    root = _source_dir()
    return _sdist.write_sdist(root, sdist_directory, Project(root))


# --- PEP 660: editable installs ---------------------------------------------
#
# The editable wheel holds only a .pth file that puts <source>/python on
# sys.path; the extension module is built in place into python/slipway (where
# a developer's `PYTHONPATH=python` also finds it). Edits to .py files take
# effect at once; after a C++ change, run `pip install -e .` again (an
# incremental build).

def get_requires_for_build_editable(config_settings=None):
    return []


@_reports_errors
def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return _prepare_metadata(metadata_directory)


@_reports_errors
def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    root = _source_dir()
    project = Project(root)
    package_root = os.path.join(root, PACKAGE_ROOT)
    list(_package_files(root))  # fails early if the package is missing
    _cmake.build_extension(root, os.path.join(package_root, PACKAGE))
    pth = f"__editable__.{project.distribution}-{project.version}.pth"
    contents = [(pth, (os.path.abspath(package_root) + "\n").encode("utf-8"))]
    return _write_wheel(wheel_directory, project, contents)

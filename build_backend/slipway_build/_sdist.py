"""Writes the source distribution: `<name>-<version>.tar.gz` holding the
source tree under `<name>-<version>/` plus PKG-INFO.

In a git checkout the files are those git knows or would add (tracked, plus
untracked but not ignored: `git ls-files --cached --others
--exclude-standard`), so .gitignore decides what is left out. Elsewhere (an
unpacked sdist, a tarball) every file is taken except build outputs.
"""

import io
import os
import subprocess
import tarfile
import time

# Used only outside a git checkout: directories and file suffixes that are
# build output, never source. A directory holding a CMakeCache.txt is a build
# tree wherever it is.
_SKIP_DIRS = {".git", "__pycache__", "dist", ".pytest_cache", ".mypy_cache"}
_SKIP_TOP_DIR_PREFIXES = ("build-", "build.", ".venv")
_SKIP_TOP_DIRS = {"build", ".venv"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".so", ".pyd", ".o", ".a")
# pyproject.toml's backend-path: always shipped.
BACKEND_DIR = "build_backend"


def _is_build_output(root, rel_dir, name):
    if name in _SKIP_DIRS or name.endswith(".egg-info"):
        return True
    if rel_dir == "." and (name in _SKIP_TOP_DIRS or name.startswith(_SKIP_TOP_DIR_PREFIXES)):
        return True
    return os.path.isfile(os.path.join(root, rel_dir, name, "CMakeCache.txt"))


def _git_files(root):
    try:
        result = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root, capture_output=True, check=False)
    except OSError:
        return None
    if result.returncode != 0:
        return None
    # A tracked file deleted in the work tree is still listed: skip it.
    files = [f for f in result.stdout.decode("utf-8").split("\0") if f]
    return sorted(f for f in files if os.path.isfile(os.path.join(root, f)))


def _walk_files(root):
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(d for d in dirnames
                             if not _is_build_output(root, rel_dir, d))
        for name in sorted(filenames):
            if name.endswith(_SKIP_SUFFIXES) or (name == "PKG-INFO" and rel_dir == "."):
                continue
            files.append(os.path.normpath(os.path.join(rel_dir, name)))
    return files


def source_files(root):
    """Returns the source files of the tree at `root`, relative, sorted."""
    files = _git_files(root)
    if files is None:
        return _walk_files(root)
    # The backend itself must ship whatever git thinks of it (the
    # top-level .gitignore pattern /build*/ also matches build_backend/).
    backend = os.path.join(root, BACKEND_DIR)
    files = set(files)
    files.update(os.path.join(BACKEND_DIR, f) for f in _walk_files(backend))
    return sorted(files)


def write_sdist(root, sdist_directory, project):
    """Writes the sdist into `sdist_directory`; returns its file name."""
    base = f"{project.distribution}-{project.version}"
    filename = f"{base}.tar.gz"
    epoch = os.environ.get("SOURCE_DATE_EPOCH")

    def normalize(info):
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o755 if info.mode & 0o111 else 0o644
        if epoch:
            info.mtime = int(epoch)
        return info

    path = os.path.join(sdist_directory, filename)
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for rel in source_files(root):
            tar.add(os.path.join(root, rel), arcname=f"{base}/{rel}",
                    recursive=False, filter=normalize)
        pkg_info = project.metadata().encode("utf-8")
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(pkg_info)
        info.mtime = int(epoch) if epoch else int(time.time())
        tar.addfile(normalize(info), io.BytesIO(pkg_info))
    return filename

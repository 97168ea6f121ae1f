"""Unit tests of the in-tree PEP 517 backend (build_backend/slipway_build).

Standard library only, so any interpreter runs them:

    python3 -m unittest discover -s tests/install -p backend_test.py -v

The hooks run against small fake source trees whose CMakeLists.txt "builds"
`_slipway` with a custom command (no compiler), so the CMake plumbing, the
wheel layout and the error messages are checked in seconds.
pip_install_test.sh checks real installs.
"""

import base64
import contextlib
import csv
import hashlib
import io
import os
import shutil
import sys
import sysconfig
import tarfile
import tempfile
import textwrap
import unittest
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "build_backend"))

import slipway_build  # noqa: E402
from slipway_build import _cmake, _project, _sdist, _toml, _wheel  # noqa: E402
from slipway_build._errors import BuildError  # noqa: E402

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

HAVE_CMAKE = shutil.which("cmake") is not None and shutil.which("ninja") is not None
EXT_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")

# A stand-in for the real project: `_slipway` is a custom target that writes
# a fake module into SLIPWAY_PYTHON_OUTPUT_DIR, or fails on request.
FAKE_CMAKELISTS = textwrap.dedent("""\
    cmake_minimum_required(VERSION 3.20)
    project(slipway VERSION 9.8.7 LANGUAGES NONE)
    option(FAKE_FAIL_CONFIGURE "" OFF)
    if(FAKE_FAIL_CONFIGURE OR EXISTS "${CMAKE_SOURCE_DIR}/fail-configure")
      message(FATAL_ERROR "fake configure failure")
    endif()
    execute_process(COMMAND "${Python_EXECUTABLE}" -c
      "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'), end='')"
      OUTPUT_VARIABLE ext)
    if(EXISTS "${CMAKE_SOURCE_DIR}/fail-build")
      add_custom_target(_slipway COMMAND "${CMAKE_COMMAND}" -E false)
    else()
      add_custom_target(_slipway
        COMMAND "${CMAKE_COMMAND}" -E make_directory "${SLIPWAY_PYTHON_OUTPUT_DIR}"
        COMMAND "${CMAKE_COMMAND}" -E echo_append "module" >
                "${SLIPWAY_PYTHON_OUTPUT_DIR}/_slipway${ext}")
    endif()
    """)

FAKE_PYPROJECT = textwrap.dedent("""\
    [build-system]
    requires = []
    build-backend = "slipway_build"
    backend-path = ["build_backend"]

    [project]
    name = "slipway"
    dynamic = ["version"]
    description = "fake"
    requires-python = ">=3.9"
    dependencies = ["attrs>=20; python_version < '3.10'"]

    [project.optional-dependencies]
    NumPy = ["numpy>=1.21"]

    [project.scripts]
    slipway = "slipway.cli:main"
    """)


@contextlib.contextmanager
def chdir(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


@contextlib.contextmanager
def environ(**values):
    old = {k: os.environ.get(k) for k in values}
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def captured_stderr():
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        yield buf


def make_tree(root):
    """Writes a fake source tree under `root`; returns it."""
    files = {
        "CMakeLists.txt": FAKE_CMAKELISTS,
        "pyproject.toml": FAKE_PYPROJECT,
        "python/slipway/__init__.py": "from . import _slipway\n",
        "python/slipway/errors.py": "class Error(Exception): pass\n",
        "python/slipway/__init__.pyi": "",
        "python/slipway/py.typed": "",
        "python/slipway/sub/__init__.py": "",
        "python/slipway/notes.txt": "not packaged\n",
        "python/slipway/__pycache__/x.cpython-311.pyc": "junk",
        f"python/slipway/_slipway{EXT_SUFFIX}": "stale in-place build",
        "build/old/CMakeCache.txt": "",
    }
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return root


def verify_record(test, zf, dist_info):
    """Asserts that RECORD lists every file of the wheel with a right hash."""
    rows = list(csv.reader(io.TextIOWrapper(zf.open(f"{dist_info}/RECORD"), "utf-8")))
    listed = {row[0] for row in rows}
    test.assertEqual(listed, set(zf.namelist()))
    for path, digest, size in rows:
        if path == f"{dist_info}/RECORD":
            test.assertEqual((digest, size), ("", ""))
            continue
        data = zf.read(path)
        want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        test.assertEqual(digest, "sha256=" + want.decode())
        test.assertEqual(int(size), len(data))


class TomlTest(unittest.TestCase):
    SAMPLE = textwrap.dedent('''\
        # comment
        title = "TOML \\"subset\\" \\u00e9\\t"  # trailing comment
        literal = 'C:\\path\\n'
        multi = """
        first\\
          second"""
        multi_literal = \'\'\'a "b" \\n\'\'\'
        int = -42
        hex = 0xff
        float = 1.5e3
        flag = true
        dotted.key = "v"
        "quoted key" = 1
        empty = []
        nested = [[1, 2], ["a"], ]
        inline = { file = "LICENSE", n = { deep = false } }

        [project]
        name = "slipway"
        classifiers = [
            "A",  # why
            "B",
        ]

        [project.urls]
        Home = "https://example.com"

        [[tool.item]]
        a = 1
        [[tool.item]]
        a = 2
        [tool.item.sub]
        b = 3
        ''')

    @unittest.skipIf(tomllib is None, "needs tomllib (Python 3.11+)")
    def test_fallback_matches_tomllib_on_sample(self):
        self.assertEqual(_toml.loads_fallback(self.SAMPLE), tomllib.loads(self.SAMPLE))

    @unittest.skipIf(tomllib is None, "needs tomllib (Python 3.11+)")
    def test_fallback_matches_tomllib_on_pyproject(self):
        with open(os.path.join(REPO, "pyproject.toml"), encoding="utf-8") as f:
            text = f.read()
        self.assertEqual(_toml.loads_fallback(text), tomllib.loads(text))

    def test_project_reads_without_tomllib(self):
        # Python 3.9 and 3.10 have no tomllib: the backend must still work.
        with_tomllib = _project.Project(REPO).metadata()
        saved, _toml._tomllib = _toml._tomllib, None
        try:
            self.assertEqual(_project.Project(REPO).metadata(), with_tomllib)
        finally:
            _toml._tomllib = saved

    def test_fallback_rejects_what_it_does_not_know(self):
        for bad in ('when = 1979-05-27', 'a = "unterminated', '[t]\n[t]',
                    'a = 1\na = 2', 'a = [1 2]', 'a = {b = 1'):
            with self.subTest(bad=bad), self.assertRaises(_toml.TOMLError):
                _toml.loads_fallback(bad)


class ProjectTest(unittest.TestCase):
    def test_real_project_installs_the_slipway_console_script(self):
        # docs/cli.md: `pip install` puts a `slipway` command on PATH.
        self.assertEqual(_project.Project(REPO).entry_points_txt(),
                         "[console_scripts]\nslipway = slipway.cli:main\n")

    def test_real_project_version_comes_from_cmakelists(self):
        project = _project.Project(REPO)
        self.assertEqual(project.name, "slipway")
        self.assertEqual(project.version, _project.cmake_project_version(REPO))
        self.assertRegex(project.version, r"^\d+\.\d+\.\d+$")
        metadata = project.metadata()
        self.assertIn("Requires-Python: >=3.9\n", metadata)
        self.assertIn('Requires-Dist: numpy>=1.21; extra == "numpy"\n', metadata)
        self.assertNotIn("\nRequires-Dist: numpy>=1.21\n", metadata)  # optional

    def test_metadata_of_fake_tree(self):
        with tempfile.TemporaryDirectory() as tmp:
            project = _project.Project(make_tree(tmp))
            metadata = project.metadata()
            self.assertTrue(metadata.startswith(
                "Metadata-Version: 2.1\nName: slipway\nVersion: 9.8.7\n"))
            self.assertIn("Provides-Extra: numpy\n", metadata)  # normalized
            self.assertIn(
                "Requires-Dist: attrs>=20; python_version < '3.10'\n", metadata)
            self.assertEqual(project.entry_points_txt(),
                             "[console_scripts]\nslipway = slipway.cli:main\n")

    def test_version_regex(self):
        with tempfile.TemporaryDirectory() as tmp:
            for text, want in (("project(slipway VERSION 1.2.3 LANGUAGES CXX)", "1.2.3"),
                               ("PROJECT( slipway\n  VERSION 10.0.1)", "10.0.1")):
                with open(os.path.join(tmp, "CMakeLists.txt"), "w") as f:
                    f.write("cmake_minimum_required(VERSION 3.20)\n" + text + "\n")
                self.assertEqual(_project.cmake_project_version(tmp), want)
            with open(os.path.join(tmp, "CMakeLists.txt"), "w") as f:
                f.write("project(slipway LANGUAGES CXX)\n")
            with self.assertRaisesRegex(BuildError, "VERSION"):
                _project.cmake_project_version(tmp)

    def test_unknown_project_key_is_an_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            make_tree(tmp)
            with open(os.path.join(tmp, "pyproject.toml"), "a") as f:
                f.write('\n[project.frobnicate]\nx = 1\n')
            with self.assertRaisesRegex(BuildError, "frobnicate"):
                _project.Project(tmp)


class WheelTest(unittest.TestCase):
    def test_record_hash(self):
        self.assertEqual(_wheel.record_hash(b""),
                         "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU")

    def test_tag_is_accepted_by_this_interpreter(self):
        python, abi, platform = _wheel.wheel_tag()
        self.assertEqual(python, "cp%d%d" % sys.version_info[:2]
                         if sys.implementation.name == "cpython" else python)
        try:
            from pip._vendor.packaging.tags import sys_tags
        except ImportError:
            self.skipTest("pip is not importable")
        self.assertIn(f"{python}-{abi}-{platform}", {str(t) for t in sys_tags()})

    def test_writer_records_every_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "x.whl")
            with _wheel.WheelWriter(path, "x-1.dist-info") as w:
                w.add_bytes("x/__init__.py", "print('hi')\n")
                w.add_bytes("x/data,with,commas.txt", b"\x00\x01")
                w.add_bytes("x-1.dist-info/METADATA", "Metadata-Version: 2.1\n")
            with zipfile.ZipFile(path) as zf:
                self.assertIsNone(zf.testzip())
                verify_record(self, zf, "x-1.dist-info")
                self.assertEqual(zf.namelist()[-1], "x-1.dist-info/RECORD")


class HooksTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.tree = make_tree(os.path.join(self.tmp.name, "src"))
        self.out = os.path.join(self.tmp.name, "out")
        os.makedirs(self.out)

    def test_get_requires_are_empty(self):
        for hook in (slipway_build.get_requires_for_build_wheel,
                     slipway_build.get_requires_for_build_sdist,
                     slipway_build.get_requires_for_build_editable):
            self.assertEqual(hook(), [])

    def test_prepare_metadata(self):
        with chdir(self.tree):
            name = slipway_build.prepare_metadata_for_build_wheel(self.out)
        self.assertEqual(name, "slipway-9.8.7.dist-info")
        files = sorted(os.listdir(os.path.join(self.out, name)))
        self.assertEqual(files, ["METADATA", "WHEEL", "entry_points.txt", "top_level.txt"])

    def test_missing_cmake_says_run_bootstrap(self):
        empty = os.path.join(self.tmp.name, "empty-bin")
        os.makedirs(empty)
        for hook in (slipway_build.build_wheel, slipway_build.build_editable):
            with self.subTest(hook=hook.__name__), chdir(self.tree), \
                    environ(PATH=empty), captured_stderr() as err, \
                    self.assertRaises(SystemExit) as cm:
                hook(self.out)
            self.assertEqual(cm.exception.code, 1)
            self.assertIn("CMake was not found", err.getvalue())
            self.assertIn("run scripts/bootstrap first", err.getvalue())
        self.assertEqual(os.listdir(self.out), [])

    def test_bad_environment_settings_are_errors(self):
        with environ(SLIPWAY_BUILD_TYPE="Fast"):
            with self.assertRaisesRegex(BuildError, "SLIPWAY_BUILD_TYPE"):
                _cmake._build_type()
        with environ(CMAKE_BUILD_PARALLEL_LEVEL="lots"):
            with self.assertRaisesRegex(BuildError, "CMAKE_BUILD_PARALLEL_LEVEL"):
                _cmake._parallel_level()
        with environ(CMAKE_BUILD_PARALLEL_LEVEL=None):
            self.assertEqual(_cmake._parallel_level(), 2)
        with environ(CMAKE_BUILD_PARALLEL_LEVEL="7"):
            self.assertEqual(_cmake._parallel_level(), 7)

    def test_build_dir_is_keyed_by_base_interpreter(self):
        build_dir = _cmake.build_dir_for(self.tree)
        self.assertEqual(os.path.dirname(build_dir), os.path.join(self.tree, "build"))
        self.assertRegex(os.path.basename(build_dir),
                         r"^pep517-%s-[0-9a-f]{10}-release$" % sys.implementation.cache_tag)
        with environ(SLIPWAY_BUILD_TYPE="Debug"):
            self.assertTrue(_cmake.build_dir_for(self.tree).endswith("-debug"))

    @unittest.skipUnless(HAVE_CMAKE, "needs cmake and ninja")
    def test_configure_failure_says_run_bootstrap(self):
        open(os.path.join(self.tree, "fail-configure"), "w").close()
        with chdir(self.tree), captured_stderr() as err, self.assertRaises(SystemExit):
            slipway_build.build_wheel(self.out)
        self.assertIn("Configuring slipway with CMake failed", err.getvalue())
        self.assertIn("run scripts/bootstrap first", err.getvalue())
        self.assertEqual(os.listdir(self.out), [])

    @unittest.skipUnless(HAVE_CMAKE, "needs cmake and ninja")
    def test_compile_failure_says_run_bootstrap(self):
        open(os.path.join(self.tree, "fail-build"), "w").close()
        with chdir(self.tree), captured_stderr() as err, self.assertRaises(SystemExit):
            slipway_build.build_wheel(self.out)
        self.assertIn("Compiling slipway's C++ core failed", err.getvalue())
        self.assertIn("run scripts/bootstrap first", err.getvalue())
        self.assertEqual(os.listdir(self.out), [])

    @unittest.skipUnless(HAVE_CMAKE, "needs cmake and ninja")
    def test_build_wheel(self):
        with chdir(self.tree), environ(SLIPWAY_BUILD_TYPE="Debug"):
            name = slipway_build.build_wheel(self.out)
        tag = "-".join(_wheel.wheel_tag())
        self.assertEqual(name, f"slipway-9.8.7-{tag}.whl")
        self.assertEqual(os.listdir(self.out), [name])
        dist_info = "slipway-9.8.7.dist-info"
        with zipfile.ZipFile(os.path.join(self.out, name)) as zf:
            verify_record(self, zf, dist_info)
            self.assertEqual(sorted(zf.namelist()), sorted([
                "slipway/__init__.py", "slipway/__init__.pyi", "slipway/errors.py",
                "slipway/py.typed", "slipway/sub/__init__.py",
                f"slipway/_slipway{EXT_SUFFIX}",
                f"{dist_info}/METADATA", f"{dist_info}/WHEEL",
                f"{dist_info}/top_level.txt", f"{dist_info}/entry_points.txt",
                f"{dist_info}/RECORD"]))
            # The freshly built module, not the stale in-place one.
            self.assertEqual(zf.read(f"slipway/_slipway{EXT_SUFFIX}"), b"module")
            self.assertIn(f"Tag: {tag}\n", zf.read(f"{dist_info}/WHEEL").decode())
            self.assertIn("Root-Is-Purelib: false\n",
                          zf.read(f"{dist_info}/WHEEL").decode())
            info = zf.getinfo(f"slipway/_slipway{EXT_SUFFIX}")
            self.assertTrue(info.external_attr >> 16 & 0o444)
        with environ(SLIPWAY_BUILD_TYPE="Debug"):
            debug_dir = _cmake.build_dir_for(self.tree)
        cache = _cmake._read_cache(debug_dir)
        self.assertEqual(cache["CMAKE_BUILD_TYPE"], "Debug")
        self.assertEqual(cache["SLIPWAY_BUILD_TESTS"], "OFF")
        self.assertEqual(cache["SLIPWAY_INSTALL"], "OFF")
        self.assertEqual(cache["Python_EXECUTABLE"], _cmake.base_interpreter())

        # A second build with the same settings does not reconfigure.
        cache_file = os.path.join(debug_dir, "CMakeCache.txt")
        before = os.stat(cache_file).st_mtime_ns
        with chdir(self.tree), environ(SLIPWAY_BUILD_TYPE="Debug"):
            slipway_build.build_wheel(self.out)
        self.assertEqual(os.stat(cache_file).st_mtime_ns, before)

    @unittest.skipUnless(HAVE_CMAKE, "needs cmake and ninja")
    def test_build_editable(self):
        with chdir(self.tree):
            name = slipway_build.build_editable(self.out)
        # The module is built in place, next to the package sources.
        with open(os.path.join(self.tree, "python", "slipway", f"_slipway{EXT_SUFFIX}")) as f:
            self.assertEqual(f.read(), "module")
        dist_info = "slipway-9.8.7.dist-info"
        with zipfile.ZipFile(os.path.join(self.out, name)) as zf:
            verify_record(self, zf, dist_info)
            pth = "__editable__.slipway-9.8.7.pth"
            self.assertIn(pth, zf.namelist())
            self.assertFalse([n for n in zf.namelist() if n.startswith("slipway/")])
            self.assertEqual(zf.read(pth).decode(),
                             os.path.join(self.tree, "python") + "\n")

    def test_build_sdist_outside_git(self):
        with chdir(self.tree):
            name = slipway_build.build_sdist(self.out)
        self.assertEqual(name, "slipway-9.8.7.tar.gz")
        with tarfile.open(os.path.join(self.out, name)) as tar:
            names = set(tar.getnames())
            pkg_info = tar.extractfile("slipway-9.8.7/PKG-INFO").read().decode()
        self.assertIn("slipway-9.8.7/CMakeLists.txt", names)
        self.assertIn("slipway-9.8.7/pyproject.toml", names)
        self.assertIn("slipway-9.8.7/python/slipway/__init__.py", names)
        self.assertFalse([n for n in names if "/build/" in n or n.endswith((".so", ".pyc"))],
                         names)
        self.assertIn("Version: 9.8.7\n", pkg_info)

    def test_sdist_files_of_the_repo(self):
        files = _sdist.source_files(REPO)
        for needed in ("CMakeLists.txt", "pyproject.toml", "build_backend/slipway_build/__init__.py",
                       "cmake/SlipwayInstall.cmake", "python/slipway/__init__.py"):
            self.assertIn(needed, files)
        self.assertFalse([f for f in files if f.startswith("build") and "/" in f
                          and not f.startswith("build_backend/")])
        self.assertFalse([f for f in files if f.endswith((".so", ".pyc"))])


if __name__ == "__main__":
    unittest.main()

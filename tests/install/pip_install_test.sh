#!/usr/bin/env bash
# Checks that slipway installs for Python the ways docs/install.md says,
# for real and offline (the in-tree backend needs nothing from an index):
#
#   1. `python -m pip install <repo>` into a fresh venv of `python3` (pyenv),
#      with build isolation; import from / and validate a name; the
#      `slipway` console script runs (--help, --version)
#   2. the same in a venv of Debian's /usr/bin/python3
#   3. Debian's python3 outside a venv (PEP 668, externally managed):
#      `pip install --break-system-packages --target <tmp>`, import with
#      PYTHONPATH, nothing written to the system
#   4. `pip install -e <repo>` in a venv: `import slipway` from another
#      directory resolves to <repo>/python/slipway; `pip uninstall` undoes it
#   5. `pip wheel <repo>`: the wheel's RECORD verifies (every file listed with
#      its sha256 and size), its tag is one the interpreter accepts, and its
#      version is CMakeLists.txt's
#
# The CMake build directory is keyed by interpreter (<repo>/build/pep517-*),
# so after the first run each pip call rebuilds only what changed. Check 4
# builds the module in place into <repo>/python/slipway (an editable install
# works that way).
#
# Usage: tests/install/pip_install_test.sh [--python PATH] [--system-python
#        PATH|none] [--repo DIR]
# Prints "N passed, N failed"; exits non-zero on a failure. Set KEEP_WORK=1
# to keep the temporary directory.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=python3
system_python=/usr/bin/python3

die() { echo "pip_install_test.sh: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --python) python=$2; shift 2 ;;
    --system-python) system_python=$2; shift 2 ;;
    --repo) repo=$(cd "$2" && pwd); shift 2 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
command -v "$python" >/dev/null || die "$python not found"
[[ -f $repo/pyproject.toml ]] || die "$repo has no pyproject.toml"

# Quiet, offline-safe pip: no self-update check, no prompts; nothing from the
# environment leaks onto sys.path.
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore
unset PYTHONPATH PYTHONHOME PIP_REQUIRE_VIRTUALENV PIP_TARGET PIP_PREFIX PIP_USER VIRTUAL_ENV

work=$(mktemp -d "${TMPDIR:-/tmp}/slipway-pip-test.XXXXXX")
if [[ ${KEEP_WORK:-0} == 1 ]]; then
  echo "keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi
passed=0
failed=0
skipped=0
start=$SECONDS

# check NAME COMMAND...: runs COMMAND with its output in a log; prints PASS
# or FAIL with the log's tail.
check() {
  local name=$1; shift
  local log="$work/log.$((passed + failed + skipped))"
  local t0=$SECONDS
  if "$@" >"$log" 2>&1; then
    echo "PASS  $name ($((SECONDS - t0)) s)"
    passed=$((passed + 1))
  else
    echo "FAIL  $name ($((SECONDS - t0)) s)"
    tail -n 60 "$log" | sed 's/^/      | /'
    failed=$((failed + 1))
  fi
}

skip() {
  echo "SKIP  $1"
  skipped=$((skipped + 1))
}

# The import check run from / (so the source tree is not on sys.path): the
# package and its extension module must load from `where` (a directory
# prefix), a good name must pass and a bad one raise ValidationError.
import_check() {
  local interp=$1 where=$2
  (cd / && "$interp" - "$where" <<'EOF'
import os, sys
import slipway
where = os.path.realpath(sys.argv[1])
for mod in (slipway, slipway._slipway):
    path = os.path.realpath(mod.__file__)
    assert path.startswith(where + os.sep), f"{mod.__name__} from {path}, want under {where}"
slipway.validate.model_name("fraud-detection")
try:
    slipway.validate.model_name("Fraud Detection!")
except slipway.ValidationError as e:
    assert isinstance(e, ValueError), "ValidationError must be a ValueError"
else:
    raise AssertionError("a bad model name was accepted")
print("imported", slipway.__file__, "version", slipway.__version__)
EOF
  )
}

# script_check SCRIPT: the `slipway` console script (docs/cli.md) runs from /
# and exits 0 for --help and --version.
script_check() {
  local script=$1
  [[ -x $script ]] || { echo "no console script at $script"; return 1; }
  (cd / && "$script" --help >/dev/null && "$script" --version)
}

# venv_install NAME BASE_PYTHON: fresh venv, normal `pip install <repo>`.
venv_install() {
  local venv=$work/$1 base=$2
  "$base" -m venv "$venv" &&
    "$venv/bin/python" -m pip install "$repo" &&
    import_check "$venv/bin/python" "$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("platlib"))')" &&
    script_check "$venv/bin/slipway"
}

system_target_install() {
  local target=$work/system-target
  "$system_python" -m pip install --break-system-packages --target "$target" "$repo" &&
    PYTHONPATH=$target import_check "$system_python" "$target" &&
    PYTHONPATH=$target script_check "$target/bin/slipway" &&
    # Nothing went to the system site-packages.
    (cd / && ! "$system_python" -c 'import slipway' 2>/dev/null)
}

editable_install() {
  local venv=$work/venv-editable
  "$python" -m venv "$venv" &&
    "$venv/bin/python" -m pip install -e "$repo" &&
    import_check "$venv/bin/python" "$repo/python/slipway" &&
    script_check "$venv/bin/slipway" &&
    "$venv/bin/python" -m pip uninstall -y slipway &&
    (cd / && ! "$venv/bin/python" -c 'import slipway' 2>/dev/null)
}

wheel_verifies() {
  local out=$work/wheels
  "$python" -m pip wheel --no-deps "$repo" -w "$out" &&
    "$python" - "$out" "$repo/CMakeLists.txt" <<'EOF'
import base64, csv, glob, hashlib, io, re, sys, zipfile
from pip._vendor.packaging.tags import sys_tags

out, cmakelists = sys.argv[1], sys.argv[2]
(wheel,) = glob.glob(f"{out}/*.whl")
version = re.search(r"project\s*\(\s*slipway\s+VERSION\s+([0-9.]+)", open(cmakelists).read()).group(1)
name, ver, py, abi, plat = wheel.rsplit("/", 1)[1][:-4].split("-")
assert (name, ver) == ("slipway", version), (name, ver, version)
accepted = {str(t) for t in sys_tags()}
assert f"{py}-{abi}-{plat}" in accepted, f"tag {py}-{abi}-{plat} not accepted here"
dist_info = f"slipway-{version}.dist-info"
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    rows = list(csv.reader(io.TextIOWrapper(z.open(f"{dist_info}/RECORD"), "utf-8")))
    recorded = {}
    for path, digest, size in rows:
        if path == f"{dist_info}/RECORD":
            assert digest == size == "", "RECORD must not hash itself"
            continue
        algo, _, value = digest.partition("=")
        data = z.read(path)
        want = base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(b"=").decode()
        assert algo == "sha256" and value == want, f"bad hash for {path}"
        assert int(size) == len(data), f"bad size for {path}"
        recorded[path] = True
    unlisted = set(names) - set(recorded) - {f"{dist_info}/RECORD"}
    assert not unlisted, f"files missing from RECORD: {unlisted}"
    assert len(rows) == len(names), "RECORD lists files the wheel lacks"
    meta = z.read(f"{dist_info}/METADATA").decode()
    assert f"\nVersion: {version}\n" in meta and "\nName: slipway\n" in meta
    wheel_file = z.read(f"{dist_info}/WHEEL").decode()
    assert "Root-Is-Purelib: false" in wheel_file
    assert f"Tag: {py}-{abi}-{plat}" in wheel_file
    assert z.read(f"{dist_info}/top_level.txt").decode().split() == ["slipway"]
    entry_points = z.read(f"{dist_info}/entry_points.txt").decode()
    assert "[console_scripts]\nslipway = slipway.cli:main\n" in entry_points, entry_points
    assert "slipway/cli/__init__.py" in names and "slipway/__main__.py" in names
    assert "slipway/__init__.py" in names
    assert any(re.fullmatch(r"slipway/_slipway\..*\.so", n) for n in names), names
print(f"{wheel}: {len(rows)} RECORD rows verified")
EOF
}

check "pip install <repo> into a venv of $python" venv_install venv-pyenv "$python"
if [[ $system_python != none && -x $system_python ]]; then
  if "$system_python" -c 'import ensurepip, venv' 2>/dev/null; then
    check "pip install <repo> into a venv of $system_python" venv_install venv-debian "$system_python"
  else
    echo "FAIL  $system_python has no venv/ensurepip: apt-get install python3-venv"
    failed=$((failed + 1))
  fi
  if "$system_python" -m pip --version >/dev/null 2>&1; then
    check "$system_python -m pip install --break-system-packages --target <tmp>" system_target_install
  else
    echo "FAIL  $system_python has no pip: apt-get install python3-pip"
    failed=$((failed + 1))
  fi
else
  skip "$system_python: not present"
fi
check "pip install -e <repo> resolves to the source tree" editable_install
check "pip wheel <repo>: RECORD verifies" wheel_verifies

echo "$passed passed, $failed failed$([[ $skipped -gt 0 ]] && echo ", $skipped skipped") ($((SECONDS - start)) s)"
[[ $failed -eq 0 ]]

"""Writes wheels (PEP 427 / the binary distribution format): a zip whose
.dist-info holds METADATA, WHEEL, top_level.txt and a RECORD listing every
file with its sha256 (urlsafe base64, no padding) and size.
"""

import base64
import csv
import hashlib
import io
import os
import stat
import sys
import sysconfig
import time
import zipfile

GENERATOR = "slipway_build"


def wheel_tag():
    """Returns (python, abi, platform) for the running interpreter, e.g.
    ("cp311", "cp311", "linux_x86_64"), computed the way pip's `packaging`
    computes the most specific tag it accepts."""
    impl = sys.implementation.name
    abbrev = {"cpython": "cp", "pypy": "pp", "ironpython": "ip",
              "jython": "jy"}.get(impl, impl)
    python = f"{abbrev}{sys.version_info[0]}{sys.version_info[1]}"

    # The ABI tag comes from the extension suffix, e.g.
    # ".cpython-311-x86_64-linux-gnu.so" -> "cp311" (a debug build gives
    # "cp311d", a free-threaded one "cp313t"); PyPy's ".pypy39-pp73-..."
    # gives "pypy39_pp73".
    ext_suffix = sysconfig.get_config_var("EXT_SUFFIX") or ""
    parts = ext_suffix.split(".")
    soabi = parts[1] if len(parts) >= 3 else ""
    if soabi.startswith("cpython"):
        abi = "cp" + soabi.split("-")[1]
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith("pypy"):
        abi = "-".join(soabi.split("-")[:2])
    elif soabi.startswith("graalpy"):
        abi = "-".join(soabi.split("-")[:3])
    elif soabi:
        abi = soabi
    else:
        abi = "none"
    abi = abi.replace("-", "_").replace(".", "_")

    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    if platform == "linux_x86_64" and sys.maxsize <= 2**32:
        platform = "linux_i686"  # a 32-bit interpreter on a 64-bit kernel
    return python, abi, platform


def wheel_metadata(tag):
    """The WHEEL file for a platform wheel with `tag`."""
    return ("Wheel-Version: 1.0\n"
            f"Generator: {GENERATOR}\n"
            "Root-Is-Purelib: false\n"
            f"Tag: {'-'.join(tag)}\n")


def record_hash(data):
    """RECORD's hash field: sha256=<urlsafe base64 without '=' padding>."""
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _zip_time(mtime):
    # SOURCE_DATE_EPOCH makes wheels reproducible; zip cannot store dates
    # before 1980.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        mtime = int(epoch)
    return time.gmtime(max(mtime, 315532800))[:6]


class WheelWriter:
    """Adds files to a wheel, then writes RECORD last on close()."""

    def __init__(self, path, dist_info):
        self.path = path
        self.dist_info = dist_info
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self._records = []
        self._names = set()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self._zip.close()
            os.unlink(self.path)

    def add_bytes(self, arcname, data, mtime=None, executable=False):
        if isinstance(data, str):
            data = data.encode("utf-8")
        if arcname in self._names:
            raise ValueError(f"{arcname} added to the wheel twice")
        self._names.add(arcname)
        info = zipfile.ZipInfo(arcname, _zip_time(time.time() if mtime is None else mtime))
        mode = 0o755 if executable else 0o644
        info.external_attr = (stat.S_IFREG | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(info, data)
        self._records.append((arcname, record_hash(data), str(len(data))))

    def add_file(self, arcname, path):
        with open(path, "rb") as f:
            data = f.read()
        st = os.stat(path)
        self.add_bytes(arcname, data, mtime=st.st_mtime,
                       executable=bool(st.st_mode & stat.S_IXUSR))

    def close(self):
        record = f"{self.dist_info}/RECORD"
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerows(self._records)
        writer.writerow((record, "", ""))
        self.add_bytes(record, buf.getvalue())
        self._zip.close()

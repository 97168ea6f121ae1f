"""The project's metadata: [project] in pyproject.toml, the version from
CMakeLists.txt, rendered as core metadata (METADATA / PKG-INFO, version 2.1).

Only the [project] keys below are understood; any other key is an error
rather than silently dropped from the wheel.
"""

import os
import re

from . import _toml
from ._errors import BuildError

_SUPPORTED_KEYS = {
    "name", "version", "dynamic", "description", "readme", "requires-python",
    "license", "authors", "maintainers", "keywords", "classifiers", "urls",
    "dependencies", "optional-dependencies", "scripts", "gui-scripts",
    "entry-points",
}

# `project(slipway VERSION 0.1.0 ...)`: the one place the version is written.
_CMAKE_PROJECT_VERSION = re.compile(
    r"^\s*project\s*\(\s*([A-Za-z0-9_.+-]+)\s+VERSION\s+([0-9]+(?:\.[0-9]+){0,3})\b",
    re.IGNORECASE | re.MULTILINE)

_VALID_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def normalize_name(name):
    """PEP 503 normalization: lowercase, runs of -_. become one '-'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def cmake_project_version(root):
    """Returns the VERSION of the `project()` call in <root>/CMakeLists.txt."""
    path = os.path.join(root, "CMakeLists.txt")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise BuildError(f"cannot read {path} for the version: {e}") from e
    m = _CMAKE_PROJECT_VERSION.search(text)
    if not m:
        raise BuildError(
            f"{path} has no `project(<name> VERSION x.y.z ...)` call; the "
            "Python package takes its version from there")
    return m.group(2)


class Project:
    """The metadata of the distribution, read from `root`."""

    def __init__(self, root):
        self.root = root
        path = os.path.join(root, "pyproject.toml")
        try:
            with open(path, encoding="utf-8") as f:
                doc = _toml.loads(f.read())
        except (OSError, _toml.TOMLError) as e:
            raise BuildError(f"cannot read {path}: {e}") from e
        project = doc.get("project")
        if not isinstance(project, dict):
            raise BuildError(f"{path} has no [project] table")
        unknown = sorted(set(project) - _SUPPORTED_KEYS)
        if unknown:
            raise BuildError(
                f"{path}: [project] keys {unknown} are not supported by "
                "build_backend/slipway_build; add support there")
        dynamic = project.get("dynamic", [])
        if set(dynamic) - {"version"}:
            raise BuildError(f"{path}: only 'version' may be dynamic, got {dynamic}")

        self.name = project.get("name", "")
        if not _VALID_NAME.match(self.name):
            raise BuildError(f"{path}: invalid project name {self.name!r}")
        if "version" in dynamic:
            if "version" in project:
                raise BuildError(f"{path}: 'version' is both static and dynamic")
            self.version = cmake_project_version(root)
        else:
            self.version = project.get("version", "")
        if not re.match(r"^[0-9]+(\.[0-9]+)*([a-z0-9.+-]*)$", self.version):
            raise BuildError(f"invalid version {self.version!r}")
        self.summary = project.get("description", "")
        if "\n" in self.summary:
            raise BuildError(f"{path}: 'description' must be one line")
        self.requires_python = project.get("requires-python")
        self.dependencies = list(project.get("dependencies", []))
        self.optional_dependencies = {
            normalize_name(extra): list(reqs)
            for extra, reqs in project.get("optional-dependencies", {}).items()}
        self.keywords = list(project.get("keywords", []))
        self.classifiers = list(project.get("classifiers", []))
        self.urls = dict(project.get("urls", {}))
        self.authors = list(project.get("authors", []))
        self.maintainers = list(project.get("maintainers", []))
        self.license = project.get("license")
        self.readme = project.get("readme")
        self.entry_points = {}
        if project.get("scripts"):
            self.entry_points["console_scripts"] = dict(project["scripts"])
        if project.get("gui-scripts"):
            self.entry_points["gui_scripts"] = dict(project["gui-scripts"])
        for group, entries in project.get("entry-points", {}).items():
            if group in ("console_scripts", "gui_scripts"):
                raise BuildError(f"{path}: use [project.scripts] for {group}")
            self.entry_points[group] = dict(entries)

    @property
    def distribution(self):
        """The name as it appears in file names: `slipway`."""
        return re.sub(r"[-_.]+", "_", self.name).lower()

    @property
    def dist_info(self):
        return f"{self.distribution}-{self.version}.dist-info"

    def _read_file(self, relative):
        path = os.path.join(self.root, relative)
        try:
            with open(path, encoding="utf-8") as f:
                return f.read()
        except OSError as e:
            raise BuildError(f"cannot read {path}: {e}") from e

    def _readme(self):
        """Returns (content type, text) of the long description, or None."""
        readme = self.readme
        if readme is None:
            return None
        if isinstance(readme, str):
            readme = {"file": readme}
        if "file" in readme:
            text = self._read_file(readme["file"])
        else:
            text = readme.get("text", "")
        content_type = readme.get("content-type")
        if content_type is None:
            ext = os.path.splitext(readme.get("file", ""))[1].lower()
            content_type = {".md": "text/markdown", ".rst": "text/x-rst"}.get(
                ext, "text/plain")
        return content_type, text

    def metadata(self):
        """Returns the core metadata (METADATA / PKG-INFO) as text."""
        lines = ["Metadata-Version: 2.1", f"Name: {self.name}",
                 f"Version: {self.version}"]
        if self.summary:
            lines.append(f"Summary: {self.summary}")
        if self.keywords:
            lines.append(f"Keywords: {','.join(self.keywords)}")
        for field, people in (("Author", self.authors),
                              ("Maintainer", self.maintainers)):
            names = [p["name"] for p in people if "name" in p and "email" not in p]
            emails = [f"{p['name']} <{p['email']}>" if "name" in p else p["email"]
                      for p in people if "email" in p]
            if names:
                lines.append(f"{field}: {', '.join(names)}")
            if emails:
                lines.append(f"{field}-email: {', '.join(emails)}")
        if self.license is not None:
            text = (self._read_file(self.license["file"])
                    if "file" in self.license else self.license.get("text", ""))
            # Continuation lines of a multi-line header field are indented.
            lines.append("License: " + text.strip().replace("\n", "\n       "))
        for classifier in self.classifiers:
            lines.append(f"Classifier: {classifier}")
        if self.requires_python:
            lines.append(f"Requires-Python: {self.requires_python}")
        for label, url in self.urls.items():
            lines.append(f"Project-URL: {label}, {url}")
        for req in self.dependencies:
            lines.append(f"Requires-Dist: {req}")
        for extra, reqs in self.optional_dependencies.items():
            lines.append(f"Provides-Extra: {extra}")
            for req in reqs:
                req, _, marker = req.partition(";")
                marker = marker.strip()
                condition = f'extra == "{extra}"'
                if marker:
                    condition = f"({marker}) and {condition}"
                lines.append(f"Requires-Dist: {req.strip()}; {condition}")
        readme = self._readme()
        if readme is not None:
            lines.append(f"Description-Content-Type: {readme[0]}")
            return "\n".join(lines) + "\n\n" + readme[1]
        return "\n".join(lines) + "\n"

    def entry_points_txt(self):
        """Returns entry_points.txt, or None when there are no entry points."""
        if not self.entry_points:
            return None
        out = []
        for group, entries in self.entry_points.items():
            out.append(f"[{group}]")
            out.extend(f"{name} = {target}" for name, target in entries.items())
            out.append("")
        return "\n".join(out)

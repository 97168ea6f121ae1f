"""Reads pyproject.toml on every supported Python.

Python 3.11+ has tomllib. On 3.9 and 3.10 the backend may not import anything
outside the standard library (`requires = []`), so this module carries a small
parser for the part of TOML that a pyproject.toml uses: tables, arrays of
tables, dotted and quoted keys, strings (basic, literal, multi-line),
integers, floats, booleans, arrays and inline tables. Dates and times are not
supported: a pyproject.toml has none. tests/install/backend_test.py checks the
fallback against tomllib on the project's own pyproject.toml.
"""

import re

try:  # Python 3.11+
    import tomllib as _tomllib
except ImportError:  # pragma: no cover - exercised on 3.9 / 3.10 only
    _tomllib = None


class TOMLError(ValueError):
    """A TOML document this parser cannot read."""


def loads(text):
    """Parses `text` with tomllib when available, else with the fallback."""
    if _tomllib is not None:
        try:
            return _tomllib.loads(text)
        except _tomllib.TOMLDecodeError as e:
            raise TOMLError(str(e)) from e
    return loads_fallback(text)


def loads_fallback(text):
    """Parses `text` with the standard-library-free subset parser."""
    return _Parser(text).parse()


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_NUMBER = re.compile(
    r"[+-]?(?:0x[0-9A-Fa-f_]+|0o[0-7_]+|0b[01_]+|inf|nan|"
    r"[0-9_]+(?:\.[0-9_]+)?(?:[eE][+-]?[0-9_]+)?)")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"',
            "\\": "\\"}


class _Parser:
    def __init__(self, text):
        self.s = text.replace("\r\n", "\n")
        self.i = 0
        self.root = {}
        # Tables created by a [header] (may not be defined twice) and arrays
        # created by [[header]].
        self.defined = set()

    # --- Errors and low-level scanning -----------------------------------
    def error(self, what):
        line = self.s.count("\n", 0, self.i) + 1
        raise TOMLError(f"pyproject.toml line {line}: {what} (the fallback "
                        "TOML reader supports a pyproject subset; Python "
                        "3.11+ reads any TOML)")

    def peek(self, n=1):
        return self.s[self.i:self.i + n]

    def skip_ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t":
            self.i += 1

    def skip_ws_comments_newlines(self):
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t\n":
                self.i += 1
            elif c == "#":
                self.skip_comment()
            else:
                break

    def skip_comment(self):
        end = self.s.find("\n", self.i)
        self.i = len(self.s) if end < 0 else end

    def end_of_line(self):
        self.skip_ws()
        if self.peek() == "#":
            self.skip_comment()
        if self.i < len(self.s):
            if self.s[self.i] != "\n":
                self.error(f"unexpected {self.s[self.i]!r}")
            self.i += 1

    # --- Document ---------------------------------------------------------
    def parse(self):
        current = self.root
        while True:
            self.skip_ws_comments_newlines()
            if self.i >= len(self.s):
                return self.root
            if self.peek(2) == "[[":
                self.i += 2
                path = self.key_path("]]")
                current = self.array_table(path)
            elif self.peek() == "[":
                self.i += 1
                path = self.key_path("]")
                current = self.table(path)
            else:
                self.key_value(current)
            self.end_of_line()

    def key_path(self, closer):
        self.skip_ws()
        path = self.key()
        self.skip_ws()
        if not self.s.startswith(closer, self.i):
            self.error(f"expected {closer!r}")
        self.i += len(closer)
        return path

    def key(self):
        parts = []
        while True:
            self.skip_ws()
            c = self.peek()
            if c == '"':
                parts.append(self.basic_string())
            elif c == "'":
                parts.append(self.literal_string())
            else:
                m = _BARE_KEY.match(self.s, self.i)
                if not m:
                    self.error("expected a key")
                parts.append(m.group())
                self.i = m.end()
            self.skip_ws()
            if self.peek() != ".":
                return tuple(parts)
            self.i += 1

    def descend(self, table, path):
        for part in path:
            value = table.setdefault(part, {})
            if isinstance(value, list):
                if not value or not isinstance(value[-1], dict):
                    self.error(f"{part!r} is not a table")
                value = value[-1]
            if not isinstance(value, dict):
                self.error(f"{part!r} is not a table")
            table = value
        return table

    def table(self, path):
        if path in self.defined:
            self.error(f"table [{'.'.join(path)}] defined twice")
        self.defined.add(path)
        return self.descend(self.root, path)

    def array_table(self, path):
        parent = self.descend(self.root, path[:-1])
        array = parent.setdefault(path[-1], [])
        if not isinstance(array, list):
            self.error(f"{'.'.join(path)} is not an array of tables")
        array.append({})
        return array[-1]

    def key_value(self, table):
        path = self.key()
        if self.peek() != "=":
            self.error("expected '='")
        self.i += 1
        self.skip_ws()
        value = self.value()
        parent = self.descend(table, path[:-1])
        if path[-1] in parent:
            self.error(f"key {'.'.join(path)!r} defined twice")
        parent[path[-1]] = value

    # --- Values -----------------------------------------------------------
    def value(self):
        c = self.peek()
        if self.peek(3) in ('"""', "'''"):
            return self.multiline_string()
        if c == '"':
            return self.basic_string()
        if c == "'":
            return self.literal_string()
        if c == "[":
            return self.array()
        if c == "{":
            return self.inline_table()
        for word, value in (("true", True), ("false", False)):
            if self.s.startswith(word, self.i):
                self.i += len(word)
                return value
        m = _NUMBER.match(self.s, self.i)
        if m and m.group():
            self.i = m.end()
            text = m.group().replace("_", "")
            if text.lstrip("+-") in ("inf", "nan"):
                return float(text)
            if text[:2].lower() in ("0x", "0o", "0b") or \
                    text[1:3].lower() in ("0x", "0o", "0b"):
                return int(text, 0)
            if any(ch in text for ch in ".eE"):
                return float(text)
            return int(text)
        self.error("unsupported value")

    def basic_string(self):
        self.i += 1  # opening quote
        out = []
        while True:
            if self.i >= len(self.s) or self.s[self.i] == "\n":
                self.error("unterminated string")
            c = self.s[self.i]
            if c == '"':
                self.i += 1
                return "".join(out)
            if c == "\\":
                out.append(self.escape())
            else:
                out.append(c)
                self.i += 1

    def escape(self):
        esc = self.s[self.i + 1:self.i + 2]
        if esc in _ESCAPES:
            self.i += 2
            return _ESCAPES[esc]
        if esc in ("u", "U"):
            n = 4 if esc == "u" else 8
            digits = self.s[self.i + 2:self.i + 2 + n]
            if len(digits) != n or not all(
                    d in "0123456789abcdefABCDEF" for d in digits):
                self.error("bad unicode escape")
            self.i += 2 + n
            return chr(int(digits, 16))
        self.error(f"bad escape \\{esc}")

    def literal_string(self):
        end = self.s.find("'", self.i + 1)
        newline = self.s.find("\n", self.i + 1)
        if end < 0 or (0 <= newline < end):
            self.error("unterminated string")
        value = self.s[self.i + 1:end]
        self.i = end + 1
        return value

    def multiline_string(self):
        quote = self.s[self.i:self.i + 3]
        self.i += 3
        if self.peek() == "\n":  # a newline right after the opener is trimmed
            self.i += 1
        out = []
        while True:
            if self.i >= len(self.s):
                self.error("unterminated multi-line string")
            if self.s.startswith(quote, self.i):
                # Up to two quotes may sit right before the closing three.
                extra = 0
                while extra < 2 and self.s.startswith(quote, self.i + extra + 1):
                    extra += 1
                out.append(quote[0] * extra)
                self.i += 3 + extra
                return "".join(out)
            c = self.s[self.i]
            if quote == '"""' and c == "\\":
                rest = self.s[self.i + 1:]
                stripped = rest.lstrip(" \t")
                if stripped.startswith("\n"):  # line-ending backslash
                    self.i += 1 + (len(rest) - len(stripped))
                    while self.i < len(self.s) and self.s[self.i] in " \t\n":
                        self.i += 1
                    continue
                out.append(self.escape())
            else:
                out.append(c)
                self.i += 1

    def array(self):
        self.i += 1
        items = []
        while True:
            self.skip_ws_comments_newlines()
            if self.peek() == "]":
                self.i += 1
                return items
            items.append(self.value())
            self.skip_ws_comments_newlines()
            if self.peek() == ",":
                self.i += 1
            elif self.peek() != "]":
                self.error("expected ',' or ']' in an array")

    def inline_table(self):
        self.i += 1
        table = {}
        self.skip_ws()
        if self.peek() == "}":
            self.i += 1
            return table
        while True:
            self.key_value(table)
            self.skip_ws()
            c = self.peek()
            self.i += 1
            if c == "}":
                return table
            if c != ",":
                self.error("expected ',' or '}' in an inline table")

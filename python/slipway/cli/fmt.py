"""Output of the command line: aligned tables, times, numbers and JSON.

Conventions (docs/cli.md "Output"):

- Times are ISO 8601 in UTC with a ``Z``: seconds in tables
  (``2026-01-01T00:00:00Z``), milliseconds in JSON
  (``2026-01-01T00:00:00.000Z``, beside the raw ``*_ms`` Unix milliseconds).
- Metric values print with up to 6 significant digits in tables (``nan``,
  ``inf`` and ``-inf`` as Python spells them).
- JSON documents are objects with snake_case keys; lists are arrays. A
  float that is not finite is written as the string ``"NaN"``,
  ``"Infinity"`` or ``"-Infinity"`` (protobuf's JSON mapping does the
  same), so every document is valid JSON (RFC 8259 has no NaN) and a reader
  can still tell NaN from an infinity: ``float("NaN")`` in Python,
  ``Number("Infinity")`` in JavaScript.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any, Iterable, List, Optional, Sequence, TextIO

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


# --- times ------------------------------------------------------------------------


def iso(ms: Optional[int], *, millis: bool = False) -> Optional[str]:
    """``ms`` (Unix milliseconds) as ISO 8601 UTC, or None for None."""
    if ms is None:
        return None
    t = _EPOCH + _dt.timedelta(milliseconds=ms)
    if millis:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_json(ms: Optional[int]) -> Optional[str]:
    """The JSON spelling of a time: ISO 8601 UTC with milliseconds."""
    return iso(ms, millis=True)


def duration(seconds: float) -> str:
    """A duration for people: ``45s``, ``30m``, ``2h 5m``, ``3d 4h``."""
    s = int(max(0.0, seconds))
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes, s = divmod(s, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m {s}s" if s else f"{minutes}m"
    return f"{s}s"


# --- numbers ----------------------------------------------------------------------


def num(value: Any) -> str:
    """A number for a table cell: up to 6 significant digits; ``-`` for
    None."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.6g}"
    return str(value)


def percent(fraction: float) -> str:
    """``0.01`` as ``1%``, ``0.005`` as ``0.5%``."""
    return f"{fraction * 100:.4g}%"


def json_value(value: Any) -> Any:
    """``value`` with every non-finite float replaced by its string
    spelling (``"NaN"``, ``"Infinity"``, ``"-Infinity"``), recursively;
    tuples become lists and timedeltas seconds."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    return value


def dump_json(doc: Any, out: TextIO) -> None:
    """Writes ``doc`` as one JSON document (indented, UTF-8 kept) and a
    newline."""
    out.write(json.dumps(json_value(doc), indent=2, ensure_ascii=False, allow_nan=False))
    out.write("\n")


# --- tables -----------------------------------------------------------------------


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return num(value)
    text = str(value)
    # One row per line: a newline inside a value would break the columns.
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    out: TextIO,
    *,
    right: Iterable[int] = (),
    indent: str = "",
) -> None:
    """Writes ``rows`` under ``headers`` in columns separated by two spaces;
    the columns whose indexes are in ``right`` are right-aligned (numbers).
    Trailing spaces are trimmed."""
    text_rows: List[List[str]] = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], len(v))
    right = set(right)

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(widths[i]) if i in right else v.ljust(widths[i])
            for i, v in enumerate(values)
        ]
        return (indent + "  ".join(parts)).rstrip()

    out.write(line(list(headers)) + "\n")
    for row in text_rows:
        out.write(line(row) + "\n")


def fields(pairs: Sequence[Sequence[Any]], out: TextIO, *, indent: str = "") -> None:
    """Writes ``label  value`` lines with the values aligned."""
    if not pairs:
        return
    width = max(len(label) for label, _ in pairs)
    for label, value in pairs:
        out.write(f"{indent}{label.ljust(width)}  {cell(value)}".rstrip() + "\n")


def section(title: str, out: TextIO) -> None:
    """A blank line and a section title."""
    out.write(f"\n{title}\n")

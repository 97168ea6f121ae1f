"""The public test kit: simulated time for tests, notebooks and what-if runs.

::

    clock = sw.testing.FakeClock("2026-01-01T00:00:00Z")
    clock.advance(minutes=30)
    clock.now()   # datetime.datetime(2026, 1, 1, 0, 30, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import datetime as _dt
from typing import Optional, Union

from . import _slipway

__all__ = ["FakeClock"]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _to_micros(when: Union[str, _dt.datetime]) -> int:
    if isinstance(when, str):
        return _slipway.parse_rfc3339_micros(when)
    if isinstance(when, _dt.datetime):
        if when.tzinfo is None:
            raise ValueError(
                "naive datetime: give a timezone-aware datetime, e.g. "
                "datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)"
            )
        return (when - _EPOCH) // _dt.timedelta(microseconds=1)
    raise TypeError(f"expected an RFC 3339 string or a datetime, not {type(when).__name__}")


class FakeClock(_slipway.testing.FakeClock):
    """A clock that moves only when told to; it never runs backwards.

    Args:
        start: an RFC 3339 string (``"2026-01-01T00:00:00Z"``) or an aware
            datetime; default 2026-01-01T00:00:00Z.
    """

    def __init__(self, start: Optional[Union[str, _dt.datetime]] = None) -> None:
        if isinstance(start, _dt.datetime):
            super().__init__(_slipway.format_rfc3339_micros(_to_micros(start)))
        else:
            super().__init__(start)

    def now(self) -> _dt.datetime:
        """The current fake time, as an aware UTC datetime."""
        return _EPOCH + _dt.timedelta(microseconds=self.now_unix_micros())

    def advance(
        self,
        delta: Optional[_dt.timedelta] = None,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
        milliseconds: float = 0,
    ) -> _dt.datetime:
        """Moves time forward and returns the new time. Negative amounts
        raise :class:`slipway.ValidationError` (reason ``CLOCK_BACKWARDS``)."""
        total = _dt.timedelta(
            days=days, hours=hours, minutes=minutes, seconds=seconds, milliseconds=milliseconds
        )
        if delta is not None:
            total += delta
        self.advance_micros(total // _dt.timedelta(microseconds=1))
        return self.now()

    def set(self, when: Union[str, _dt.datetime]) -> None:
        """Sets the time; earlier than now raises :class:`slipway.ValidationError`."""
        self.set_unix_micros(_to_micros(when))

    def __repr__(self) -> str:
        return f"FakeClock({self.now_rfc3339()!r})"

"""sw.testing.FakeClock: simulated time."""

import datetime as dt

import pytest

import slipway as sw

UTC = dt.timezone.utc


def test_starts_where_told_and_moves_only_when_told():
    clock = sw.testing.FakeClock("2026-01-01T00:00:00Z")
    assert clock.now() == dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert clock.now() == clock.now()
    assert clock.advance(minutes=30) == dt.datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
    clock.advance(dt.timedelta(days=7), hours=1)
    assert clock.now() == dt.datetime(2026, 1, 8, 1, 30, tzinfo=UTC)
    assert clock.now_rfc3339() == "2026-01-08T01:30:00.000Z"


def test_default_start_and_datetime_start():
    assert sw.testing.FakeClock().now() == dt.datetime(2026, 1, 1, tzinfo=UTC)
    start = dt.datetime(2027, 5, 4, 3, 2, 1, tzinfo=UTC)
    assert sw.testing.FakeClock(start).now() == start


def test_never_runs_backwards():
    clock = sw.testing.FakeClock("2026-01-01T00:00:00Z")
    with pytest.raises(sw.ValidationError) as info:
        clock.advance(seconds=-1)
    assert info.value.reason == "CLOCK_BACKWARDS"
    with pytest.raises(sw.ValidationError):
        clock.set("2025-12-31T23:59:59Z")
    clock.set("2026-02-01T00:00:00+01:00")
    assert clock.now() == dt.datetime(2026, 1, 31, 23, tzinfo=UTC)


def test_bad_start_is_a_validation_error():
    with pytest.raises(sw.ValidationError) as info:
        sw.testing.FakeClock("yesterday")
    assert "2026-01-01T00:00:00Z" in str(info.value)
    with pytest.raises(ValueError):
        sw.testing.FakeClock(dt.datetime(2026, 1, 1))  # naive


def test_is_a_clock():
    from slipway import _slipway

    assert isinstance(sw.testing.FakeClock(), _slipway.Clock)

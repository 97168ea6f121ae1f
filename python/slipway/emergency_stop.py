"""The emergency stop (SPEC §5), on the default store or a given one::

    import slipway as sw
    sw.emergency_stop.activate(reason="incident 42")
    sw.emergency_stop.active()      # True
    sw.emergency_stop.clear()

While the stop is active, production operations — creating models and
versions, approving a version, deleting a version (and, as they land,
endpoint changes, traffic changes, production pipelines and feature
writes) — raise :class:`slipway.EmergencyStopError`, whose message names the
flag and how to clear it; each refusal is in the audit log with outcome
``denied``. Reads and run logging go on. Outside production a set stop
prints a warning, is audited (``emergency_stop.check`` / ``warn``) and the
operation goes on, unless the store was opened with
``emergency_stop_everywhere=True`` (SPEC §7).

There are two flags; either one stops:

- the store's flag (:func:`activate`), seen by every process sharing the
  store;
- the stop file: the ``emergency_stop_file`` given to :func:`slipway.open`,
  else ``$SLIPWAY_EMERGENCY_STOP_FILE``, else ``slipway.STOP`` beside the
  store file. ``touch`` it to stop everything, even when the store is busy.

:func:`clear` clears both. Each function takes ``store=`` (a
:class:`slipway.Store`); the default is :func:`slipway.default_store`. On a
store, ``store.emergency_stop`` has the same methods.
"""

from __future__ import annotations

from typing import Optional

from .registry import EmergencyStopState

__all__ = ["activate", "clear", "active", "status", "EmergencyStopState"]


def _of(store):
    if store is None:
        from .store import default_store

        store = default_store()
    return store.emergency_stop


def activate(reason: str, *, actor: Optional[str] = None, store=None) -> None:
    """Sets the store's stop flag with ``reason`` and who set it. Audited."""
    _of(store).activate(reason, actor=actor)


def clear(*, actor: Optional[str] = None, store=None) -> None:
    """Clears both flags (deletes the stop file, clears the store's flag).
    Audited."""
    _of(store).clear(actor=actor)


def active(*, store=None) -> bool:
    """Whether either flag is set now."""
    return _of(store).active()


def status(*, store=None) -> EmergencyStopState:
    """Both flags as they are now: who set the store's flag, why and when;
    the stop file's path and content."""
    return _of(store).status()

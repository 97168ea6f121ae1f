"""The in-process Router: which version serves each request of an endpoint,
and what happened (``slipway/router.h``; docs/serving.md is the guide).

::

    with store.router("fraud-prod") as router:      # follows the rollout
        d = router.route("user-123")                  # sticky by request key
        answer = models[d.version].predict(x)
        if d.mirror:                                  # shadow stage
            models[d.mirror_version].predict(x)       # run, do not serve
        router.record(d, latency_ms=8.2, error=False)
        router.record_prediction(d, request_id="req-42")
        ...
        router.record_label("req-42", correct=True)   # later, by request id

A key's variant is fixed by the documented hash (:func:`key_hash`: FNV-1a
64 then splitmix64; bucket = hash % 10,000; candidate iff bucket <
weight x 10,000), the same in C++ and Python and in every process.
``route``, ``record``, ``record_prediction`` and ``record_label`` keep the
GIL (the C++ calls take tens of nanoseconds); ``refresh``, ``flush`` and
``close`` release it.
"""

from __future__ import annotations

from typing import Optional, Union

from . import _slipway

Variant = _slipway.Variant
RouteDecision = _slipway.RouteDecision

_VARIANTS = {"stable": Variant.STABLE, "candidate": Variant.CANDIDATE}


def key_hash(key: Union[str, int]) -> int:
    """The 64-bit hash a key is routed by (the C++ ``RouterKeyHash``)."""
    return _slipway.router_key_hash(key)


def bucket(key: Union[str, int]) -> int:
    """The key's routing bucket, 0..9999."""
    return _slipway.router_bucket(_slipway.router_key_hash(key))


def _variant(v) -> "Variant":
    if isinstance(v, RouteDecision):
        return v.variant
    if isinstance(v, str):
        try:
            return _VARIANTS[v]
        except KeyError:
            raise ValueError(
                f"unknown variant {v!r}: use 'stable', 'candidate', a Variant "
                "or the RouteDecision route() returned"
            ) from None
    return v


class Router:
    """One endpoint's router. Get one with :meth:`slipway.Store.router`.

    Thread-safe. ``close()`` (or leaving the ``with`` block) stops its
    background thread and writes the last outcome windows.
    """

    def __init__(self, core) -> None:
        self._core = core

    def __repr__(self) -> str:
        state = "closed" if self._core.closed else self._core.replica
        return f"<slipway.Router {self._core.endpoint if not self._core.closed else ''} {state}>"

    @property
    def endpoint(self) -> str:
        return self._core.endpoint

    @property
    def replica(self) -> str:
        return self._core.replica

    def route(self, key: Union[str, int]) -> RouteDecision:
        """The decision for ``key``: ``.version`` serves it, ``.variant``
        says which, ``.mirror`` / ``.mirror_version`` ask to also run the
        candidate (shadow stage)."""
        return self._core.route(key)

    def record(self, variant, latency_ms: float, error: bool = False) -> None:
        """One request served by ``variant`` (a RouteDecision, a Variant,
        or "stable" / "candidate")."""
        self._core.record(_variant(variant), latency_ms, error)

    def record_prediction(self, variant, request_id: Optional[str] = None) -> None:
        """One prediction; with ``request_id`` a later :meth:`record_label`
        can find it (a bounded table: the oldest unlabelled predictions are
        evicted when it is full)."""
        self._core.record_prediction(_variant(variant), request_id)

    def record_label(self, request_id: str, correct: bool) -> bool:
        """The label of an earlier prediction; False when it is not found."""
        return self._core.record_label(request_id, correct)

    def refresh(self) -> None:
        """Reads the routing now (the background thread does it every
        refresh interval)."""
        self._core.refresh()

    def flush(self) -> None:
        """Writes the outcome windows now."""
        self._core.flush()

    def health(self) -> dict:
        """Weights in force, last refresh, last error, consecutive failures,
        emergency stop seen, windows persisted, label table counters."""
        return self._core.health()

    def prometheus(self) -> str:
        """Prometheus text exposition of this router's metrics."""
        return self._core.prometheus()

    def start_controller(self) -> None:
        """Also run ``store.tick()`` on the background thread."""
        self._core.start_controller()

    def stop_controller(self) -> None:
        self._core.stop_controller()

    def close(self) -> None:
        self._core.close()

    def __enter__(self) -> "Router":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

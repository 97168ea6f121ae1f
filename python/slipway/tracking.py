"""Experiment tracking, the fluent way (MLflow's feel)::

    import slipway as sw

    with sw.start_run(experiment="fraud", params={"lr": 0.01}) as run:
        for step in range(1000):
            run.log_metric("loss", loss, step=step)   # buffered; ~100 ns
        sw.log_metric("acc", 0.93)                    # the active run
    # FINISHED here, FAILED if an exception escaped, KILLED on Ctrl-C;
    # every point is durable once the block is left.

The active run
    ``start_run`` makes the new run the *active run* of the calling context
    (a :class:`contextvars.ContextVar`): threads and asyncio tasks each see
    their own, so a worker thread never logs into the main thread's run by
    accident (a new thread starts with no active run). Ending the run makes
    the previous active run active again.

Nesting
    ``start_run`` inside an active run makes a child of it automatically
    (MLflow insists on ``nested=True``; here nesting is the default because
    a run started inside another is almost always its child). Pass
    ``nested=False`` (or ``parent=None``) for a top-level run, or
    ``parent=run_or_id`` to choose the parent.

No active run
    The module-level ``log_*``/``set_tag*`` calls raise
    :class:`slipway.NotFoundError` with reason ``NO_ACTIVE_RUN`` when no run
    is active: the thing they look up -- the active run -- is not there, and
    ``NotFoundError`` is also a ``LookupError``. (MLflow silently starts a
    run instead; a run you did not mean to create is harder to notice than
    an error.)

Interpreter exit and fork
    See :mod:`slipway.store`: at exit every open store is flushed and its
    runs that are still running end FINISHED (FAILED when an uncaught
    exception ends the program); a forked child starts with no active run and
    no default store.
"""

from __future__ import annotations

import contextvars
import os
import sys
import dataclasses
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple, Union

from . import _slipway
from .errors import NotFoundError

__all__ = [
    "Run",
    "RunInfo",
    "start_run",
    "active_run",
    "end_run",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "set_tag",
    "set_tags",
]

# The active run of the current context (thread / asyncio task).
_active: contextvars.ContextVar[Optional["Run"]] = contextvars.ContextVar(
    "slipway_active_run", default=None
)

_STATUSES = ("FINISHED", "FAILED", "KILLED")


def _pairs(mapping: Optional[Mapping[str, Any]]) -> list:
    """Params and tags are text; other values are stored as ``str(value)``
    (MLflow's rule), so ``{"lr": 0.01}`` stores ``"0.01"``."""
    if not mapping:
        return []
    return [(k, v if isinstance(v, str) else str(v)) for k, v in mapping.items()]


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """A run as stored (``store.get_run(id)``, ``run.info()``, search results).

    Times are Unix milliseconds. ``metrics`` maps each metric key to its last
    logged value (filled by ``get_run``/``info``/``search_runs``).
    """

    run_id: str
    name: str
    experiment_id: int
    status: str  # "RUNNING", "FINISHED", "FAILED" or "KILLED"
    start_ms: int
    end_ms: Optional[int]
    parent_run_id: Optional[str]
    user: str
    source_path: str
    source_git_commit: str
    params: Dict[str, str]
    tags: Dict[str, str]
    metrics: Dict[str, float]

    @classmethod
    def _from_core(cls, core, metrics: Optional[Dict[str, float]] = None) -> "RunInfo":
        return cls(
            run_id=core.run_id,
            name=core.name,
            experiment_id=core.experiment_id,
            status=core.status.name,
            start_ms=core.start_ms,
            end_ms=core.end_ms,
            parent_run_id=core.parent_run_id or None,
            user=core.user,
            source_path=core.source_path,
            source_git_commit=core.source_git_commit,
            params=dict(core.params),
            tags=dict(core.tags),
            metrics=dict(metrics or {}),
        )


# Filled by the C core (bindings/python/run_fastcall.cc); read-only.
_HOT_METHODS = frozenset(("log_metric", "log_metrics", "_noop"))


class Run(_slipway.Run):
    """A live run. Get one from :func:`slipway.start_run` or
    ``store.start_run``; use it as a context manager.

    ``log_metric(key, value, step=0, timestamp=None)`` and
    ``log_metrics(metrics, step=0, timestamp=None)`` are implemented in C
    (the lean binding): ``value`` a float (NaN and +-Inf are kept), ``step``
    an int, ``timestamp`` Unix milliseconds, default the store clock's now.
    Points are buffered and committed by a background writer every
    ``flush_interval``; :meth:`flush` and :meth:`end` make them durable.
    Errors: :class:`slipway.ValidationError` for an invalid key,
    :class:`slipway.GateError` (reason ``RUN_ENDED``) after the run ended.

    Thread-safe: several threads may log to one run.
    """

    # log_metric, log_metrics and _noop: the C core fills these with its
    # builtin functions at creation (they shadow the base type's read-only
    # slots of the same names, and are faster to look up: bindings/python/
    # run_fastcall.cc). __setattr__ keeps them read-only.
    __slots__ = (
        "_store",
        "_previous",
        "_ended",
        "__weakref__",
        "log_metric",
        "log_metrics",
        "_noop",
    )

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _HOT_METHODS:
            raise AttributeError(f"Run.{name} is read-only")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name in _HOT_METHODS:
            raise AttributeError(f"Run.{name} is read-only")
        object.__delattr__(self, name)

    # Set by Store.start_run right after the C core creates the instance.
    _store: Any
    _previous: Optional["Run"]
    _ended: bool

    # --- metrics -----------------------------------------------------------

    def log_metric_array(
        self,
        key: str,
        values: Any,
        steps: Any = None,
        timestamps: Any = None,
    ) -> None:
        """Appends many points of one metric in one call (no Python loop).

        Args:
            key: the metric key.
            values: any 1-D float sequence or buffer (numpy array, list).
            steps: integer steps, same length; default ``0, 1, ..., n-1``.
            timestamps: Unix milliseconds, same length; default the store
                clock's now for every point.

        Raises:
            ValidationError: invalid key, or columns of different lengths
                (reason ``METRIC_COLUMNS_MISMATCH``; nothing appended).
            TypeError: non-integer steps or timestamps.
        """
        import numpy as np

        v = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
        if steps is None and timestamps is None:
            # The common case: the core numbers the steps and stamps the
            # points itself, without 16 bytes per point of columns.
            self._log_metric_values(key, v)
            return
        n = v.shape[0]
        if steps is None:
            s = np.arange(n, dtype=np.int64)
        else:
            s = np.ascontiguousarray(np.asarray(steps).astype(np.int64, casting="same_kind"))
        if timestamps is None:
            t = np.full(n, self._store._core.now_ms(), dtype=np.int64)
        else:
            t = np.ascontiguousarray(
                np.asarray(timestamps).astype(np.int64, casting="same_kind")
            )
        self._log_metric_columns(key, s, t, v)

    # --- params and tags ---------------------------------------------------

    def log_param(self, key: str, value: Any) -> None:
        """Logs one param (write-once: the same value again is fine, another
        value raises ValidationError ``PARAM_CHANGED``). Non-str values are
        stored as ``str(value)``. Written synchronously."""
        self._log_params(_pairs({key: value}))

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Logs several params in one transaction (see :meth:`log_param`)."""
        self._log_params(_pairs(params))

    def set_tag(self, key: str, value: Any) -> None:
        """Sets one tag (tags are mutable). Written synchronously."""
        self._set_tags(_pairs({key: value}))

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Sets several tags in one transaction."""
        self._set_tags(_pairs(tags))

    # --- lifecycle ---------------------------------------------------------

    def flush(self) -> None:
        """Makes every point logged before the call durable. Raises the first
        background write error since the last flush (e.g. StoreError
        ``STORE_BUSY``); the points are kept and retried."""
        self._flush()

    def end(self, status: str = "FINISHED") -> None:
        """Flushes and ends the run with ``status`` ("FINISHED", "FAILED" or
        "KILLED"). Ending again with the same status is a no-op; another
        status raises GateError ``RUN_ENDED``. If this run is the active run
        of the calling context, the previous active run becomes active."""
        try:
            core_status = _slipway.RunStatus.__members__[status]
        except KeyError:
            raise ValueError(
                f"run status {status!r} is not one of {', '.join(_STATUSES)}"
            ) from None
        self._end(core_status)
        self._ended = True
        self._store._forget(self)
        if _active.get() is self:
            _active.set(self._previous)

    def info(self) -> RunInfo:
        """The run as stored now (status, params, tags, last metric values)."""
        return self._store.get_run(self.id)

    @property
    def store(self):
        """The :class:`slipway.Store` this run belongs to."""
        return self._store

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._ended:
            return None
        if exc_type is None:
            status = "FINISHED"
        elif issubclass(exc_type, KeyboardInterrupt):
            status = "KILLED"
        else:
            status = "FAILED"
        self.end(status)  # flushes first; the exception (if any) propagates
        return None

    def __repr__(self) -> str:
        return f"<slipway.Run {self.id}{' ended' if self._ended else ''}>"


_AUTO: Any = object()


def _script_path() -> Optional[str]:
    """The running script, recorded as the run's source (the C++ default,
    the program path, would be the Python interpreter). None in a REPL."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return os.path.abspath(path) if path else None


def _start(
    store,
    *,
    experiment: Optional[str],
    name: Optional[str],
    params: Optional[Mapping[str, Any]],
    tags: Optional[Mapping[str, Any]],
    parent: Any,
    nested: bool,
) -> Run:
    """Store.start_run's implementation (shared with the module function)."""
    previous = _active.get()
    if parent is _AUTO:
        parent = previous if nested else None
    if isinstance(parent, _slipway.Run):
        parent_id: Optional[str] = parent.id
    elif parent is None or isinstance(parent, str):
        parent_id = parent
    else:
        raise TypeError(f"parent must be a Run, a run id or None, not {type(parent).__name__}")
    run = store._core.start_run(
        Run,
        experiment=experiment,
        name=name,
        parent_run_id=parent_id,
        params=_pairs(params),
        tags=_pairs(tags),
        source_path=_script_path(),
    )
    run._store = store
    run._previous = previous
    run._ended = False
    store._remember(run)
    _active.set(run)
    return run


def start_run(
    experiment: Optional[str] = None,
    name: Optional[str] = None,
    *,
    params: Optional[Mapping[str, Any]] = None,
    tags: Optional[Mapping[str, Any]] = None,
    parent: Any = _AUTO,
    nested: bool = True,
    store=None,
) -> Run:
    """Starts a run in the default store (:func:`slipway.set_store`, else
    ``$SLIPWAY_STORE``, else ``./slipway.db``) and makes it the active run.

    Args:
        experiment: experiment name, created when missing (default
            "Default").
        name: run name; default ``run-<first 8 id characters>``.
        params: write-once params, stored as text.
        tags: tags, stored as text.
        parent: the parent run (a Run or run id), or None for a top-level
            run; by default the active run, if any.
        nested: with ``False``, ignore the active run (a top-level run).
        store: a Store to use instead of the default.

    Use it as a context manager: leaving the block ends the run FINISHED,
    FAILED if an exception escaped (the exception propagates), KILLED on
    KeyboardInterrupt.
    """
    from .store import default_store

    return _start(
        store if store is not None else default_store(),
        experiment=experiment,
        name=name,
        params=params,
        tags=tags,
        parent=parent,
        nested=nested,
    )


def active_run() -> Optional[Run]:
    """The active run of the calling context, or None."""
    return _active.get()


def _require_active() -> Run:
    run = _active.get()
    if run is None:
        raise NotFoundError(
            "no active run: start one with `with sw.start_run(...):` before "
            "logging (each thread and asyncio task has its own active run)",
            code="NOT_FOUND",
            reason="NO_ACTIVE_RUN",
            rule="module-level log_*/set_tag* act on the active run",
            fix="wrap the calls in `with sw.start_run(experiment=...):`, or log "
            "through a Run object",
        )
    return run


def end_run(status: str = "FINISHED") -> None:
    """Ends the active run (NotFoundError ``NO_ACTIVE_RUN`` if none)."""
    _require_active().end(status)


# log_metric(key, value, step=0, timestamp=None) and
# log_metrics(metrics, step=0, timestamp=None): active_run().log_metric(...)
# and active_run().log_metrics(...), NotFoundError NO_ACTIVE_RUN if none.
# Builtin functions (bindings/python/active_run_loggers.cc): they read
# `_active` and call the run's lean binding without a Python frame.
log_metric, log_metrics = _slipway._active_run_loggers(_active, _require_active, "slipway")


def log_param(key: str, value: Any) -> None:
    """``active_run().log_param(...)``; NotFoundError ``NO_ACTIVE_RUN`` if none."""
    _require_active().log_param(key, value)


def log_params(params: Mapping[str, Any]) -> None:
    """``active_run().log_params(...)``; NotFoundError ``NO_ACTIVE_RUN`` if none."""
    _require_active().log_params(params)


def set_tag(key: str, value: Any) -> None:
    """``active_run().set_tag(...)``; NotFoundError ``NO_ACTIVE_RUN`` if none."""
    _require_active().set_tag(key, value)


def set_tags(tags: Mapping[str, Any]) -> None:
    """``active_run().set_tags(...)``; NotFoundError ``NO_ACTIVE_RUN`` if none."""
    _require_active().set_tags(tags)

"""Stores: where runs, params, tags and metrics live.

::

    store = sw.open("runs/slipway.db")        # SQLite file (WAL); ":memory:" too
    sw.set_store("runs/slipway.db")           # the default for sw.start_run & co.

The default store, used by the module-level calls when none was set with
:func:`set_store`, is ``$SLIPWAY_STORE`` if set, else ``./slipway.db``; it is
opened on first use.

Interpreter exit
    An :mod:`atexit` hook flushes every store opened in this process and
    ends its runs that are still running: FINISHED (MLflow's behaviour), or
    FAILED when the program is ending because of an uncaught exception. A
    run left RUNNING by a crash (``kill -9``) reads as KILLED once its
    heartbeat is older than ``stale_run_timeout``.

Fork
    A forked child must not write through its parent's store (the parent's
    buffered points are the parent's to write). ``os.register_at_fork``
    clears, in the child, the default store, the active run and the list of
    open stores (so the child's exit never ends the parent's runs). The child
    opens its own store (``sw.open`` or the default on first use).

Thread-safety: a Store and its runs may be used from many threads. Calls
that touch the disk release the GIL.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import os
import sys
import threading
import weakref
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _slipway, tracking
from .registry import RegistryMethods
from .rollout import RolloutMethods
from .tracking import RunInfo, _AUTO

__all__ = ["Store", "Experiment", "Runs", "open", "set_store", "default_store"]

DEFAULT_URI = "slipway.db"
ENV_VAR = "SLIPWAY_STORE"

# Every Store opened in this process (for the exit hook); cleared in a fork
# child.
_open_stores: "weakref.WeakSet[Store]" = weakref.WeakSet()
_default: Optional["Store"] = None
_default_lock = threading.Lock()


def _seconds(value: Union[None, float, _dt.timedelta], name: str) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (int, float)):
        return float(value)
    raise TypeError(f"{name} must be seconds (a number) or a timedelta, not {type(value).__name__}")


class Experiment:
    """An experiment: a named group of runs. ``created_ms`` is Unix ms."""

    __slots__ = ("experiment_id", "name", "created_ms", "tags")

    def __init__(self, core) -> None:
        self.experiment_id: int = core.experiment_id
        self.name: str = core.name
        self.created_ms: int = core.created_ms
        self.tags = dict(core.tags)

    def __eq__(self, other) -> bool:
        return isinstance(other, Experiment) and (
            self.experiment_id, self.name, self.created_ms, self.tags
        ) == (other.experiment_id, other.name, other.created_ms, other.tags)

    def __repr__(self) -> str:
        return f"Experiment(experiment_id={self.experiment_id}, name={self.name!r})"


class Runs(list):
    """A page of ``search_runs`` results: a list of :class:`RunInfo`, plus
    ``next_page_token`` (None on the last page) and :meth:`to_pandas`."""

    def __init__(self, runs: Iterable[RunInfo], next_page_token: Optional[str]) -> None:
        super().__init__(runs)
        self.next_page_token = next_page_token

    def to_pandas(self):
        """One row per run: run_id, name, experiment_id, status, start_time,
        end_time (UTC datetimes), parent_run_id, user, then ``metrics.<key>``
        (last values), ``params.<key>`` and ``tags.<key>`` columns, as
        MLflow's ``search_runs`` DataFrame. Needs pandas."""
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError(
                "Runs.to_pandas() needs pandas, which is not installed: "
                "pip install pandas (or apt install python3-pandas)"
            ) from e
        rows = []
        for r in self:
            row = {
                "run_id": r.run_id,
                "name": r.name,
                "experiment_id": r.experiment_id,
                "status": r.status,
                "start_time": pd.to_datetime(r.start_ms, unit="ms", utc=True),
                "end_time": (
                    pd.to_datetime(r.end_ms, unit="ms", utc=True) if r.end_ms is not None else pd.NaT
                ),
                "parent_run_id": r.parent_run_id,
                "user": r.user,
            }
            row.update({f"metrics.{k}": v for k, v in r.metrics.items()})
            row.update({f"params.{k}": v for k, v in r.params.items()})
            row.update({f"tags.{k}": v for k, v in r.tags.items()})
            rows.append(row)
        return pd.DataFrame(rows)


class Store(RegistryMethods, RolloutMethods):
    """An open slipway store. Create with :func:`slipway.open`.

    Tracking (experiments, runs, metric history, search) is defined here;
    the model registry, the audit log and the emergency stop are the
    methods of :class:`slipway.registry.RegistryMethods`; endpoints,
    pipelines, features and rollouts those of
    :class:`slipway.rollout.RolloutMethods`.
    """

    def __init__(self, core, uri: str) -> None:
        self._core = core
        self.uri = uri
        self._runs: "weakref.WeakSet[tracking.Run]" = weakref.WeakSet()
        self._runs_lock = threading.Lock()
        _open_stores.add(self)

    def __repr__(self) -> str:
        return f"<slipway.Store {self.uri!r}>"

    def router(
        self,
        endpoint: str,
        *,
        refresh_interval: float = 0.25,
        controller_interval: float = 1.0,
        label_table_size: Optional[int] = None,
        replica: Optional[str] = None,
        background: bool = True,
    ) -> "router_module.Router":
        """A :class:`slipway.router.Router` of ``endpoint`` (docs/serving.md):
        routes requests by the endpoint's rollout, re-reads it every
        ``refresh_interval`` seconds, writes outcome windows to this store.
        NotFoundError ``ENDPOINT_NOT_FOUND``."""
        from . import router as router_module

        return router_module.Router(
            self._core.open_router(
                endpoint,
                refresh_interval_s=refresh_interval,
                controller_interval_s=controller_interval,
                label_table_size=label_table_size,
                replica=replica,
                background=background,
            )
        )

    # Live runs started through this object, for the exit hook.
    def _remember(self, run) -> None:
        with self._runs_lock:
            self._runs.add(run)

    def _forget(self, run) -> None:
        with self._runs_lock:
            self._runs.discard(run)

    def _live_runs(self) -> list:
        with self._runs_lock:
            return list(self._runs)

    # --- experiments -------------------------------------------------------

    def create_experiment(self, name: str, tags: Optional[Mapping[str, Any]] = None) -> Experiment:
        """Creates an experiment (AlreadyExistsError ``EXPERIMENT_EXISTS``)."""
        return Experiment(self._core.create_experiment(name, tracking._pairs(tags)))

    def get_experiment(self, name: str) -> Experiment:
        """NotFoundError ``EXPERIMENT_NOT_FOUND`` when missing."""
        return Experiment(self._core.get_experiment(name))

    def list_experiments(self) -> List[Experiment]:
        return [Experiment(e) for e in self._core.list_experiments()]

    # --- runs --------------------------------------------------------------

    def start_run(
        self,
        experiment: Optional[str] = None,
        name: Optional[str] = None,
        *,
        params: Optional[Mapping[str, Any]] = None,
        tags: Optional[Mapping[str, Any]] = None,
        parent: Any = _AUTO,
        nested: bool = True,
    ) -> "tracking.Run":
        """Starts a run in this store and makes it the active run; see
        :func:`slipway.start_run` for the arguments and the context-manager
        behaviour."""
        return tracking._start(
            self,
            experiment=experiment,
            name=name,
            params=params,
            tags=tags,
            parent=parent,
            nested=nested,
        )

    def _info(self, core) -> RunInfo:
        # The store returns each run with its metric summaries (one query
        # per page, not one per run).
        metrics = {m.key: m.last_value for m in core.metrics}
        return RunInfo._from_core(core, metrics)

    def get_run(self, run_id: str) -> RunInfo:
        """The run as stored (NotFoundError ``RUN_NOT_FOUND``). A RUNNING run
        whose process died reads as KILLED."""
        return self._info(self._core.get_run(run_id))

    def metric_history(
        self,
        run_id: str,
        key: str,
        *,
        min_step: Optional[int] = None,
        max_step: Optional[int] = None,
        max_points: Optional[int] = None,
    ):
        """``(steps, timestamps, values)`` of one metric as numpy arrays
        (int64, int64 Unix ms, float64), in logging order. Points with a step
        outside ``[min_step, max_step]`` are left out; with ``max_points``, a
        longer history is downsampled for plotting (each bucket keeps its
        first, min, max and last points). Flushes this store's pending points
        first. NotFoundError ``METRIC_NOT_FOUND``."""
        return self._core.metric_history(
            run_id, key, min_step=min_step, max_step=max_step, max_points=max_points
        )

    def search_runs(
        self,
        experiment: Union[None, str, Sequence[str]] = None,
        filter: str = "",
        order_by: Optional[Sequence[str]] = None,
        max_results: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Runs:
        """Runs matching ``filter`` (MLflow's grammar plus ``or``, ``not`` and
        parentheses, docs/search.md), e.g. ``"metrics.acc > 0.9 and
        params.lr = '0.01'"``, ordered by ``order_by`` (e.g.
        ``["metrics.acc DESC"]``). ``experiment``: a name, a list of names,
        or None for every experiment. Returns a :class:`Runs` page; pass its
        ``next_page_token`` to get the next one. A malformed filter raises
        ValidationError naming the position."""
        if experiment is None:
            experiments: List[str] = []
        elif isinstance(experiment, str):
            experiments = [experiment]
        else:
            experiments = list(experiment)
        runs, token = self._core.search_runs(
            experiments, filter, list(order_by or []), max_results, page_token or ""
        )
        return Runs((self._info(r) for r in runs), token or None)

    def flush(self) -> None:
        """Makes every point logged through this store durable."""
        self._core.flush()


def open(  # noqa: A001 - sw.open is the API name (API.md)
    uri: str,
    *,
    clock=None,
    durability: str = "buffered",
    flush_interval: Union[None, float, _dt.timedelta] = None,
    busy_deadline: Union[None, float, _dt.timedelta] = None,
    heartbeat_interval: Union[None, float, _dt.timedelta] = None,
    stale_run_timeout: Union[None, float, _dt.timedelta] = None,
    user: Optional[str] = None,
    policy: Optional["_slipway.ValidationPolicy"] = None,
    roles: Optional[Iterable[Any]] = None,
    artifact_root: Union[None, str, "os.PathLike[str]"] = None,
    emergency_stop_file: Union[None, str, "os.PathLike[str]"] = None,
    emergency_stop_everywhere: Optional[bool] = None,
) -> Store:
    """Opens (creating if needed) the store at ``uri``: a file path or
    ``"sqlite:///abs/path"`` (SQLite, WAL), or ``":memory:"``.

    Args:
        clock: a clock such as :class:`slipway.testing.FakeClock`; default
            the system clock.
        durability: ``"buffered"`` (points are group-committed every
            ``flush_interval``; a crash loses at most that window) or
            ``"every_call"`` (every ``log_metric`` commits; slow).
        flush_interval, busy_deadline, heartbeat_interval, stale_run_timeout:
            seconds or timedeltas; None keeps the defaults of
            ``slipway::StoreOptions`` (200 ms, 30 s, 10 s, 60 s).
        user: recorded on new runs; default ``$USER``.
        policy: a :class:`slipway.Policy`: the environments (which is
            production), the environment calls act in when they name none,
            approved dataset prefixes. Default: SPEC.md's, acting in
            ``"development"``.
        roles: the role policy of the registry, replacing the default: a
            list of ``{"environment": ..., "action": ..., "roles": [...]}``
            dicts (or ``(environment, action, roles)`` tuples). Actions:
            ``approve``, ``reject``, ``request_approval``, ``set_alias``,
            ``delete_alias``, ``archive_version``, ``delete_version``; an
            action without a rule in an environment is open to everyone
            there, so ``roles=[]`` lifts every limit. None keeps the default
            (approving and rejecting in staging and production need
            data-science-lead, platform-lead or admin; deleting a version in
            production needs platform-lead or admin), which
            :func:`slipway.registry.default_role_rules` returns for extending.
        artifact_root: where version artifacts are stored (content
            addressed). Default: ``artifacts/`` beside the store file; for
            ``":memory:"`` a temporary directory removed with the store.
        emergency_stop_file: the stop file (SPEC §5). Default:
            ``$SLIPWAY_EMERGENCY_STOP_FILE``, else ``slipway.STOP`` beside
            the store file.
        emergency_stop_everywhere: True makes the emergency stop refuse in
            every environment; default False (outside production a set stop
            warns, is audited, and the operation goes on; SPEC §7).

    Raises ValidationError ``STORE_URI_INVALID`` for an unknown scheme and
    StoreError for storage failures.
    """
    try:
        d = _slipway.Durability.__members__[durability.upper()]
    except (KeyError, AttributeError):
        raise ValueError(
            f"durability must be 'buffered' or 'every_call', not {durability!r}"
        ) from None
    core = _slipway.Store.open(
        os.fspath(uri),
        clock=clock,
        durability=d,
        flush_interval_s=_seconds(flush_interval, "flush_interval"),
        busy_deadline_s=_seconds(busy_deadline, "busy_deadline"),
        heartbeat_interval_s=_seconds(heartbeat_interval, "heartbeat_interval"),
        stale_run_timeout_s=_seconds(stale_run_timeout, "stale_run_timeout"),
        user=user,
        policy=policy,
        roles=None if roles is None else _role_rules(roles),
        artifact_root=None if artifact_root is None else os.fspath(artifact_root),
        emergency_stop_file=(
            None if emergency_stop_file is None else os.fspath(emergency_stop_file)
        ),
        emergency_stop_everywhere=emergency_stop_everywhere,
    )
    return Store(core, os.fspath(uri))


def _role_rules(roles: Iterable[Any]) -> List[Tuple[str, str, List[str]]]:
    """``roles=`` of :func:`open` as (environment, action, roles) tuples."""
    if isinstance(roles, (str, Mapping)):
        raise TypeError("roles must be a list of rules, e.g. [{'environment': "
                        "'production', 'action': 'approve', 'roles': ['admin']}]")
    out = []
    for rule in roles:
        if isinstance(rule, Mapping):
            unknown = set(rule) - {"environment", "action", "roles"}
            if unknown:
                raise TypeError(f"unknown key(s) {sorted(unknown)} in role rule {rule!r}")
            env, action, allowed = rule["environment"], rule["action"], rule["roles"]
        elif isinstance(rule, (tuple, list)) and len(rule) == 3:
            env, action, allowed = rule
        else:
            raise TypeError(
                "each role rule must be a dict with 'environment', 'action' and "
                f"'roles', or an (environment, action, roles) tuple, not {rule!r}"
            )
        if isinstance(allowed, str):
            raise TypeError(f"'roles' of a role rule is a list of role names, not the str {allowed!r}")
        out.append((env, action, list(allowed)))
    return out


def set_store(uri_or_store: Union[str, "os.PathLike[str]", Store]) -> Store:
    """Sets the default store of the module-level calls (``sw.start_run``
    and friends) and returns it. A URI is opened with default options."""
    global _default
    store = uri_or_store if isinstance(uri_or_store, Store) else open(uri_or_store)
    with _default_lock:
        _default = store
    return store


def default_store() -> Store:
    """The default store: the one given to :func:`set_store`, else
    ``$SLIPWAY_STORE``, else ``./slipway.db`` (opened on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = open(os.environ.get(ENV_VAR) or DEFAULT_URI)
        return _default


def _at_exit() -> None:
    failed = getattr(sys, "last_type", None) is not None and not issubclass(
        sys.last_type, SystemExit
    )
    for store in list(_open_stores):
        for run in store._live_runs():
            try:
                if not run._ended:
                    run.end("FAILED" if failed else "FINISHED")
            except Exception as e:  # noqa: BLE001 - report and go on at exit
                print(f"slipway: could not end run {run.id} at exit: {e}", file=sys.stderr)
        try:
            store.flush()
        except Exception as e:  # noqa: BLE001
            print(f"slipway: could not flush {store.uri} at exit: {e}", file=sys.stderr)


def _after_fork_in_child() -> None:
    global _default, _default_lock
    _default = None
    _default_lock = threading.Lock()  # another parent thread may have held it
    _open_stores.clear()
    tracking._active.set(None)


atexit.register(_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

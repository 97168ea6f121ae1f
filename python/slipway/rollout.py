"""Endpoints and guarded progressive rollouts, on a Store (SPEC.md §2-§5).

::

    store = sw.open("runs/slipway.db", policy=sw.Policy(environment="production"))
    store.register_endpoint("fraud-prod", environment="production",
                            alert_rules=["accuracy", "latency", "drift"],
                            model="fraud-detection", version="2.4.0")
    rollout = store.deploy("fraud-detection", "2.4.1", endpoint="fraud-prod",
                           change_ticket="MLOPS-2024-0456")   # default plan: SPEC §3
    store.record_outcomes("fraud-prod", "2.4.1", minute, requests=1000, errors=3,
                          latencies_ms=latencies)             # what serving saw
    store.tick()                        # one controller pass: guardrails, gates, steps
    rollout.approve("canary-2", actor="ds-lead@example.com", role="data-science-lead")
    rollout.status()                    # stage, weights, time in stage, readings, next gate
    rollout.rollback(reason="manual")

The rules (the gates, the plan and its stages, the guardrails, the state
machine, the emergency stop) are the C++ core's (``slipway/store.h``,
``slipway/rollout.h``; docs/rollouts.md is the guide). These methods convert
arguments and results: results are frozen dataclasses holding plain Python
values, and a :class:`Rollout` is a handle (a store and an id) whose methods
return the rollout's new :class:`RolloutStatus`.

Time
    Everything a rollout waits for (observation times, one-minute outcome
    windows) is read from the store's clock, so a
    :class:`slipway.testing.FakeClock` walks a seven-day plan in
    milliseconds: ``clock.advance(minutes=30); store.tick()``.

Actors
    As in the registry: ``actor`` and ``role`` default to
    ``$SLIPWAY_ACTOR`` (else ``$USER``) and ``$SLIPWAY_ROLE``. An approval
    must come from exactly the role the awaited stage names.

Errors
    GateError for a refused gate (``GATE_CHANGE_TICKET``,
    ``GATE_MODEL_VALIDATION``, ``GATE_SHADOW_FIRST``, ``GATE_CANARY``,
    ``GATE_MONITORING``, ``GATE_DATA_QUALITY``, ``GATE_MANUAL_APPROVAL``:
    the message names the gate and what would satisfy it), a refused step
    (``ROLE_REQUIRED``, ``APPROVAL_NOT_EXPECTED``, ``ROLLOUT_ENDED``,
    ``ROLLOUT_TRANSITION_INVALID``, ``ROLLOUT_ACTIVE``, ...);
    EmergencyStopError while the stop is set (production); ValidationError
    for a bad name, version or plan (``PLAN_INVALID``); NotFoundError for an
    unknown endpoint, pipeline, feature or rollout; AlreadyExistsError
    ``ENDPOINT_EXISTS``, ``PIPELINE_EXISTS``, ``FEATURE_EXISTS``.

Drift
    The controller checks drift itself (SPEC §3: beyond 3 standard
    deviations the rollout halts): give the endpoint a reference sample per
    feature (:meth:`RolloutMethods.set_drift_reference`, e.g. training
    data), let serving record the candidate's sampled feature values per
    minute (:meth:`RolloutMethods.record_feature_samples`), and each
    ``tick()`` judges one chunk per feature per check interval of a stage
    (halting only when the chunk after it agrees; docs/rollouts.md "Drift").
    ``status().readings.drift`` holds one :class:`FeatureDriftReading` per
    feature with a reference.

Feature pipeline changes
    SPEC §3: a change is validated on a 1,000-record sample first
    (:meth:`RolloutMethods.validate_feature_sample`,
    :meth:`RolloutMethods.update_feature`).

Capacity
    SPEC §3: a capacity change is capped at +25 % of current capacity per
    action (:func:`cap_capacity_change`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import array
import json
import numbers
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _slipway

__all__ = [
    "ALERT_RULE_DEFAULTS",
    "MAX_CAPACITY_INCREASE",
    "Endpoint",
    "Routing",
    "FeatureDriftReading",
    "GuardrailReadings",
    "FeatureSampleReport",
    "RolloutApproval",
    "RolloutStatus",
    "Rollout",
    "CapacityDecision",
    "cap_capacity_change",
    "cap_continuous_capacity_change",
]

# The thresholds an alert rule named without one gets (SPEC §3's automated
# rules): accuracy drop 5 %, p99 latency 1.5 x the stable version's, drift
# 3 standard deviations, error rate 2 %.
ALERT_RULE_DEFAULTS: Mapping[str, float] = {
    "accuracy": 0.05,
    "latency": 1.5,
    "drift": 3.0,
    "error_rate": 0.02,
}

#: SPEC §3: a capacity change is capped at +25 % of current capacity per
#: action (the default ``max_increase`` of :func:`cap_capacity_change`).
MAX_CAPACITY_INCREASE: float = _slipway.MAX_CAPACITY_INCREASE

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)

Version = Union[str, int]
When = Union[str, _dt.datetime, int]


# --- values ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """A registered endpoint: the model it serves, the ``stable_version``
    serving all traffic outside a rollout (a completed rollout promotes its
    candidate), and its alert rules as ``{name: threshold}``. Times are Unix
    milliseconds."""

    name: str
    environment: str
    model: str
    stable_version: str
    alert_rules: Dict[str, float]
    created_ms: int
    updated_ms: int

    @classmethod
    def _from_core(cls, d: Mapping[str, Any]) -> "Endpoint":
        return cls(**dict(d, alert_rules=dict(d["alert_rules"])))


@dataclasses.dataclass(frozen=True)
class Routing:
    """What serving processes route by. ``candidate_version`` is None when
    all traffic goes to the stable version; ``candidate_weight`` is the
    fraction (0..1) the candidate serves; with ``shadow`` the candidate is
    mirrored (its predictions logged, not served). ``generation`` grows with
    every change."""

    endpoint: str
    stable_version: str
    candidate_version: Optional[str]
    candidate_weight: float
    shadow: bool
    generation: int

    @property
    def stable_weight(self) -> float:
        return 1.0 - self.candidate_weight

    @property
    def weights(self) -> Dict[str, float]:
        """``{version: fraction of traffic}`` of the versions serving now."""
        out = {self.stable_version: self.stable_weight}
        if self.candidate_version and self.candidate_weight > 0:
            out[self.candidate_version] = self.candidate_weight
        return out

    @classmethod
    def _from_core(cls, d: Mapping[str, Any]) -> "Routing":
        return cls(**dict(d, candidate_version=d["candidate_version"] or None))


@dataclasses.dataclass(frozen=True)
class FeatureDriftReading:
    """The controller's drift reading of one feature of a rollout's
    candidate: its recorded samples against the endpoint's drift reference
    (:meth:`RolloutMethods.set_drift_reference`).

    ``verdict`` is ``"NOT_ENOUGH_DATA"`` (``note`` says why: too few rows in
    the current check interval, or a reference shorter than the plan's
    ``drift_min_reference_chunks`` chunks), ``"HEALTHY"`` or ``"DRIFT"``.
    ``statistic`` is the judged chunk's KS D (or PSI, per the plan),
    ``sigma`` how many standard deviations of the reference chunks'
    statistics it lies above their mean, ``threshold`` the statistic's
    limit (mean + the plan's ``max_drift_sigma`` σ); each is NaN without a
    verdict. ``chunk_rows`` is the chunk size, ``reference_rows`` the
    reference's, ``chunk_start_ms`` the start of the check interval judged
    (Unix ms; 0 without a verdict)."""

    feature: str
    verdict: str
    note: str
    statistic: float
    sigma: float
    threshold: float
    chunk_rows: int
    reference_rows: int
    chunk_start_ms: int

    @property
    def drifted(self) -> bool:
        """Whether this reading is a drift verdict (``verdict == "DRIFT"``)."""
        return self.verdict == "DRIFT"


@dataclasses.dataclass(frozen=True)
class GuardrailReadings:
    """The guardrail readings of the current stage, since it was entered.
    Each verdict is ``"NOT_ENOUGH_DATA"``, ``"HEALTHY"`` or ``"FAILING"``;
    ``error_streak`` counts failing one-minute windows in a row;
    ``windows`` is how many one-minute windows were read. ``drift`` holds
    one :class:`FeatureDriftReading` per feature with a drift reference on
    the endpoint (by feature name; empty without references, and empty
    while the rollout is halted or ended: the check runs only while a stage
    is in force or awaits its approval, so after a drift halt the reading
    that caused it is in ``last_reason``)."""

    error_rate_verdict: str
    latency_verdict: str
    accuracy_verdict: str
    candidate_requests: int
    candidate_errors: int
    error_rate: float
    error_streak: int
    candidate_p99_ms: float
    stable_p99_ms: float
    p99_ratio: float
    candidate_accuracy: float
    stable_accuracy: float
    predictions: int
    windows: int
    drift: List[FeatureDriftReading] = dataclasses.field(default_factory=list)

    @classmethod
    def _from_core(cls, d: Mapping[str, Any]) -> "GuardrailReadings":
        return cls(**dict(d, drift=[FeatureDriftReading(**f) for f in d["drift"]]))


@dataclasses.dataclass(frozen=True)
class FeatureSampleReport:
    """The SPEC §3 check of a feature sample
    (:meth:`RolloutMethods.validate_feature_sample`): ``passed`` when it
    has at least 1,000 rows, no nulls (NaN), no infinite value, variance
    above zero and every value inside the feature's expected range.
    ``nulls``, ``below_min`` and ``above_max`` count the offending rows;
    ``min``, ``max`` and ``variance`` (population) are over the non-null
    values (NaN when undefined). ``problems`` has one sentence per violated
    rule (empty when passed). A report is truthy when it passed."""

    feature: str
    passed: bool
    rows: int
    nulls: int
    below_min: int
    above_max: int
    min: float
    max: float
    variance: float
    problems: List[str]

    def __bool__(self) -> bool:
        return self.passed


@dataclasses.dataclass(frozen=True)
class CapacityDecision:
    """What :func:`cap_capacity_change` allows: ``allowed`` is the capacity
    one action may set, ``capped`` whether the request was cut down to it."""

    allowed: Union[int, float]
    capped: bool


@dataclasses.dataclass(frozen=True)
class RolloutApproval:
    """An approval that entered ``stage`` (``at_ms``: Unix ms)."""

    stage: str
    actor: str
    role: str
    at_ms: int


@dataclasses.dataclass(frozen=True)
class RolloutStatus:
    """Where a rollout is and what it waits for.

    ``phase`` is ``"IN_STAGE"``, ``"AWAITING_APPROVAL"``, ``"HALTED"``,
    ``"COMPLETED"``, ``"ROLLED_BACK"`` or ``"ABORTED"``; ``stage`` is the
    stage in force, or the one awaited. ``next_gate`` says what moves it
    next (None once it ended); ``halt_cause`` is ``"DRIFT"`` or
    ``"EMERGENCY_STOP"`` while halted. ``readings`` are the current stage's
    guardrail readings (None in :meth:`slipway.Store.rollouts` listings,
    which do not read the outcome windows). ``rollback_version`` is the
    version a rollback returns to (SPEC §4). ``state`` is the whole state
    as a dict (``slipway.v1.RolloutState`` in protobuf's JSON mapping).
    """

    id: str
    endpoint: str
    model: str
    candidate_version: str
    stable_version: str
    phase: str
    active: bool
    stage: str
    stage_index: int
    stable_weight: float
    candidate_weight: float
    shadow: bool
    time_in_stage: _dt.timedelta
    halt_cause: Optional[str]
    last_reason: str
    next_gate: Optional[str]
    readings: Optional[GuardrailReadings]
    approvals: List[RolloutApproval]
    change_ticket: Optional[str]
    rollback_version: str
    gate_notes: List[str]
    transitions: int
    started_ms: int
    updated_ms: int
    state: Dict[str, Any]
    #: What a controller tick would do now and why, from the readings (e.g.
    #: which guardrail still lacks data before the next stage); "" when
    #: ended, and in ``store.rollouts()`` lists (no readings there).
    outlook: str = ""

    @property
    def weights(self) -> Dict[str, float]:
        """``{"stable": ..., "candidate": ...}``: the fractions in force."""
        return {"stable": self.stable_weight, "candidate": self.candidate_weight}

    @classmethod
    def _from_core(cls, d: Mapping[str, Any]) -> "RolloutStatus":
        r = d["readings"]
        # The core fills the readings only when it read the windows (every
        # verdict is then one of the three names).
        readings = GuardrailReadings._from_core(r) if r["error_rate_verdict"] else None
        return cls(
            id=d["id"],
            endpoint=d["endpoint"],
            model=d["model"],
            candidate_version=d["candidate_version"],
            stable_version=d["stable_version"],
            phase=d["phase"],
            active=d["active"],
            stage=d["stage"],
            stage_index=d["stage_index"],
            stable_weight=d["stable_weight"],
            candidate_weight=d["candidate_weight"],
            shadow=d["shadow"],
            time_in_stage=_dt.timedelta(seconds=d["time_in_stage_s"]),
            halt_cause=d["halt_cause"] or None,
            last_reason=d["last_reason"],
            outlook=d.get("outlook", ""),
            next_gate=d["next_gate"] or None,
            readings=readings,
            approvals=[RolloutApproval(**a) for a in d["approvals"]],
            change_ticket=d["change_ticket"] or None,
            rollback_version=d["rollback_version"],
            gate_notes=list(d["gate_notes"]),
            transitions=d["transitions"],
            started_ms=d["started_ms"],
            updated_ms=d["updated_ms"],
            state=json.loads(d["state_json"]) if d["state_json"] else {},
        )


# --- the capacity cap (SPEC §3) -----------------------------------------------------


def cap_capacity_change(
    current: int, requested: int, max_increase: float = MAX_CAPACITY_INCREASE
) -> CapacityDecision:
    """SPEC §3: "A capacity change (replicas, scaling) is capped at +25 % of
    current capacity per action." Returns the replica count one action may
    set, and whether ``requested`` was cut down to it.

    A decrease (or no change) is allowed as asked. An increase is capped at
    ``current + floor(current * max_increase)``, but at least
    ``current + 1`` (rounded down, +25 % of 1 to 3 replicas is no replica,
    and a cap that can never add one would freeze a small deployment)::

        >>> cap_capacity_change(8, 20)
        CapacityDecision(allowed=10, capped=True)
        >>> cap_capacity_change(1, 4).allowed, cap_capacity_change(100, 125).capped
        (2, False)

    Scale in several actions to go further (8 -> 10 -> 12 -> 15 -> 18 -> 20).
    Pure arithmetic: the same function the C++ core applies
    (``src/rollout/capacity.h``). Raises ValidationError
    ``CAPACITY_INVALID`` for a negative count or a ``max_increase`` outside
    (0, 10]; TypeError unless the counts are ints.
    """
    return CapacityDecision(
        **_slipway.cap_capacity_change(
            _int(current, "current"), _int(requested, "requested"), _real(max_increase, "max_increase")
        )
    )


def cap_continuous_capacity_change(
    current: float, requested: float, max_increase: float = MAX_CAPACITY_INCREASE
) -> CapacityDecision:
    """The SPEC §3 cap for a continuous capacity (a CPU or throughput quota):
    an increase is capped at exactly ``current * (1 + max_increase)``, with
    no minimum step (from 0 nothing may be added); a decrease is allowed as
    asked. ``cap_continuous_capacity_change(2.0, 4.0)`` allows 2.5.
    ValidationError ``CAPACITY_INVALID`` for a negative or non-finite value
    or a ``max_increase`` outside (0, 10]."""
    return CapacityDecision(
        **_slipway.cap_continuous_capacity_change(
            _real(current, "current"), _real(requested, "requested"), _real(max_increase, "max_increase")
        )
    )


# --- the rollout handle -------------------------------------------------------------


class Rollout:
    """A handle on one rollout of a store: ``store.deploy(...)`` and
    ``store.rollout(id)`` return one. It holds no state beyond the id: every
    method reads or changes the stored rollout, so two handles (or two
    processes) on one rollout agree. Methods that act return the new
    :class:`RolloutStatus`; each is audited, refused or not."""

    __slots__ = ("_store", "id", "endpoint", "model", "version")

    def __init__(self, store, status: RolloutStatus) -> None:
        self._store = store
        self.id: str = status.id
        self.endpoint: str = status.endpoint
        self.model: str = status.model
        self.version: str = status.candidate_version

    def _core(self):
        return self._store._core

    def status(self) -> RolloutStatus:
        """Phase, stage, weights, time in stage, guardrail readings (read
        from the outcome windows now), next gate, approvals, rollback
        version."""
        return RolloutStatus._from_core(self._core().get_rollout(self.id))

    def approve(
        self, stage: str, actor: Optional[str] = None, role: Optional[str] = None
    ) -> RolloutStatus:
        """Approves entering the awaited ``stage`` (GateError
        ``APPROVAL_NOT_EXPECTED`` when it awaits another or none,
        ``ROLE_REQUIRED`` unless ``role`` is the stage's,
        ``APPROVAL_ACTOR_MISSING`` without an actor)."""
        return RolloutStatus._from_core(
            self._core().approve_rollout(self.id, stage, actor=actor, role=role)
        )

    def rollback(self, reason: str = "manual", actor: Optional[str] = None) -> RolloutStatus:
        """Sends all traffic back to the rollback version in one routing
        swap; the rollout ends ``ROLLED_BACK`` (a failed rollout)."""
        return RolloutStatus._from_core(
            self._core().rollback_rollout(self.id, reason, actor=actor)
        )

    def abort(self, reason: str = "", actor: Optional[str] = None) -> RolloutStatus:
        """Cancels the rollout: traffic returns to the rollback version and
        it ends ``ABORTED`` (not counted as a failed rollout)."""
        return RolloutStatus._from_core(self._core().abort_rollout(self.id, reason, actor=actor))

    def resume(self, actor: Optional[str] = None) -> RolloutStatus:
        """Resumes a halted rollout (drift, or the emergency stop once
        cleared) where it was."""
        return RolloutStatus._from_core(self._core().resume_rollout(self.id, actor=actor))

    def report_drift(
        self, feature: str, sigma: float, actor: Optional[str] = None
    ) -> RolloutStatus:
        """A drift monitor's finding on ``feature``: beyond the plan's limit
        (3 standard deviations by default) the rollout halts, holding its
        weights, until a person resumes or rolls back."""
        return RolloutStatus._from_core(
            self._core().report_drift(self.id, feature, float(sigma), actor=actor)
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Rollout)
            and other._store is self._store
            and other.id == self.id
        )

    def __hash__(self) -> int:
        return hash((id(self._store), self.id))

    def __repr__(self) -> str:
        return (
            f"<slipway.Rollout {self.id!r}: {self.model} {self.version} "
            f"on {self.endpoint!r}>"
        )


# --- argument conversion ----------------------------------------------------------


def _alert_rules(value: Any) -> List[Tuple[str, float]]:
    """``alert_rules=`` as (name, threshold) pairs: a dict ``{name:
    threshold or None}``, or a list of names and (name, threshold) pairs. A
    rule without a threshold takes ALERT_RULE_DEFAULTS[name]."""
    if value is None:
        return []
    if isinstance(value, str):
        raise TypeError(
            f"alert_rules must be a list of rule names or a {{name: threshold}} dict, "
            f"not the str {value!r} (did you mean [{value!r}]?)"
        )
    items: Iterable[Any] = value.items() if isinstance(value, Mapping) else value
    out = []
    for item in items:
        if isinstance(item, str):
            name, threshold = item, None
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            name, threshold = item
        else:
            raise TypeError(
                f"each alert rule must be a name or a (name, threshold) pair, not {item!r}"
            )
        if not isinstance(name, str):
            raise TypeError(f"an alert rule's name must be a str, not {name!r}")
        if threshold is None:
            if name not in ALERT_RULE_DEFAULTS:
                known = ", ".join(f"{k} ({v:g})" for k, v in ALERT_RULE_DEFAULTS.items())
                raise ValueError(
                    f"alert rule {name!r} has no default threshold (defaults: {known}); "
                    f"give one, e.g. alert_rules={{{name!r}: 0.1}}"
                )
            threshold = ALERT_RULE_DEFAULTS[name]
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
            raise TypeError(f"the threshold of alert rule {name!r} must be a number, not {threshold!r}")
        out.append((name, float(threshold)))
    return out


def _version(value: Version, name: str = "version") -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"{name} must be a str or an int, not {type(value).__name__}")
    return str(value)


def _plan_json(plan: Union[None, str, Mapping[str, Any]]) -> str:
    if plan is None:
        return ""
    if isinstance(plan, str):
        return plan
    if isinstance(plan, Mapping):
        return json.dumps(plan)
    raise TypeError(
        f"plan must be a dict or a JSON str (docs/rollouts.md \"Plans\"), not {type(plan).__name__}"
    )


def _manual_approval(value: Any) -> Tuple[Optional[str], Optional[str]]:
    if value is None:
        return None, None
    if isinstance(value, Mapping):
        unknown = set(value) - {"actor", "role"}
        if unknown:
            raise TypeError(f"unknown key(s) {sorted(unknown)} in manual_approval {value!r}")
        return value.get("actor"), value.get("role")
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return value[0], value[1]
    raise TypeError(
        "manual_approval must be {'actor': ..., 'role': ...} or an (actor, role) "
        f"tuple, not {value!r}"
    )


def _minute_ms(minute: When) -> int:
    """Unix ms of ``minute``: an aware datetime, an RFC 3339 str or Unix
    ms (int)."""
    if isinstance(minute, bool):
        raise TypeError("minute must be a datetime, an RFC 3339 str or Unix ms, not a bool")
    if isinstance(minute, numbers.Integral):
        return int(minute)
    if isinstance(minute, str):
        return _slipway.parse_rfc3339_micros(minute) // 1000
    if isinstance(minute, _dt.datetime):
        if minute.tzinfo is None:
            raise ValueError(
                "minute is a naive datetime: give a timezone-aware one, e.g. "
                "datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)"
            )
        return (minute - _EPOCH) // _dt.timedelta(milliseconds=1)
    raise TypeError(
        f"minute must be a datetime, an RFC 3339 str or Unix ms, not {type(minute).__name__}"
    )


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, not {value}")
    return int(value)


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return int(value)


def _real(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    return float(value)


def _values(value: Any, name: str = "values"):
    """Feature values as the binding reads them in place: a contiguous 1-D
    float64 numpy array (one conversion, no Python loop; NaN stays NaN =
    null), or an ``array('d')`` where numpy is not installed."""
    if isinstance(value, (str, bytes, Mapping)) or value is None:
        raise TypeError(
            f"{name} must be a 1-D array of numbers (a numpy array, a list), "
            f"not {type(value).__name__}"
        )
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a test dependency
        try:
            return array.array("d", value)
        except TypeError as e:
            raise TypeError(f"{name} must be a 1-D sequence of numbers: {e}") from None
    try:
        out = np.ascontiguousarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name} must be a 1-D array of numbers: {e}") from None
    if out.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (one value per row), not an array of shape {out.shape}; "
            f"pass one feature's column, e.g. values[:, 0]"
        )
    return out


def _latencies(value: Any):
    """A contiguous 1-D float64 numpy array when numpy is given (copied in
    one go by the binding), else a list of floats."""
    if value is None:
        return None
    if type(value).__module__ == "numpy":
        import numpy as np

        return np.ascontiguousarray(value, dtype=np.float64).reshape(-1)
    return [float(v) for v in value]


# --- the Store methods ------------------------------------------------------------


class RolloutMethods:
    """The endpoint, pipeline, feature and rollout methods of
    :class:`slipway.Store` (mixed in; needs ``self._core``)."""

    _core: Any

    # --- endpoints ---------------------------------------------------------------

    def register_endpoint(
        self,
        name: str,
        environment: Optional[str] = None,
        *,
        model: str,
        version: Optional[Version] = None,
        alert_rules: Any = None,
        actor: Optional[str] = None,
        role: Optional[str] = None,
    ) -> Endpoint:
        """Registers an endpoint serving ``version`` of ``model`` (its
        stable version) in ``environment`` (default: the policy's).

        Args:
            alert_rules: the endpoint's alert rules, as names
                (``["accuracy", "latency", "drift"]``, each taking its
                default threshold from :data:`ALERT_RULE_DEFAULTS`: accuracy
                0.05, latency 1.5, drift 3.0, error_rate 0.02), as a
                ``{name: threshold}`` dict, or as (name, threshold) pairs.
                A rule's kind is read from its name. SPEC §2 "monitoring
                active" wants at least accuracy, latency and drift rules
                before a production rollout.

        Raises AlreadyExistsError ``ENDPOINT_EXISTS``, ValidationError for
        the names (``ENDPOINT_NAME_INVALID``, ...), EmergencyStopError in
        production while the stop is set.
        """
        return Endpoint._from_core(
            self._core.register_endpoint(
                name,
                environment or "",
                model,
                "" if version is None else _version(version),
                _alert_rules(alert_rules),
                actor=actor,
                role=role,
            )
        )

    def get_endpoint(self, name: str) -> Endpoint:
        """NotFoundError ``ENDPOINT_NOT_FOUND`` when missing."""
        return Endpoint._from_core(self._core.get_endpoint(name))

    def list_endpoints(self) -> List[Endpoint]:
        return [Endpoint._from_core(d) for d in self._core.list_endpoints()]

    def update_endpoint(
        self,
        name: str,
        alert_rules: Any,
        *,
        actor: Optional[str] = None,
        role: Optional[str] = None,
    ) -> Endpoint:
        """Replaces the alert rules of endpoint ``name`` (given as in
        :meth:`register_endpoint`: names taking their default thresholds, a
        ``{name: threshold}`` dict or (name, threshold) pairs) and returns
        the updated endpoint. Audited.

        Raises NotFoundError ``ENDPOINT_NOT_FOUND``; EmergencyStopError in
        production while the stop is set (an endpoint update, SPEC §5).
        Dropping a rule the SPEC §2 "monitoring active" gate wants makes
        the next production deploy fail that gate.
        """
        return Endpoint._from_core(
            self._core.update_endpoint(name, _alert_rules(alert_rules), actor=actor, role=role)
        )

    def delete_endpoint(
        self, name: str, *, actor: Optional[str] = None, role: Optional[str] = None
    ) -> None:
        """Deletes an endpoint that never had a rollout. Audited.

        Raises NotFoundError ``ENDPOINT_NOT_FOUND``; GateError
        ``ENDPOINT_IN_USE`` when it has rollouts on record (their history is
        kept: register a new endpoint instead); EmergencyStopError in
        production while the stop is set (SPEC §5).
        """
        self._core.delete_endpoint(name, actor=actor, role=role)

    def routing(self, endpoint: str) -> Routing:
        """The routing serving processes follow now (the stable version,
        and the candidate's weight during a rollout)."""
        return Routing._from_core(self._core.routing(endpoint))

    # --- pipelines and features ----------------------------------------------------

    def register_pipeline(
        self,
        name: str,
        environment: Optional[str] = None,
        *,
        actor: Optional[str] = None,
        role: Optional[str] = None,
    ) -> None:
        """Registers a (feature) pipeline. A pipeline named like an endpoint
        is the one whose last run the SPEC §2 data-quality gate reads for
        that endpoint (``deploy(pipeline=...)`` names another).
        AlreadyExistsError ``PIPELINE_EXISTS``."""
        self._core.register_pipeline(name, environment, actor=actor, role=role)

    def record_pipeline_run(
        self,
        pipeline: str,
        schema_check_passed: bool,
        distribution_check_passed: bool,
        details: Optional[Mapping[str, Any]] = None,
        *,
        actor: Optional[str] = None,
        role: Optional[str] = None,
    ) -> None:
        """Records a run of ``pipeline`` (now, by the store's clock) with
        its data-quality results; the newest run is what the SPEC §2
        data-quality gate reads. ``details``: a dict stored as JSON.
        NotFoundError ``PIPELINE_NOT_FOUND``."""
        if details is not None and not isinstance(details, Mapping):
            raise TypeError(f"details must be a dict, not {type(details).__name__}")
        self._core.record_pipeline_run(
            pipeline,
            bool(schema_check_passed),
            bool(distribution_check_passed),
            json.dumps(details or {}),
            actor=actor,
            role=role,
        )

    def register_feature(
        self,
        name: str,
        dtype: str,
        min: Optional[float] = None,  # noqa: A002 - the natural names
        max: Optional[float] = None,  # noqa: A002
        environment: Optional[str] = None,
        *,
        actor: Optional[str] = None,
        role: Optional[str] = None,
    ) -> None:
        """Registers a feature (``dtype``: ``"float64"``, ``"int64"``,
        ``"bool"`` or ``"string"``) with its expected range. A feature
        write to a production feature group is refused while the emergency
        stop is set (EmergencyStopError). ValidationError for the name
        (SPEC §1: ``^[a-z][a-z0-9_]{0,127}$``, not reserved);
        AlreadyExistsError ``FEATURE_EXISTS``."""
        self._core.register_feature(
            name,
            dtype,
            None if min is None else float(min),
            None if max is None else float(max),
            environment,
            actor=actor,
            role=role,
        )

    def validate_feature_sample(self, feature: str, values: Any) -> FeatureSampleReport:
        """SPEC §3: checks a sample of registered ``feature``'s values
        against its expected range: at least 1,000 rows, no nulls, no
        infinite value, variance above zero, every value inside
        [min, max]. A failing sample is a report (``passed`` False and
        ``problems`` saying why), not an error.

        Args:
            values: a 1-D array of numbers (numpy array, list, ...), taken
                in one conversion; NaN (``None`` in a list) counts as null.

        Raises NotFoundError ``FEATURE_NOT_FOUND``.
        """
        return FeatureSampleReport(**self._core.validate_feature_sample(feature, _values(values)))

    def update_feature(
        self,
        name: str,
        dtype: Optional[str] = None,
        min: Optional[float] = None,  # noqa: A002 - as in register_feature
        max: Optional[float] = None,  # noqa: A002
        *,
        sample: Any,
        actor: Optional[str] = None,
        role: Optional[str] = None,
    ) -> None:
        """A feature pipeline change (SPEC §3): sets ``name``'s dtype
        (None keeps it) and expected range, accepted only when ``sample``
        (at least 1,000 values produced under the new definition) passes
        :meth:`validate_feature_sample` against the NEW range.

        ``min`` and ``max`` replace the stored range: None means no bound
        on that side (give the old bound again to keep it).

        Audited; a feature write (EmergencyStopError in production while
        the stop is set). Raises GateError ``FEATURE_SAMPLE_INVALID`` naming
        every problem of the sample (nothing is changed), NotFoundError
        ``FEATURE_NOT_FOUND``.
        """
        self._core.update_feature(
            name,
            dtype or "",
            None if min is None else _real(min, "min"),
            None if max is None else _real(max, "max"),
            _values(sample, "sample"),
            actor=actor,
            role=role,
        )

    # --- rollouts ----------------------------------------------------------------

    def deploy(
        self,
        model: str,
        version: Version,
        *,
        endpoint: str,
        change_ticket: Optional[str] = None,
        plan: Union[None, str, Mapping[str, Any]] = None,
        actor: Optional[str] = None,
        role: Optional[str] = None,
        pipeline: Optional[str] = None,
        manual_approval: Any = None,
    ) -> Rollout:
        """Starts a rollout of ``version`` of ``model`` on ``endpoint``.

        Checks the SPEC §2 gates first (enforced in production; elsewhere a
        failing gate is noted in the audit log and the rollout goes on),
        records the rollback plan (the endpoint's stable version at 100 %),
        then enters the plan's first stage.

        Args:
            change_ticket: e.g. ``"MLOPS-2024-0456"`` (optional by default;
                one given must match the configured format).
            plan: the plan as a dict or a JSON str (docs/rollouts.md
                "Plans"); None for the default plan of SPEC §3 (shadow 24 h,
                canary 1 % 30 min, canary 10 % 2 h after a data science
                lead's approval, A/B 50 % until significant, full after a
                platform lead's approval).
            pipeline: the pipeline whose last run the data-quality gate
                reads; default the one named like the endpoint, if
                registered.
            manual_approval: after 2 consecutive failed rollouts on the
                endpoint, a lead's approval: ``{"actor": ..., "role": ...}``
                or ``(actor, role)``.

        Raises GateError naming the failing gate (reason ``GATE_...``) or
        ``ROLLOUT_ACTIVE``, ``ROLLOUT_SAME_VERSION``; EmergencyStopError;
        ValidationError (``PLAN_INVALID``, ``ENDPOINT_NOT_REGISTERED``, a
        bad version); NotFoundError for an unknown version.
        """
        approver, approver_role = _manual_approval(manual_approval)
        status = RolloutStatus._from_core(
            self._core.deploy(
                model,
                _version(version),
                endpoint,
                plan_json=_plan_json(plan),
                change_ticket=change_ticket or "",
                actor=actor,
                role=role,
                pipeline=pipeline or "",
                manual_approval_actor=approver,
                manual_approval_role=approver_role,
            )
        )
        return Rollout(self, status)

    def rollout(self, rollout_id: str) -> Rollout:
        """A handle on a rollout (NotFoundError ``ROLLOUT_NOT_FOUND``)."""
        return Rollout(self, RolloutStatus._from_core(self._core.get_rollout(rollout_id)))

    def rollouts(
        self, endpoint: Optional[str] = None, active_only: bool = False
    ) -> List[RolloutStatus]:
        """Rollouts, newest first: of ``endpoint`` (every endpoint when
        None), only the active ones with ``active_only``. The statuses have
        no ``readings`` (``rollout.status()`` reads them)."""
        return [
            RolloutStatus._from_core(d)
            for d in self._core.list_rollouts(endpoint or "", bool(active_only))
        ]

    def tick(self) -> int:
        """One controller pass over every active rollout: reads the outcome
        windows, evaluates guardrails and gates, steps and acts (rollback,
        next stage, completion, a halt under the emergency stop). Returns
        the number of transitions made. Run it on a timer, or after
        advancing a fake clock."""
        return self._core.tick()

    def record_outcomes(
        self,
        endpoint: str,
        version: Version,
        minute: When,
        *,
        requests: int = 0,
        errors: int = 0,
        latencies_ms: Any = None,
        predictions: int = 0,
        labelled: int = 0,
        correct: int = 0,
        successes: int = 0,
        trials: int = 0,
        replica: Optional[str] = None,
    ) -> None:
        """Records what one replica saw of ``version`` on ``endpoint`` in
        the minute containing ``minute`` (an aware datetime, an RFC 3339 str
        or Unix ms); it replaces that replica's earlier window for the same
        minute. The router does this for serving processes; tests and batch
        jobs may too.

        Args:
            requests, errors: requests served and how many failed.
            latencies_ms: one latency per measured request (a numpy array
                or a sequence of numbers).
            predictions, labelled, correct: predictions made, how many got
                a label so far, and how many of those were right (accuracy).
            successes, trials: the A/B test's primary metric (higher is
                better).
            replica: the replica's name (default ``"default"``).

        Give the version as the registry spells it (``"2.4.1"``, not
        ``"v2.4.1"``): windows are matched by that spelling.
        """
        self._core.record_outcomes(
            endpoint,
            _version(version),
            _minute_ms(minute),
            requests=_count(requests, "requests"),
            errors=_count(errors, "errors"),
            latencies_ms=_latencies(latencies_ms),
            predictions=_count(predictions, "predictions"),
            labelled=_count(labelled, "labelled"),
            correct=_count(correct, "correct"),
            successes=_count(successes, "successes"),
            trials=_count(trials, "trials"),
            replica=replica or "",
        )

    # --- drift and feature samples (SPEC §3) ------------------------------------

    def set_drift_reference(
        self,
        endpoint: str,
        feature: str,
        values: Any,
        *,
        actor: Optional[str] = None,
        role: Optional[str] = None,
    ) -> None:
        """Sets the reference sample the controller's drift check compares
        ``feature``'s recorded samples on ``endpoint`` with (e.g. the
        training data's column, in time order); replaces an earlier one.

        Args:
            values: a 1-D array of numbers (numpy array, list, ...), taken
                in one conversion. With the default plan the check needs at
                least 20,000 values (40 chunks of 500); a shorter reference
                gives ``NOT_ENOUGH_DATA`` readings, never a halt.

        Audited; an endpoint update (EmergencyStopError in production while
        the stop is set). Raises NotFoundError ``ENDPOINT_NOT_FOUND`` or
        ``FEATURE_NOT_FOUND`` (register the feature first), ValidationError
        ``DRIFT_SAMPLE_INVALID`` for an empty sample or one holding NaN.
        """
        self._core.set_drift_reference(endpoint, feature, _values(values), actor=actor, role=role)

    def record_feature_samples(
        self,
        endpoint: str,
        version: Version,
        feature: str,
        values: Any,
        minute: Optional[When] = None,
        *,
        replica: Optional[str] = None,
    ) -> None:
        """Records one replica's sampled values of ``feature`` in requests
        that ``version`` served on ``endpoint`` in the minute containing
        ``minute`` (an aware datetime, an RFC 3339 str or Unix ms; default
        now, by the store's clock). It replaces that replica's earlier
        sample of the minute. This is what the drift check reads: each
        ``tick()`` judges the candidate's first chunk (500 rows by default)
        of each check interval (an hour by default) of a stage, once the
        minutes holding it have closed, and a chunk beyond the limit is
        confirmed on the 500 rows after it before the rollout halts.

        Args:
            values: a 1-D array of numbers, taken in one conversion; no NaN
                (drop or impute missing values first).
            replica: the replica's name (default ``"default"``).

        Raises ValidationError for a bad feature name or version, or
        ``DRIFT_SAMPLE_INVALID`` for an empty sample or one holding NaN.
        """
        minute_ms = self._core.now_ms() if minute is None else _minute_ms(minute)
        self._core.record_feature_samples(
            endpoint,
            _version(version),
            minute_ms,
            feature,
            _values(values),
            replica=replica or "",
        )

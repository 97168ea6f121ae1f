"""The model registry, the audit log and the emergency stop, on a Store.

::

    store = sw.open("runs/slipway.db")
    with store.start_run(experiment="fraud") as run:
        ...
    mv = store.register_model_version("fraud-detection", version="2.4.1", run=run,
                                      artifacts=["model.pt"],
                                      datasets=["/data/ml/train.parquet"])
    store.record_validation("fraud-detection", "2.4.1", environment="staging",
                            checks={"accuracy": 0.94}, passed=True)
    store.set_approval("fraud-detection", "2.4.1", "Approved",
                       actor="lead@example.com", role="data-science-lead")
    store.set_alias("fraud-detection", "champion", "2.4.1")
    store.get_model_version("fraud-detection", "champion")
    store.download_artifacts("fraud-detection", "2.4.1", "out/")
    for record in store.audit_log(since="2026-01-01T00:00:00Z"): ...
    store.verify_audit_log()

The rules (version schemes and precedence, aliases, the approval graph, the
role policy, retention, the emergency stop, the audit log) are the C++
core's (``slipway/store.h``, ``slipway/registry.h``, docs/audit.md); these
methods convert arguments and results. Results are frozen dataclasses
holding plain Python values.

Actors
    Every state-changing call takes ``actor`` (who acts) and ``role`` (the
    role they act in, checked against the store's role policy). None means
    ``$SLIPWAY_ACTOR`` (else ``$USER``) and ``$SLIPWAY_ROLE``.

Environments
    A call acts in the environment it names, else the store policy's
    default one (``sw.open(..., policy=sw.Policy(environment=...))``,
    default ``"development"``). Gates, roles and the emergency stop apply in
    full in production; elsewhere a set stop warns (on stderr), is audited,
    and the call goes on (SPEC §7). Only ``set_approval``,
    ``record_validation``, ``delete_model_version`` and the reads
    ``get_model_version``, ``validations`` and ``has_passed_validation``
    take an environment; the other calls act in the policy's default
    environment (the C++ Store takes none for them).

Errors
    ValidationError for a bad name, version, alias, filter or argument;
    NotFoundError for an unknown model, version, alias or run;
    AlreadyExistsError ``MODEL_EXISTS`` / ``MODEL_VERSION_EXISTS``;
    GateError for a refused rule (``ROLE_REQUIRED``,
    ``APPROVAL_TRANSITION_INVALID``, ``RETENTION_PROTECTED``,
    ``VERSION_SCHEME_MISMATCH``, ``VERSION_HAS_ALIAS``);
    EmergencyStopError while the stop is set (production);
    StoreError for a damaged artifact (``ARTIFACT_CORRUPT``), a broken
    audit chain (``AUDIT_CHAIN_BROKEN``) or a store failure.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _slipway

__all__ = [
    "ArtifactFile",
    "DatasetRef",
    "ModelVersion",
    "RegisteredModel",
    "ApprovalEvent",
    "ValidationRecord",
    "Lineage",
    "AuditRecord",
    "EmergencyStopState",
    "EmergencyStop",
    "APPROVAL_STATUSES",
    "default_role_rules",
]

# The approval statuses, in the spelling set_approval takes
# (slipway/registry.h ApprovalStatusName).
APPROVAL_STATUSES = ("None", "PendingApproval", "Approved", "Rejected")

Version = Union[str, int]
PathLike = Union[str, "os.PathLike[str]"]


# --- values ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ArtifactFile:
    """A stored file of a version: ``path`` relative to the version's
    artifact root, ``digest`` ``"sha256:<64 hex>"``, ``size_bytes``."""

    path: str
    digest: str
    size_bytes: int


@dataclasses.dataclass(frozen=True)
class DatasetRef:
    """A dataset a version was trained or evaluated on (``digest`` may be
    empty)."""

    path: str
    digest: str = ""


@dataclasses.dataclass(frozen=True)
class ModelVersion:
    """One version of a registered model. ``version`` is the canonical
    spelling (``"2.4.1"`` for ``"v2.4.1"``, ``"7"`` for a revision);
    ``approval`` is ``"None"``, ``"PendingApproval"``, ``"Approved"`` or
    ``"Rejected"``; ``metadata`` and ``signature`` are the JSON objects
    given at registration; ``created_ms`` is Unix milliseconds."""

    model: str
    version: str
    run_id: Optional[str]
    approval: str
    archived: bool
    aliases: List[str]
    tags: Dict[str, str]
    artifacts: List[ArtifactFile]
    datasets: List[DatasetRef]
    code_version: str
    description: str
    metadata: Dict[str, Any]
    signature: Dict[str, Any]
    created_ms: int
    created_by: str

    @classmethod
    def _from_core(cls, d: Mapping[str, Any]) -> "ModelVersion":
        return cls(
            model=d["model"],
            version=d["version"],
            run_id=d["run_id"] or None,
            approval=d["approval"],
            archived=d["archived"],
            aliases=list(d["aliases"]),
            tags=dict(d["tags"]),
            artifacts=[ArtifactFile(**a) for a in d["artifacts"]],
            datasets=[DatasetRef(**x) for x in d["datasets"]],
            code_version=d["code_version"],
            description=d["description"],
            metadata=json.loads(d["metadata_json"]),
            signature=json.loads(d["signature_json"]),
            created_ms=d["created_ms"],
            created_by=d["created_by"],
        )


@dataclasses.dataclass(frozen=True)
class RegisteredModel:
    """A registered model. ``scheme`` is ``"semver"`` or ``"revision"``,
    fixed by its first version (None before it has one); ``aliases`` maps
    each alias to its version."""

    name: str
    description: str
    tags: Dict[str, str]
    scheme: Optional[str]
    aliases: Dict[str, str]
    created_ms: int
    updated_ms: int

    @classmethod
    def _from_core(cls, d: Mapping[str, Any]) -> "RegisteredModel":
        return cls(
            name=d["name"],
            description=d["description"],
            tags=dict(d["tags"]),
            scheme=d["scheme"],
            aliases=dict(d["aliases"]),
            created_ms=d["created_ms"],
            updated_ms=d["updated_ms"],
        )


@dataclasses.dataclass(frozen=True)
class ApprovalEvent:
    """One approval change of a version, oldest first in
    ``approval_history``."""

    from_status: str
    to_status: str
    actor: str
    role: str
    reason: str
    environment: str
    at_ms: int


@dataclasses.dataclass(frozen=True)
class ValidationRecord:
    """One validation of a version in one environment: named check values
    and the verdict."""

    model: str
    version: str
    environment: str
    checks: Dict[str, float]
    passed: bool
    actor: str
    recorded_ms: int

    @classmethod
    def _from_core(cls, d: Mapping[str, Any]) -> "ValidationRecord":
        return cls(**dict(d, checks=dict(d["checks"])))


@dataclasses.dataclass(frozen=True)
class Lineage:
    """Where a version came from: its run (``run_id``, ``experiment``,
    ``params``, last ``metrics``, ``run_tags``; None and empty when it was
    registered without a run) and its ``datasets``."""

    version: ModelVersion
    run_id: Optional[str]
    experiment: Optional[str]
    params: Dict[str, str]
    metrics: Dict[str, float]
    run_tags: Dict[str, str]
    datasets: List[DatasetRef]

    @classmethod
    def _from_core(cls, d: Mapping[str, Any]) -> "Lineage":
        version = ModelVersion._from_core(d["version"])
        has_run = d["has_run"]
        return cls(
            version=version,
            run_id=d["run_id"] if has_run else None,
            experiment=d["experiment"] if has_run else None,
            params=dict(d["params"]),
            metrics=dict(d["metrics"]),
            run_tags=dict(d["run_tags"]),
            datasets=list(version.datasets),
        )


@dataclasses.dataclass(frozen=True)
class AuditRecord:
    """One audit record (SPEC §6; docs/audit.md has every field).
    ``timestamp`` is RFC 3339 UTC, ``outcome`` is ``"success"``,
    ``"failure"`` or ``"denied"``; ``reason`` and ``message`` say why a
    call was refused or failed; ``prev_hash`` and ``hash`` chain the
    records."""

    seq: int
    timestamp: str
    timestamp_ms: int
    agent: str
    user: str
    environment: str
    command: str
    resource_type: str
    resource_name: str
    action: str
    model_name: str
    model_version: str
    previous_version: str
    change_ticket: str
    outcome: str
    rollback_config: str
    duration_ms: int
    reason: str
    message: str
    prev_hash: str
    hash: str

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class EmergencyStopState:
    """Both emergency stop flags as they are now. ``active`` is true when
    either is set: the file (``file_path``, None when the store has none;
    ``file_content`` is shown as the reason) or the store's flag (who set
    it, why, and when in Unix ms)."""

    active: bool
    file_path: Optional[str]
    file_set: bool
    file_content: str
    store_set: bool
    store_actor: str
    store_reason: str
    store_set_ms: int

    def __bool__(self) -> bool:
        return self.active

    @classmethod
    def _from_core(cls, d: Mapping[str, Any]) -> "EmergencyStopState":
        return cls(**dict(d, file_path=d["file_path"] or None))


def default_role_rules() -> List[Dict[str, Any]]:
    """The default role policy (``RolePolicy::DefaultRoleRules``) in the form
    ``sw.open(..., roles=...)`` takes, to extend or trim::

        rules = sw.registry.default_role_rules()
        rules.append({"environment": "production", "action": "set_alias",
                      "roles": ["platform-lead"]})
        store = sw.open(path, roles=rules)
    """
    return [
        {"environment": env, "action": action, "roles": list(roles)}
        for env, action, roles in _slipway.default_role_rules()
    ]


# --- argument conversion --------------------------------------------------------


def _version(value: Version, name: str = "version") -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"{name} must be a str or an int, not {type(value).__name__}")
    return str(value)


def _json_object(value: Optional[Mapping[str, Any]], name: str) -> str:
    if value is None:
        return "{}"
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict (stored as a JSON object), not {type(value).__name__}")
    return json.dumps(value, ensure_ascii=False)


def _paths(value: Union[None, PathLike, Iterable[PathLike]], name: str) -> List[str]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [os.fspath(value)]
    try:
        return [os.fspath(p) for p in value]
    except TypeError:
        raise TypeError(f"{name} must be a path or a list of paths") from None


def _datasets(value: Any) -> List[Tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike, DatasetRef, Mapping)):
        value = [value]
    out = []
    for item in value:
        if isinstance(item, DatasetRef):
            out.append((item.path, item.digest))
        elif isinstance(item, (str, os.PathLike)):
            out.append((os.fspath(item), ""))
        elif isinstance(item, Mapping):
            out.append((os.fspath(item["path"]), item.get("digest") or ""))
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            out.append((os.fspath(item[0]), item[1] or ""))
        else:
            raise TypeError(
                "each dataset must be a path, a (path, digest) tuple, a dict "
                f"with 'path' and 'digest', or a DatasetRef, not {item!r}"
            )
    return out


def _str_pairs(mapping: Optional[Mapping[str, Any]]) -> List[Tuple[str, str]]:
    # Tags are text; other values are stored as str(value), as on runs.
    if not mapping:
        return []
    return [(k, v if isinstance(v, str) else str(v)) for k, v in mapping.items()]


def _run_id(run: Any) -> str:
    if run is None:
        return ""
    if isinstance(run, str):
        return run
    for attr in ("id", "run_id"):  # a live Run, or a RunInfo
        rid = getattr(run, attr, None)
        if isinstance(rid, str):
            return rid
    raise TypeError(f"run must be a Run, a RunInfo or a run id, not {type(run).__name__}")


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _since_ms(since: Union[None, str, _dt.datetime]) -> Optional[int]:
    """Unix ms of the first instant at or after ``since`` (records carry
    whole milliseconds)."""
    if since is None:
        return None
    if isinstance(since, str):
        micros = _slipway.parse_rfc3339_micros(since)
    elif isinstance(since, _dt.datetime):
        if since.tzinfo is None:
            raise ValueError(
                "since is a naive datetime: give a timezone-aware one, e.g. "
                "datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)"
            )
        micros = (since - _EPOCH) // _dt.timedelta(microseconds=1)
    else:
        raise TypeError(f"since must be an RFC 3339 str or a datetime, not {type(since).__name__}")
    return -(-micros // 1000)


# --- the emergency stop of one store -------------------------------------------


class EmergencyStop:
    """The emergency stop of one store (SPEC §5): ``store.emergency_stop``.
    The module :mod:`slipway.emergency_stop` does the same on the default
    store.

    While it is active, production operations (creating models and
    versions, approving, deleting versions; later endpoints and traffic)
    raise :class:`slipway.EmergencyStopError` naming the flag and how to
    clear it; reads and run logging go on.
    """

    __slots__ = ("_store",)

    def __init__(self, store) -> None:
        self._store = store

    def activate(self, reason: str, *, actor: Optional[str] = None) -> None:
        """Sets the store's flag (every process sharing the store sees it at
        its next operation), with who and why. Audited."""
        self._store._core.activate_emergency_stop(reason, actor=actor)

    def clear(self, *, actor: Optional[str] = None) -> None:
        """Clears both flags: deletes the stop file if it exists and clears
        the store's flag. Audited (also when nothing was set)."""
        self._store._core.clear_emergency_stop(actor=actor)

    def active(self) -> bool:
        """Whether either flag is set now."""
        return self.status().active

    def status(self) -> EmergencyStopState:
        """Both flags as they are now."""
        return EmergencyStopState._from_core(self._store._core.emergency_stop_status())

    def __repr__(self) -> str:
        return f"<slipway.EmergencyStop of {self._store.uri!r}>"


# --- the Store methods ------------------------------------------------------------


class RegistryMethods:
    """The registry, audit-log and emergency-stop methods of
    :class:`slipway.Store` (mixed in; needs ``self._core``)."""

    _core: Any

    # --- models ---------------------------------------------------------------

    def create_model(
        self,
        name: str,
        description: str = "",
        tags: Optional[Mapping[str, Any]] = None,
        *,
        actor: Optional[str] = None,
        role: Optional[str] = None,
    ) -> RegisteredModel:
        """Registers a model without versions and returns it
        (``register_model_version`` creates missing models too).
        AlreadyExistsError ``MODEL_EXISTS``; EmergencyStopError in
        production while the stop is set."""
        self._core.create_model(name, description, _str_pairs(tags), actor=actor, role=role)
        return self.get_model(name)

    def get_model(self, name: str) -> RegisteredModel:
        """NotFoundError ``MODEL_NOT_FOUND`` when missing."""
        return RegisteredModel._from_core(self._core.get_model(name))

    def list_models(self) -> List[RegisteredModel]:
        return [RegisteredModel._from_core(d) for d in self._core.list_models()]

    # --- versions -------------------------------------------------------------

    def register_model_version(
        self,
        name: str,
        version: Optional[Version] = None,
        *,
        run: Any = None,
        artifacts: Union[None, PathLike, Sequence[PathLike]] = None,
        datasets: Any = None,
        code_version: str = "",
        description: str = "",
        metadata: Optional[Mapping[str, Any]] = None,
        signature: Optional[Mapping[str, Any]] = None,
        tags: Optional[Mapping[str, Any]] = None,
        actor: Optional[str] = None,
        role: Optional[str] = None,
    ) -> ModelVersion:
        """Registers a version of model ``name`` (created when missing).

        Args:
            version: a semantic version (``"2.4.1"``, ``"v1.0.0-rc.1"``), or
                None for the next integer revision (1, 2, 3, ...). A model
                keeps the scheme of its first version.
            run: the source run (a Run, a RunInfo or a run id): its params,
                metrics and tags become the version's lineage.
            artifacts: files or directories to store (content-addressed,
                SHA-256); a directory keeps its tree under its own name.
            datasets: each a path under an approved prefix (SPEC §1), a
                ``(path, digest)`` tuple, a ``{"path": ..., "digest": ...}``
                dict or a :class:`DatasetRef`.
            metadata, signature: dicts, stored as JSON objects.
            tags: text values (others are stored as ``str(value)``).

        Raises AlreadyExistsError ``MODEL_VERSION_EXISTS`` (of two processes
        registering one version, exactly one wins), GateError
        ``VERSION_SCHEME_MISMATCH``, NotFoundError ``RUN_NOT_FOUND``,
        ValidationError, EmergencyStopError in production.
        """
        return ModelVersion._from_core(
            self._core.register_model_version(
                name,
                "" if version is None else _version(version),
                _run_id(run),
                _paths(artifacts, "artifacts"),
                _datasets(datasets),
                code_version,
                description,
                _json_object(metadata, "metadata"),
                _json_object(signature, "signature"),
                _str_pairs(tags),
                actor=actor,
                role=role,
            )
        )

    def get_model_version(
        self, name: str, version_or_alias: Version, environment: Optional[str] = None
    ) -> ModelVersion:
        """A version, an alias (``"champion"``) or ``"latest"`` (the highest
        version not archived; ValidationError ``LATEST_IN_PRODUCTION`` when
        ``environment`` is a production one)."""
        return ModelVersion._from_core(
            self._core.get_model_version(
                name, _version(version_or_alias, "version_or_alias"), environment
            )
        )

    def list_model_versions(self, name: str) -> List[ModelVersion]:
        """Every version, archived ones included, in precedence order
        (``1.0.0-rc.1`` before ``1.0.0`` before ``1.10.0``), lowest first."""
        return [ModelVersion._from_core(d) for d in self._core.list_model_versions(name)]

    def search_model_versions(self, filter: str = "", max_results: Optional[int] = None) -> List[ModelVersion]:
        """Versions of every model matching ``filter``, by model name then
        precedence. The grammar is ``search_runs``'s (docs/search.md) over
        ``tags.<key>`` and ``attributes.<name>`` for ``name``, ``version``,
        ``approval``, ``run_id``, ``user`` and ``created``, e.g.
        ``"attributes.name = 'fraud' and tags.stage = 'prod' and
        attributes.approval = 'Approved'"``.
        A malformed filter raises ValidationError naming the position.
        ``max_results`` defaults to 1000."""
        return [
            ModelVersion._from_core(d)
            for d in self._core.search_model_versions(filter, max_results)
        ]

    def archive_model_version(
        self, name: str, version: Version, *, actor: Optional[str] = None, role: Optional[str] = None
    ) -> None:
        """Archives a version (``latest`` skips it). GateError
        ``RETENTION_PROTECTED`` for one of the 3 most recent deployments of
        an endpoint or a version a rollout holds (SPEC §4)."""
        self._core.archive_model_version(name, _version(version), actor=actor, role=role)

    def delete_model_version(
        self,
        name: str,
        version: Version,
        *,
        actor: Optional[str] = None,
        role: Optional[str] = None,
        environment: Optional[str] = None,
    ) -> None:
        """Deletes a version (its artifact blobs stay: they may be shared),
        acting in ``environment`` (default: the policy's). GateError
        ``RETENTION_PROTECTED`` as for archiving, ``VERSION_HAS_ALIAS``
        while an alias points at it, ``ROLE_REQUIRED`` in production without
        platform-lead or admin; EmergencyStopError in production while the
        stop is set."""
        self._core.delete_model_version(
            name, _version(version), actor=actor, role=role, environment=environment
        )

    # --- aliases --------------------------------------------------------------

    def set_alias(
        self,
        name: str,
        alias: str,
        version: Version,
        *,
        actor: Optional[str] = None,
        role: Optional[str] = None,
    ) -> None:
        """Points ``alias`` at ``version`` (moving it if set; the audit
        record keeps the previous version). ``latest`` and version-like
        names are reserved (ValidationError ``ALIAS_RESERVED``)."""
        self._core.set_alias(name, alias, _version(version), actor=actor, role=role)

    def delete_alias(
        self, name: str, alias: str, *, actor: Optional[str] = None, role: Optional[str] = None
    ) -> None:
        """NotFoundError ``ALIAS_NOT_FOUND`` when it is not set."""
        self._core.delete_alias(name, alias, actor=actor, role=role)

    # --- approvals and validation ------------------------------------------------

    def set_approval(
        self,
        name: str,
        version: Version,
        status: str,
        *,
        actor: Optional[str] = None,
        role: Optional[str] = None,
        reason: str = "",
        environment: Optional[str] = None,
    ) -> None:
        """Moves the version's approval to ``status``: ``"PendingApproval"``,
        ``"Approved"`` or ``"Rejected"`` (ValidationError
        ``APPROVAL_STATUS_INVALID`` otherwise). Legal moves: None ->
        PendingApproval/Approved/Rejected, PendingApproval ->
        Approved/Rejected, Approved -> Rejected, Rejected -> PendingApproval
        (GateError ``APPROVAL_TRANSITION_INVALID``). In staging and
        production, approving and rejecting need a lead role (GateError
        ``ROLE_REQUIRED`` naming the roles); approving in production while
        the stop is set raises EmergencyStopError."""
        if not isinstance(status, str):
            raise TypeError(f"status must be one of {', '.join(APPROVAL_STATUSES)}, not {status!r}")
        self._core.set_approval(
            name, _version(version), status,
            actor=actor, role=role, reason=reason, environment=environment,
        )

    def approval_history(self, name: str, version: Version) -> List[ApprovalEvent]:
        """Every approval change of the version, oldest first."""
        return [ApprovalEvent(**d) for d in self._core.approval_history(name, _version(version))]

    def record_validation(
        self,
        name: str,
        version: Version,
        *,
        environment: str = "staging",
        checks: Optional[Mapping[str, float]] = None,
        passed: bool,
        actor: Optional[str] = None,
        role: Optional[str] = None,
    ) -> None:
        """Records one validation of the version in ``environment``: named
        check values (``{"accuracy": 0.94, "latency_p99_ms": 12.0}``) and
        whether it passed. The newest record per environment decides
        :meth:`has_passed_validation`."""
        pairs = [(k, float(v)) for k, v in (checks or {}).items()]
        self._core.record_validation(
            name, _version(version), environment, pairs, bool(passed), actor=actor, role=role
        )

    def validations(
        self, name: str, version: Version, environment: Optional[str] = None
    ) -> List[ValidationRecord]:
        """The version's validation records, oldest first; every environment
        when ``environment`` is None."""
        return [
            ValidationRecord._from_core(d)
            for d in self._core.validations(name, _version(version), environment)
        ]

    def has_passed_validation(self, name: str, version: Version, environment: str) -> bool:
        """Whether the newest validation of the version in ``environment``
        passed (False when there is none)."""
        return self._core.has_passed_validation(name, _version(version), environment)

    # --- lineage and artifacts --------------------------------------------------

    def lineage(
        self,
        run_id: Any = None,
        *,
        model: Optional[str] = None,
        version: Optional[Version] = None,
    ):
        """Lineage both ways; give exactly one form:

        - ``lineage(run_id=...)`` (a run id or a Run): the versions
          registered from that run, a list of :class:`ModelVersion`
          (NotFoundError ``RUN_NOT_FOUND`` for an unknown run);
        - ``lineage(model=..., version=...)`` (a version or an alias): a
          :class:`Lineage` with the run's params, metrics and tags and the
          version's datasets.
        """
        if run_id is not None:
            if model is not None or version is not None:
                raise TypeError(
                    "lineage() takes either run_id=... or model=... with version=..., not both"
                )
            return [ModelVersion._from_core(d) for d in self._core.versions_of_run(_run_id(run_id))]
        if model is None or version is None:
            raise TypeError(
                "lineage() needs run_id=... (the versions of a run) or both "
                "model=... and version=... (where a version came from)"
            )
        return Lineage._from_core(self._core.lineage(model, _version(version)))

    def download_artifacts(self, name: str, version: Version, dest_dir: PathLike) -> str:
        """Restores the version's artifacts under ``dest_dir`` (created when
        missing), each verified against its SHA-256 digest, and returns
        ``dest_dir``. A damaged blob raises StoreError ``ARTIFACT_CORRUPT``
        and is not written to ``dest_dir``."""
        dest = os.fspath(dest_dir)
        self._core.download_artifacts(name, _version(version), dest)
        return dest

    # --- audit log --------------------------------------------------------------

    def audit_log(
        self, since: Union[None, str, _dt.datetime] = None, limit: Optional[int] = None
    ) -> List[AuditRecord]:
        """Audit records from ``since`` on (an RFC 3339 string or an aware
        datetime; None for all), oldest first, at most ``limit`` (default
        100,000)."""
        return [AuditRecord(**d) for d in self._core.audit_log(_since_ms(since), limit)]

    def verify_audit_log(self) -> None:
        """Checks the audit log's hash chain; returns None when it is whole.
        Raises StoreError with reason ``AUDIT_CHAIN_BROKEN`` whose ``value``
        is the first bad seq and whose message says what was found (edited,
        deleted, reordered, anchor mismatch)."""
        self._core.verify_audit_log()

    def export_audit_log(self, path: PathLike, since: Union[None, str, _dt.datetime] = None) -> int:
        """Writes the records (from ``since`` on) to ``path`` as JSON lines,
        atomically, and returns how many. Each line verifies on its own
        (docs/audit.md)."""
        return self._core.export_audit_log(os.fspath(path), _since_ms(since))

    # --- emergency stop -------------------------------------------------------

    @property
    def emergency_stop(self) -> EmergencyStop:
        """This store's emergency stop: ``activate(reason)``, ``clear()``,
        ``active()``, ``status()``."""
        return EmergencyStop(self)

    # --- internal: rollouts -------------------------------------------------------

    def _record_deployment(self, endpoint: str, model: str, version: Version) -> None:
        """Internal, for rollouts and tests: records that ``endpoint`` now
        serves ``version`` of ``model`` (retention keeps each endpoint's 3
        most recent). Opens a second connection to the store file; not for
        ``:memory:`` stores."""
        self._core._record_deployment(endpoint, model, _version(version))

    def _hold_version(self, model: str, version: Version, holder: str, reason: str) -> None:
        """Internal, for rollouts and tests: retention keeps the version
        while ``holder`` holds it."""
        self._core._hold_version(model, _version(version), holder, reason)

    def _release_hold(self, model: str, version: Version, holder: str) -> None:
        """Internal: releases ``holder``'s hold on the version."""
        self._core._release_hold(model, _version(version), holder)

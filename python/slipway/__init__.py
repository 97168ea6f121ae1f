"""slipway: experiment tracking, a model registry and guarded progressive
rollouts in one embeddable library.

    import slipway as sw
    sw.validate.model_name("fraud-detection")
    with sw.start_run(experiment="fraud") as run:
        run.log_metric("loss", 0.31, step=10)
    store = sw.default_store()
    store.register_model_version("fraud-detection", version="1.0.0", run=run)

The C++ core does the work; this package adds Python ergonomics.
The guide is in docs/ of the source tree (start with README.md).
"""

from __future__ import annotations

from . import _slipway
from . import emergency_stop, errors, registry, rollout, testing, tracking, validate
from .errors import (
    AlreadyExistsError,
    EmergencyStopError,
    Error,
    GateError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from .registry import (
    ApprovalEvent,
    ArtifactFile,
    AuditRecord,
    DatasetRef,
    EmergencyStopState,
    Lineage,
    ModelVersion,
    RegisteredModel,
    ValidationRecord,
)
from .rollout import (
    CapacityDecision,
    Endpoint,
    FeatureDriftReading,
    FeatureSampleReport,
    GuardrailReadings,
    Rollout,
    RolloutApproval,
    RolloutStatus,
    Routing,
)
from .store import Experiment, Runs, Store, default_store, open, set_store
from .tracking import (
    Run,
    RunInfo,
    active_run,
    end_run,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    set_tag,
    set_tags,
    start_run,
)
from .validate import Policy

__version__: str = _slipway.__version__

__all__ = [
    "__version__",
    "errors",
    "testing",
    "validate",
    "tracking",
    "registry",
    "rollout",
    "emergency_stop",
    "Policy",
    "open",
    "set_store",
    "default_store",
    "Store",
    "Experiment",
    "Runs",
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
    "ModelVersion",
    "RegisteredModel",
    "ArtifactFile",
    "DatasetRef",
    "ApprovalEvent",
    "ValidationRecord",
    "Lineage",
    "AuditRecord",
    "EmergencyStopState",
    "Endpoint",
    "Routing",
    "GuardrailReadings",
    "FeatureDriftReading",
    "FeatureSampleReport",
    "CapacityDecision",
    "RolloutApproval",
    "RolloutStatus",
    "Rollout",
    "Error",
    "ValidationError",
    "NotFoundError",
    "AlreadyExistsError",
    "GateError",
    "EmergencyStopError",
    "StoreError",
]

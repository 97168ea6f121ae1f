"""slipway: experiment tracking, a model registry and guarded progressive
rollouts in one embeddable library.

    import slipway as sw
    sw.validate.model_name("fraud-detection")

The C++ core does the work; this package adds Python ergonomics.
The guide is in docs/ of the source tree (start with README.md).
"""

from __future__ import annotations

from . import _slipway
from . import errors, testing, validate
from .errors import (
    AlreadyExistsError,
    EmergencyStopError,
    Error,
    GateError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from .validate import Policy

__version__: str = _slipway.__version__

__all__ = [
    "__version__",
    "errors",
    "testing",
    "validate",
    "Policy",
    "Error",
    "ValidationError",
    "NotFoundError",
    "AlreadyExistsError",
    "GateError",
    "EmergencyStopError",
    "StoreError",
]

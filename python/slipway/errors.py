"""The exceptions slipway raises.

Every error is a :class:`slipway.Error`; each subclass also inherits the
builtin that ordinary Python code already catches, so ``except ValueError``
sees a :class:`ValidationError`. Errors carry the structured detail of the
C++ status (``docs/errors.md``)::

    try:
        sw.validate.model_name("Fraud Detection")
    except sw.ValidationError as e:
        e.code    # "INVALID_ARGUMENT"
        e.reason  # "MODEL_NAME_INVALID" -- branch on this, not on the message
        e.rule    # "SPEC §1 model name ^[a-z0-9][a-z0-9\\-_]{0,62}[a-z0-9]$"
        e.value   # "Fraud Detection"
        e.fix     # 'use 2 to 64 lowercase letters, ... e.g. "fraud-detection"'
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "Error",
    "ValidationError",
    "NotFoundError",
    "AlreadyExistsError",
    "GateError",
    "EmergencyStopError",
    "StoreError",
]


class Error(Exception):
    """Base class of every slipway error.

    Attributes:
        code: the status code name, e.g. ``"INVALID_ARGUMENT"``.
        reason: a stable identifier such as ``"MODEL_NAME_INVALID"``
            (empty when the error has no structured detail).
        rule: the rule that was applied.
        value: the offending value, exactly as given (``None`` if none).
        fix: how to fix it, with a valid example where one exists.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "UNKNOWN",
        reason: str = "",
        rule: str = "",
        value: Optional[str] = None,
        fix: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = reason
        self.rule = rule
        self.value = value
        self.fix = fix

    def __reduce__(self):  # picklable across multiprocessing
        return (
            _rebuild,
            (type(self), self.message, self.code, self.reason, self.rule, self.value, self.fix),
        )


def _rebuild(cls, message, code, reason, rule, value, fix):
    return cls(message, code=code, reason=reason, rule=rule, value=value, fix=fix)


class ValidationError(Error, ValueError):
    """A value broke a validation rule (SPEC.md §1). Nothing was written."""


class NotFoundError(Error, LookupError):
    """The named run, model, version, alias or endpoint does not exist."""


class AlreadyExistsError(Error, ValueError):
    """The named thing exists already and may not be replaced."""


class GateError(Error, RuntimeError):
    """A gate, a policy or the state machine refused the operation (SPEC §2-§4, §7)."""


class EmergencyStopError(Error, RuntimeError):
    """The emergency stop is active (SPEC §5); the message says how to clear it."""


class StoreError(Error, OSError):
    """The store failed: busy after retries, disk full, corrupt, or a conflict."""


# The one table from status codes to classes. The C++ side
# (bindings/python/status_translation.cc) calls _from_status and raises
# what it returns; nothing else maps codes.
_BY_CODE = {
    "INVALID_ARGUMENT": ValidationError,
    "OUT_OF_RANGE": ValidationError,
    "NOT_FOUND": NotFoundError,
    "ALREADY_EXISTS": AlreadyExistsError,
    "FAILED_PRECONDITION": GateError,
    "UNAVAILABLE": StoreError,
    "RESOURCE_EXHAUSTED": StoreError,
    "DATA_LOSS": StoreError,
    "ABORTED": StoreError,
    "DEADLINE_EXCEEDED": StoreError,
    "PERMISSION_DENIED": StoreError,
}

# Reasons that select a narrower class than their code. The registry's
# reasons keep their code's class on purpose: ROLE_REQUIRED,
# APPROVAL_TRANSITION_INVALID, RETENTION_PROTECTED, VERSION_SCHEME_MISMATCH
# and VERSION_HAS_ALIAS are rules refusing (FailedPrecondition: GateError);
# ARTIFACT_CORRUPT and AUDIT_CHAIN_BROKEN are damage (DataLoss: StoreError);
# CONCURRENT_UPDATE is a lost race (Aborted: StoreError).
_BY_REASON = {
    "EMERGENCY_STOP_ACTIVE": EmergencyStopError,
    # A file where a directory should be (or the reverse) is a store
    # problem, not a gate.
    "PATH_CONFLICT": StoreError,
}


def _from_status(code: str, message: str, reason: str, rule: str, value, fix: str) -> Error:
    cls = _BY_REASON.get(reason) or _BY_CODE.get(code, Error)
    return cls(message, code=code, reason=reason, rule=rule, value=value, fix=fix)

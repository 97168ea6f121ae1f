"""Input validation (SPEC.md §1).

Each function returns the value unchanged when it is valid and raises
:class:`slipway.ValidationError` otherwise; the message quotes the value,
names the rule and shows a valid example, and the exception's ``reason``
says which rule failed. The rules themselves live in the C++ core; these
functions only call it::

    import slipway as sw
    sw.validate.model_name("fraud-detection")
    sw.validate.model_version("v2.4.1", environment="production")
    sw.validate.dataset_path("/data/ml/train.parquet")

Rules that depend on the deployment (environments, approved dataset
prefixes, reserved feature names) come from a :class:`Policy`; without one,
the SPEC defaults apply (see ``docs/validation.md``).
"""

from __future__ import annotations

from typing import Dict, Iterable, Optional

from . import _slipway

_v = _slipway.validate

__all__ = [
    "Policy",
    "model_name",
    "model_version",
    "endpoint_name",
    "feature_name",
    "dataset_path",
    "pipeline_name",
    "environment_name",
    "experiment_name",
    "run_name",
    "metric_key",
    "param_key",
    "tag_key",
    "param_value",
    "tag_value",
]

_KINDS = {
    "development": _slipway.EnvironmentKind.DEVELOPMENT,
    "staging": _slipway.EnvironmentKind.STAGING,
    "production": _slipway.EnvironmentKind.PRODUCTION,
}


class Policy(_slipway.ValidationPolicy):
    """The deployment-specific side of validation; defaults are SPEC.md.

    Args:
        environment: the environment calls act in when they name none
            (default ``"development"``).
        environments: ``{name: kind}`` with kind one of ``"development"``,
            ``"staging"``, ``"production"`` (SPEC §7: names configurable).
        dataset_prefixes: approved dataset prefixes (default
            ``["s3://ml-data/", "/data/ml/"]``).
        reserved_feature_names: feature names the registry reserves.

    The policy is checked on construction; a bad field raises
    :class:`ValidationError` naming it.
    """

    def __init__(
        self,
        *,
        environment: Optional[str] = None,
        environments: Optional[Dict[str, str]] = None,
        dataset_prefixes: Optional[Iterable[str]] = None,
        reserved_feature_names: Optional[Iterable[str]] = None,
    ) -> None:
        super().__init__()
        if environments is not None:
            pairs = []
            for name, kind in environments.items():
                if kind not in _KINDS:
                    raise TypeError(
                        f"environment kind for {name!r} must be one of "
                        f"{sorted(_KINDS)}, not {kind!r}"
                    )
                pairs.append((name, _KINDS[kind]))
            self.environments = pairs
        if environment is not None:
            self.environment = environment
        if dataset_prefixes is not None:
            self.dataset_prefixes = list(dataset_prefixes)
        if reserved_feature_names is not None:
            self.reserved_feature_names = list(reserved_feature_names)
        self.check()

    def __repr__(self) -> str:
        envs = {name: kind.name.lower() for name, kind in self.environments}
        return (
            f"Policy(environment={self.environment!r}, environments={envs!r}, "
            f"dataset_prefixes={list(self.dataset_prefixes)!r})"
        )


def model_name(name: str) -> str:
    """SPEC §1 model name: ``^[a-z0-9][a-z0-9\\-_]{0,62}[a-z0-9]$``."""
    _v.model_name(name)
    return name


def model_version(version: str, environment: Optional[str] = None, *, policy: Optional[Policy] = None) -> str:
    """SPEC §1 model version: semver or a positive integer revision;
    ``latest`` is rejected in a production environment."""
    _v.model_version(version, environment, policy)
    return version


def endpoint_name(name: str, *, policy: Optional[Policy] = None) -> str:
    """SPEC §1 endpoint name (DNS-safe): ``^[a-z0-9][a-z0-9\\-]{0,61}[a-z0-9]$``."""
    _v.endpoint_name(name, policy)
    return name


def feature_name(name: str, *, policy: Optional[Policy] = None) -> str:
    """SPEC §1 feature name: ``^[a-z][a-z0-9_]{0,127}$``, not reserved."""
    _v.feature_name(name, policy)
    return name


def dataset_path(path: str, *, policy: Optional[Policy] = None) -> str:
    """SPEC §1 dataset path: absolute, under an approved prefix, no traversal."""
    _v.dataset_path(path, policy)
    return path


def pipeline_name(name: str, *, policy: Optional[Policy] = None) -> str:
    """SPEC §1 pipeline name: ``^[a-z0-9][a-z0-9\\-_]{0,63}$``."""
    _v.pipeline_name(name, policy)
    return name


def environment_name(name: str, *, policy: Optional[Policy] = None) -> str:
    """SPEC §7: one of the policy's environment names."""
    _v.environment_name(name, policy)
    return name


def experiment_name(name: str) -> str:
    """Experiment name: 1 to 500 characters, not blank, no control characters."""
    _v.experiment_name(name)
    return name


def run_name(name: str) -> str:
    """Run name: 1 to 250 characters, not blank, no control characters."""
    _v.run_name(name)
    return name


def metric_key(key: str) -> str:
    """Metric key: 1 to 250 characters (MLflow's rule, never stricter)."""
    _v.metric_key(key)
    return key


def param_key(key: str) -> str:
    """Param key: 1 to 250 characters (MLflow's rule, never stricter)."""
    _v.param_key(key)
    return key


def tag_key(key: str) -> str:
    """Tag key: 1 to 250 characters (MLflow's rule, never stricter)."""
    _v.tag_key(key)
    return key


def param_value(value: str) -> str:
    """Param value: at most 6000 characters; longer is an error, never cut."""
    _v.param_value(value)
    return value


def tag_value(value: str) -> str:
    """Tag value: at most 5000 characters; longer is an error, never cut."""
    _v.tag_value(value)
    return value

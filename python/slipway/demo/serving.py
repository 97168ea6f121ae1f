"""Who serves the demo's traffic: the C++ example service
(examples/serving/fraud_service, the real thing a team would run) or, when
it is not built (``slipway demo`` from a pip install), the same loop in
Python through ``store.router``. Both serve simulated minutes and yield one
dict per minute with the same keys:

    {"t": minute start (ms), "transitions": controller transitions,
     "stable": {"version", "requests", "errors", "p99_ms", "accuracy"},
     "candidate": {...},
     "rollout": {"id", "version", "phase", "stage", "weight", "shadow",
                 "active", "transition_count", "reason", "next_gate"}}
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import pathlib
import subprocess
from typing import Dict, Iterator, Optional

import numpy as np

from .data import FEATURES, Model, transactions

ENDPOINT = "fraud-prod"
DRIFT_FEATURES = ("log_amount", "velocity")  # sampled for the drift check
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


class CppService:
    """Runs examples/serving/fraud_service for a stretch of simulated
    minutes, from the driver's clock time."""

    name = "C++ service (examples/serving/fraud_service)"

    def __init__(self, binary: pathlib.Path, store_path: pathlib.Path,
                 work_dir: pathlib.Path, rps: int, missing_rate: float,
                 seed: int, environment: str) -> None:
        self.binary = binary
        self.store_path = store_path
        self.work_dir = work_dir
        self.rps = rps
        self.missing_rate = missing_rate
        self.seed = seed
        self.environment = environment
        self.runs = 0

    def serve(self, clock, max_minutes: int) -> Iterator[dict]:
        self.runs += 1
        start_ms = int(clock.now().timestamp() * 1000)
        cmd = [str(self.binary), f"--store={self.store_path}",
               f"--endpoint={ENDPOINT}", f"--environment={self.environment}",
               f"--simulate-from-ms={start_ms}", f"--max-minutes={max_minutes}",
               "--until=approval", f"--rps={self.rps}",
               f"--missing-rate={self.missing_rate}",
               f"--seed={self.seed + self.runs}",
               f"--work-dir={self.work_dir}", "--replica=fraud-service-cpp",
               f"--drift-features={','.join(DRIFT_FEATURES)}"]
        # The controller's steps are audited under the service's name.
        env = dict(os.environ, SLIPWAY_ACTOR="fraud-service")
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) as proc:
            assert proc.stdout is not None and proc.stderr is not None
            last = None
            for line in proc.stdout:
                last = json.loads(line)
                yield last
            err = proc.stderr.read()
            if proc.wait() != 0:
                raise RuntimeError(f"{self.binary.name} failed ({proc.returncode}): "
                                   f"{err.strip()}")
        if last is not None:  # the driver's clock follows the service's
            clock.set(_EPOCH + _dt.timedelta(milliseconds=last["t"] + 60_000))


class PythonService:
    """The same serving loop in Python, in this process, through
    ``store.router`` (no background thread: each simulated minute is
    flushed, ticked and refreshed explicitly)."""

    name = "Python service (store.router)"

    def __init__(self, store, work_dir: pathlib.Path, rps: int,
                 missing_rate: float, seed: int, model_name: str) -> None:
        self.store = store
        self.work_dir = work_dir
        self.rps = rps
        self.missing_rate = missing_rate
        self.rng = np.random.default_rng(seed + 7919)
        self.model_name = model_name
        self.models: Dict[str, Model] = {}
        self.request_number = 0

    def _model(self, version: str) -> Model:
        if version not in self.models:
            dest = self.work_dir / version
            self.store.download_artifacts(self.model_name, version, dest)
            self.models[version] = Model.read(dest / "model.txt")
        return self.models[version]

    def serve(self, clock, max_minutes: int) -> Iterator[dict]:
        with self.store.router(ENDPOINT, replica="fraud-service-py",
                               background=False) as router:
            for _ in range(max_minutes):
                line = self._minute(clock, router)
                yield line
                r = line.get("rollout")
                if r and (not r["active"] or r["phase"] in ("AWAITING_APPROVAL", "HALTED")):
                    return

    def _minute(self, clock, router) -> dict:
        minute = clock.now()
        n = self.rps * 60
        x, fraud = transactions(n, self.rng, self.missing_rate)
        users = self.rng.integers(0, 100_000, n)
        network = self.rng.lognormal(np.log(6.0), 0.35, size=(n, 2))
        decisions = [router.route(f"user-{u}") for u in users]
        stats = {"stable": _Stats(), "candidate": _Stats()}
        # Score each request with the serving version and, in a shadow
        # stage, the mirrored one; vectorised per version.
        jobs = {}
        for i, d in enumerate(decisions):
            jobs.setdefault((d.variant.name.lower(), d.version), []).append(i)
            if d.mirror:
                jobs.setdefault(("candidate", d.mirror_version), []).append(i)
        for (variant, version), rows in jobs.items():
            model = self._model(version)
            idx = np.array(rows)
            scores = model.score(x[idx])
            latency = network[idx, 0 if variant == "stable" else 1] + 0.4 * len(model.features)
            s = stats[variant]
            s.version = version
            for j, score, lat in zip(idx, scores, latency):
                error = bool(np.isnan(score))
                router.record(variant, float(lat), error)
                s.add(float(lat), error, (not error) and bool((score >= 0.5) == fraud[j]))
                if not error:
                    self.request_number += 1
                    rid = f"req-{self.request_number}"
                    router.record_prediction(variant, rid)
                    router.record_label(rid, bool((score >= 0.5) == fraud[j]))
        clock.advance(seconds=59)
        router.flush()
        cand = stats["candidate"]
        if cand.version:  # set only when the candidate served or mirrored rows
            rows = np.concatenate([np.array(r) for (v, _), r in jobs.items() if v == "candidate"])
            for feature in DRIFT_FEATURES:
                values = x[rows, FEATURES.index(feature)]
                self.store.record_feature_samples(ENDPOINT, cand.version, feature,
                                                  values[~np.isnan(values)], minute=minute,
                                                  replica="fraud-service-py")
        clock.advance(seconds=1)
        transitions = self.store.tick()
        router.refresh()
        line = {"t": int(minute.timestamp() * 1000), "transitions": transitions,
                "stable": stats["stable"].to_dict(),
                "candidate": stats["candidate"].to_dict()}
        rollouts = self.store.rollouts(ENDPOINT)
        if rollouts:
            st = rollouts[0]
            line["rollout"] = {
                "id": st.id, "version": st.candidate_version, "phase": st.phase,
                "stage": st.stage, "weight": st.candidate_weight, "shadow": st.shadow,
                "active": st.active, "transition_count": st.transitions,
                "reason": st.last_reason, "next_gate": st.next_gate or ""}
        return line


class _Stats:
    def __init__(self) -> None:
        self.version = ""
        self.requests = 0
        self.errors = 0
        self.correct = 0
        self.latencies = []

    def add(self, latency: float, error: bool, correct: bool) -> None:
        self.requests += 1
        self.errors += error
        self.correct += correct
        self.latencies.append(latency)

    def to_dict(self) -> dict:
        predicted = self.requests - self.errors
        return {"version": self.version, "requests": self.requests,
                "errors": self.errors,
                "p99_ms": float(np.quantile(self.latencies, 0.99)) if self.latencies else None,
                "accuracy": self.correct / predicted if predicted else None}


def find_cpp_service(root: Optional[pathlib.Path] = None) -> Optional[pathlib.Path]:
    """The built example service, if there is one: $SLIPWAY_DEMO_SERVICE,
    else the source tree's build directory ($SLIPWAY_BUILD_DIR or build/,
    as scripts/lib.sh)."""
    env = os.environ.get("SLIPWAY_DEMO_SERVICE")
    if env:
        return pathlib.Path(env)
    if root is None:
        root = pathlib.Path(__file__).resolve().parents[3]
    build = pathlib.Path(os.environ.get("SLIPWAY_BUILD_DIR") or root / "build")
    candidate = build / "examples" / "serving" / "fraud_service"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    return None

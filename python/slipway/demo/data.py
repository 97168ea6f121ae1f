"""Synthetic card transactions and the numpy logistic regression the demo
trains on them.

The generator is the one examples/serving/traffic.cc implements in C++ (same
distributions, same true fraud model), so the models trained here meet the
traffic they were trained for when the C++ service serves them:

    log_amount     N(3.5, 0.9)          velocity   N(2, 1)
    account_age    U(0, 10) years       hour       U(0, 24)
    merchant_risk  U(0, 1), missing (NaN) with probability missing_rate

    P(fraud) = sigmoid(-0.6 + 1.1 z(log_amount) + 0.8 z(velocity)
                       - 0.6 z(account_age) + 1.4 z(merchant_risk))

A model file (model.txt, the artifact registered with each version) is the
plain text format examples/serving/model.h reads.
"""

from __future__ import annotations

import dataclasses
import math
import pathlib
from typing import List, Sequence, Tuple

import numpy as np

FEATURES = ("log_amount", "velocity", "account_age", "merchant_risk", "hour")


def transactions(n: int, rng: np.random.Generator,
                 missing_rate: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """``n`` transactions: features (n × 5, columns in FEATURES order, NaN =
    missing) and fraud labels (bool)."""
    log_amount = 3.5 + 0.9 * rng.standard_normal(n)
    velocity = 2.0 + rng.standard_normal(n)
    age = 10.0 * rng.random(n)
    risk = rng.random(n)
    hour = 24.0 * rng.random(n)
    logit = (-0.6 + 1.1 * (log_amount - 3.5) / 0.9 + 0.8 * (velocity - 2.0)
             - 0.6 * (age - 5.0) / math.sqrt(100.0 / 12.0)
             + 1.4 * (risk - 0.5) / math.sqrt(1.0 / 12.0))
    fraud = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    sent_risk = np.where(rng.random(n) < missing_rate, np.nan, risk)
    x = np.column_stack([log_amount, velocity, age, sent_risk, hour])
    return x, fraud


@dataclasses.dataclass
class Model:
    """A logistic regression over standardised features."""

    features: List[str]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    impute: bool  # a missing value becomes the mean; else the score is NaN

    def columns(self) -> List[int]:
        return [FEATURES.index(f) for f in self.features]

    def score(self, x: np.ndarray) -> np.ndarray:
        """Fraud probabilities of the rows of ``x`` (all FEATURES columns)."""
        v = x[:, self.columns()]
        if self.impute:
            v = np.where(np.isnan(v), self.mean, v)
        z = ((v - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def write(self, path: pathlib.Path) -> None:
        def row(name: str, values: Sequence[float]) -> str:
            return name + " " + " ".join(repr(float(v)) for v in values)

        path.write_text("\n".join([
            "slipway-demo-model 1",
            "# logistic regression over standardised features (slipway demo)",
            "features " + " ".join(self.features),
            row("mean", self.mean), row("scale", self.scale),
            row("weights", self.weights), f"bias {float(self.bias)!r}",
            f"impute {1 if self.impute else 0}", ""]), encoding="utf-8")

    @classmethod
    def read(cls, path: pathlib.Path) -> "Model":
        fields = {}
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            if line and not line.startswith("#"):
                key, *values = line.split()
                fields[key] = values
        return cls(features=fields["features"],
                   mean=np.array(fields["mean"], float),
                   scale=np.array(fields["scale"], float),
                   weights=np.array(fields["weights"], float),
                   bias=float(fields["bias"][0]),
                   impute=fields["impute"][0] == "1")


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def accuracy(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((p >= 0.5) == y))


def train(x: np.ndarray, y: np.ndarray, features: Sequence[str], lr: float,
          l2: float, steps: int, impute: bool = True) -> Tuple[Model, np.ndarray]:
    """Full-batch gradient descent; returns the model and the training loss
    at every step."""
    cols = [FEATURES.index(f) for f in features]
    v = x[:, cols]
    mean = np.nanmean(v, axis=0)
    scale = np.nanstd(v, axis=0)
    scale[scale == 0] = 1.0
    z = np.where(np.isnan(v), 0.0, (v - mean) / scale)
    w = np.zeros(len(cols))
    b = 0.0
    yf = y.astype(float)
    losses = np.empty(steps)
    for step in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        losses[step] = log_loss(p, yf) + 0.5 * l2 * float(w @ w)
        g = p - yf
        w -= lr * (z.T @ g / len(yf) + l2 * w)
        b -= lr * float(np.mean(g))
    return Model(list(features), mean, scale, w, b, impute), losses

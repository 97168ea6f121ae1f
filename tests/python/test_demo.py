"""The end-to-end demo (README's first command) in its short mode, through
the real entry point (`python -m slipway demo`): with the C++ example
service when it is built, and with the in-process Python service."""

import os
import pathlib
import sqlite3
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

np = pytest.importorskip("numpy")


def _cpp_service():
    from slipway.demo.serving import find_cpp_service
    return find_cpp_service(ROOT)


def _run(tmp_path, service):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    env.pop("SLIPWAY_STORE", None)
    return subprocess.run(
        [sys.executable, "-m", "slipway", "demo", "--quick", "--dir",
         str(tmp_path / "demo"), "--service", service],
        capture_output=True, text=True, env=env, timeout=600)


def _check_story(out, store_path):
    # Training and registration.
    assert "1. Train" in out and "best: full-" in out
    assert "lineage of 1.1.0: run" in out
    # The good version walks every stage of the default plan.
    for stage in ("canary-1 (1% of traffic)", "canary-2 (10% of traffic)",
                  "stage ab (50% of traffic)", "stage full (100% of traffic)"):
        assert stage in out, stage
    assert "approved by dana@example.com (data-science-lead)" in out
    assert "the candidate is significantly better" in out
    assert "==> COMPLETED: 1.1.0 serves 100% of traffic" in out
    # The bad one rolls back after five bad minutes, from the shadow stage.
    assert "bad minute 5 in a row" in out
    assert "==> ROLLED BACK automatically" in out
    assert "error rate guardrail failed in stage shadow" in out
    assert "fraud-prod serves 1.1.0 again" in out
    assert "hash chain verified" in out
    # The store says the same.
    import slipway as sw
    store = sw.open(store_path)
    rollouts = store.rollouts("fraud-prod")
    assert [(r.candidate_version, r.phase) for r in rollouts] == [
        ("1.2.0", "ROLLED_BACK"), ("1.1.0", "COMPLETED")]
    assert store.routing("fraud-prod").stable_version == "1.1.0"
    store.verify_audit_log()
    with sqlite3.connect(store_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_demo_with_the_cpp_service(tmp_path):
    binary = _cpp_service()
    if binary is None:
        pytest.skip("examples/serving/fraud_service is not built")
    r = _run(tmp_path, str(binary))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "C++ service (examples/serving/fraud_service)" in r.stdout
    _check_story(r.stdout, tmp_path / "demo" / "slipway.db")


def test_demo_with_the_python_service(tmp_path):
    r = _run(tmp_path, "python")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "Python service (store.router)" in r.stdout
    _check_story(r.stdout, tmp_path / "demo" / "slipway.db")


def test_demo_refuses_a_directory_that_is_not_a_demo(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    r = subprocess.run([sys.executable, "-m", "slipway", "demo", "--dir", str(tmp_path)],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2
    assert "not a demo directory" in r.stderr
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_demo_names_a_missing_service_binary(tmp_path):
    r = _run(tmp_path, str(tmp_path / "no-such-binary"))
    assert r.returncode == 1
    assert "no service at" in r.stderr

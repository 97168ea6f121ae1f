"""The `slipway` command line (docs/cli.md), through its real entry point:
each test runs `python -m slipway ...` in a subprocess against a store
populated with the Python API: runs with params and metrics (NaN and inf
among them), models with versions, approvals, validations, aliases and
lineage, and a production rollout awaiting a data science lead's approval
(conftest.RolloutWorld). Tests that change the store work on a copy."""

import datetime as dt
import json
import os
import pathlib
import sqlite3
import subprocess
import sys
import textwrap

import pytest

import slipway as sw
from conftest import ROOT, RolloutWorld

SPEC_FIELDS = [
    "timestamp", "agent", "user", "environment", "command", "resource_type",
    "resource_name", "action", "model_name", "model_version", "previous_version",
    "change_ticket", "outcome", "rollback_config", "duration_ms",
]


def _env(**extra):
    """The subprocess environment: slipway from the source tree (as this
    interpreter found it), no SLIPWAY_* setting of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
    if os.environ.get("SLIPWAY_TEST_INSTALLED") != "1":
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT / "python")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["USER"] = "tester"
    env.update(extra)
    return env


def run_cli(*args, store=None, cwd=None, env=None, code=None):
    """`python -m slipway [--store STORE] ARGS...`; returns the completed
    process (stdout, stderr as text)."""
    argv = [sys.executable, "-m", "slipway"]
    if store is not None:
        argv += ["--store", str(store)]
    argv += [str(a) for a in args]
    if code is not None:  # run cli.main from a snippet (fakes injected)
        argv = [sys.executable, "-c", code] + [str(a) for a in args]
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd or ROOT,
                          env=env or _env(), timeout=60)


def ok(p):
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return p.stdout


def failed(p, code, *needles):
    """The process exited `code`, said each needle on stderr, printed no
    traceback and nothing on stdout."""
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr, p.stderr
    for needle in needles:
        assert needle in p.stderr, (needle, p.stderr)
    return p.stderr


def strict_json(text):
    """Parses one JSON document, refusing NaN and Infinity literals (not
    JSON)."""
    def refuse(name):
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


# --- the populated store ---------------------------------------------------------------


class World:
    pass


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        for name in ("SLIPWAY_ACTOR", "SLIPWAY_ROLE", "SLIPWAY_AGENT",
                     "SLIPWAY_EMERGENCY_STOP_FILE", "SLIPWAY_STORE"):
            mp.delenv(name, raising=False)
        mp.setenv("USER", "tester")
        root = tmp_path_factory.mktemp("cli")
        # The fake clock starts two days ago, so that the rollout (walked
        # through about 25 hours of fake time) entered its stage about a day
        # before the real clock the CLI reads: `rollouts status` reads one
        # outcome window per minute since then.
        start = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)).replace(
            second=0, microsecond=0)
        start_iso = start.strftime("%Y-%m-%dT%H:%M:%SZ")
        rw = RolloutWorld(root, sw.testing.FakeClock(start_iso))
        s = rw.store
        with s.start_run(experiment="fraud", name="lr-0.01", params={"lr": 0.01, "batch": 256},
                         tags={"team": "risk"}) as a:
            a.log_metric("loss", 0.5, step=1)
            a.log_metric("loss", float("nan"), step=2)
            a.log_metric("loss", 0.31, step=3)
            a.log_metric("acc", 0.93)
            a.log_metric("gain", float("inf"))
        with s.start_run(experiment="fraud", name="lr-0.1", params={"lr": 0.1, "batch": 256}) as b:
            b.log_metric("loss", float("nan"), step=3)
            b.log_metric("acc", 0.88)
        with s.start_run(experiment="churn", name="baseline", params={"depth": 4}) as c:
            c.log_metric("acc", 0.7)
        s.register_model_version("churn", "1.0.0", run=a, datasets=["/data/ml/train.parquet"],
                                 tags={"stage": "candidate"})
        s.register_model_version("churn", "1.1.0")
        s.set_alias("churn", "champion", "1.0.0")
        s.record_validation("churn", "1.0.0", environment="staging",
                            checks={"accuracy": 0.91}, passed=True)
        rollout = rw.deploy()
        rw.walk_to(rollout, "canary-2", phase="AWAITING_APPROVAL")
        s.flush()
        w = World()
        w.start_iso = start_iso
        w.path, w.dir, w.run_a, w.run_b, w.run_c = rw.path, root, a.id, b.id, c.id
        w.rollout = rollout.id
        w.ds_lead, w.platform_lead = rw.DS_LEAD, rw.PLATFORM_LEAD
        yield w


@pytest.fixture
def copy(world, tmp_path):
    """A copy of the world's store file (sqlite3's online backup: a
    consistent copy while the world's store is open)."""
    dest = tmp_path / "slipway.db"
    src = sqlite3.connect(world.path)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return dest


# --- the entry point, usage, exit codes --------------------------------------------------


def test_help_lists_every_command_and_version_is_the_package_version():
    out = ok(run_cli("--help"))
    for command in ("runs", "models", "rollouts", "stop", "audit", "demo"):
        assert command in out
    assert "--store" in out and "--json" in out and "--actor" in out
    for noun, verbs in (("runs", ["list", "show", "compare"]),
                        ("models", ["list", "show", "lineage"]),
                        ("rollouts", ["list", "status", "approve", "rollback", "abort"]),
                        ("stop", ["on", "off", "status"]),
                        ("audit", ["tail", "export", "verify"])):
        out = ok(run_cli(noun, "--help"))
        for verb in verbs:
            assert verb in out, (noun, verb)
    assert ok(run_cli("--version")).strip() == f"slipway {sw.__version__}"


def test_usage_errors_exit_2(world):
    failed(run_cli("nonsense", store=world.path), 2, "invalid choice")
    failed(run_cli("runs", store=world.path), 2, "required")
    failed(run_cli("runs", "show", store=world.path), 2, "RUN_ID")
    failed(run_cli("runs", "list", "--bogus", store=world.path), 2, "--bogus")
    failed(run_cli("runs", "list", "--max", "0", store=world.path), 2, "at least 1")
    failed(run_cli("runs", "compare", world.run_a, store=world.path), 2, "at least two")
    failed(run_cli("stop", "on", store=world.path), 2, "--reason")
    failed(run_cli("rollouts", "approve", world.rollout, store=world.path), 2, "--stage")
    failed(run_cli("models", "lineage", store=world.path), 2, "NAME VERSION")
    failed(run_cli("models", "lineage", "churn", "1.0.0", "--run", world.run_a,
                   store=world.path), 2, "not both")


def test_a_missing_store_is_exit_2_and_is_not_created(tmp_path):
    missing = tmp_path / "nowhere" / "slipway.db"
    for args in (["runs", "list"], ["models", "list"], ["stop", "status"],
                 ["audit", "verify"], ["stop", "on", "--reason", "x"]):
        failed(run_cli(*args, store=missing), 2, f"no store at {missing}")
    failed(run_cli("runs", "list", store=f"sqlite://{missing}"), 2, "no store at")
    assert not missing.parent.exists()
    # $SLIPWAY_STORE, else ./slipway.db in the working directory.
    failed(run_cli("runs", "list", env=_env(SLIPWAY_STORE=str(missing))), 2, str(missing))
    failed(run_cli("runs", "list", cwd=tmp_path), 2, "no store at slipway.db")
    assert not (tmp_path / "slipway.db").exists()
    failed(run_cli("runs", "list", store=tmp_path), 2, "is a directory")
    err = failed(run_cli("--json", "runs", "list", store=missing), 2)
    assert strict_json(err)["error"]["reason"] == "STORE_NOT_FOUND"
    failed(run_cli("runs", "list", store="ftp://host/x"), 2, "unknown scheme")


def test_store_from_the_environment_and_the_working_directory(world, copy):
    out = ok(run_cli("runs", "list", env=_env(SLIPWAY_STORE=str(world.path))))
    assert world.run_a in out
    out = ok(run_cli("runs", "list", cwd=copy.parent))  # ./slipway.db
    assert world.run_a in out
    # --store wins over $SLIPWAY_STORE.
    out = ok(run_cli("runs", "list", store=world.path,
                     env=_env(SLIPWAY_STORE=str(copy.parent / "other.db"))))
    assert world.run_a in out


def test_global_options_go_before_or_after_the_command(world):
    before = strict_json(ok(run_cli("--json", "runs", "list", store=world.path)))
    after = strict_json(ok(run_cli("runs", "list", "--json", "--store", world.path)))
    assert before == after and len(before["runs"]) == 3


# --- runs ----------------------------------------------------------------------------------


def test_runs_list_table(world):
    out = ok(run_cli("runs", "list", store=world.path))
    lines = out.splitlines()
    assert lines[0].split()[:6] == ["RUN_ID", "EXPERIMENT", "NAME", "STATUS", "STARTED", "USER"]
    assert {"acc", "gain", "loss"} <= set(lines[0].split())
    assert len(lines) == 4
    row_b = next(line for line in lines if world.run_b in line)
    assert "fraud" in row_b and "lr-0.1" in row_b and "FINISHED" in row_b and "nan" in row_b
    assert world.start_iso in row_b  # ISO 8601 UTC
    row_a = next(line for line in lines if world.run_a in line)
    assert "inf" in row_a and "0.93" in row_a


def test_runs_list_json_has_the_documented_keys_and_valid_numbers(world):
    doc = strict_json(ok(run_cli("runs", "list", "--json", store=world.path)))
    assert set(doc) == {"runs", "next_page_token"} and doc["next_page_token"] is None
    runs = {r["run_id"]: r for r in doc["runs"]}
    a, b = runs[world.run_a], runs[world.run_b]
    assert set(a) == {"run_id", "name", "experiment", "experiment_id", "status", "user",
                      "start_time", "end_time", "start_ms", "end_ms", "parent_run_id",
                      "source_path", "source_git_commit", "params", "tags", "metrics"}
    assert a["params"] == {"batch": "256", "lr": "0.01"} and a["tags"] == {"team": "risk"}
    assert a["metrics"] == {"acc": 0.93, "gain": "Infinity", "loss": 0.31}
    assert b["metrics"]["loss"] == "NaN"
    assert a["start_time"] == world.start_iso[:-1] + ".000Z" and a["experiment"] == "fraud"


def test_runs_list_filter_order_max_experiment(world):
    def ids(*args):
        return [r["run_id"] for r in
                strict_json(ok(run_cli("runs", "list", "--json", *args, store=world.path)))["runs"]]

    assert ids("--filter", "metrics.acc > 0.9") == [world.run_a]
    assert ids("--experiment", "fraud", "--order-by", "metrics.acc ASC") == [world.run_b, world.run_a]
    assert ids("-e", "fraud", "-e", "churn", "-o", "metrics.acc DESC") == [
        world.run_a, world.run_b, world.run_c]
    assert ids("--filter", "params.lr = '0.1'") == [world.run_b]
    page = strict_json(ok(run_cli("runs", "list", "--json", "--max", "1",
                                  "--order-by", "metrics.acc DESC", store=world.path)))
    assert [r["run_id"] for r in page["runs"]] == [world.run_a] and page["next_page_token"]
    rest = ids("--order-by", "metrics.acc DESC", "--page-token", page["next_page_token"])
    assert rest == [world.run_b, world.run_c]
    out = ok(run_cli("runs", "list", "--max", "1", store=world.path))
    assert "--page-token" in out
    out = ok(run_cli("runs", "list", "--filter", "metrics.acc > 5", store=world.path))
    assert out == "no runs match\n"


def test_runs_list_refused_filter_is_exit_1(world):
    err = failed(run_cli("runs", "list", "--filter", "metrics.acc >>> 1", store=world.path), 1,
                 "slipway: error:", "reason:")
    assert "INVALID_ARGUMENT" in err


def test_runs_show(world):
    out = ok(run_cli("runs", "show", world.run_a, store=world.path))
    assert world.run_a in out and "lr-0.01" in out and "fraud" in out
    assert "params" in out and "0.01" in out and "team" in out and "risk" in out
    loss = next(line.split() for line in out.splitlines() if line.strip().startswith("loss"))
    assert loss == ["loss", "0.31", "3", "0.31", "0.5", "3"]  # last, step, min, max, points
    doc = strict_json(ok(run_cli("runs", "show", world.run_b, "--json", store=world.path)))
    assert doc["run_id"] == world.run_b and doc["params"] == {"batch": "256", "lr": "0.1"}
    assert doc["metrics"]["loss"] == {"last": "NaN", "last_step": 3, "min": None,
                                      "max": None, "count": 1}
    assert doc["metrics"]["acc"]["last"] == 0.88


def test_runs_show_unknown_run_is_exit_1_with_the_reason(world):
    err = failed(run_cli("runs", "show", "0" * 32, store=world.path), 1,
                 "does not exist", "RUN_NOT_FOUND")
    assert err.startswith("slipway: error: ")
    doc = strict_json(failed(run_cli("runs", "show", "0" * 32, "--json", store=world.path), 1))
    assert doc["error"]["type"] == "NotFoundError"
    assert (doc["error"]["code"], doc["error"]["reason"]) == ("NOT_FOUND", "RUN_NOT_FOUND")


def test_runs_compare_marks_the_rows_that_differ(world):
    out = ok(run_cli("runs", "compare", world.run_a, world.run_b, store=world.path))
    rows = {line[3:].split()[0]: line for line in out.splitlines()[1:] if line[3:].strip()}
    assert rows["params.lr"].startswith("*") and rows["metrics.loss"].startswith("*")
    assert not rows["params.batch"].startswith("*")
    assert not rows["experiment"].startswith("*")
    assert "rows differ" in out
    doc = strict_json(ok(run_cli("runs", "compare", world.run_a, world.run_b, world.run_c,
                                 "--json", store=world.path)))
    assert doc["run_ids"] == [world.run_a, world.run_b, world.run_c]
    rows = {r["field"]: r for r in doc["rows"]}
    assert rows["params.lr"] == {"field": "params.lr", "values": ["0.01", "0.1", None],
                                 "differs": True}
    assert rows["metrics.loss"]["values"] == [0.31, "NaN", None]
    assert rows["status"]["differs"] is False
    failed(run_cli("runs", "compare", world.run_a, "f" * 32, store=world.path), 1, "RUN_NOT_FOUND")


# --- models ----------------------------------------------------------------------------------


def test_models_list(world):
    out = ok(run_cli("models", "list", store=world.path))
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "VERSIONS", "LATEST", "ALIASES", "UPDATED"]
    churn = next(line for line in lines if line.startswith("churn"))
    assert churn.split()[1:4] == ["2", "1.1.0", "champion=1.0.0"]
    doc = strict_json(ok(run_cli("models", "list", "--json", store=world.path)))
    models = {m["name"]: m for m in doc["models"]}
    assert set(models) == {"churn", "fraud-detection"}
    assert set(models["churn"]) == {"name", "description", "tags", "scheme", "aliases",
                                    "versions", "latest_version", "created", "updated",
                                    "created_ms", "updated_ms"}
    assert models["churn"]["aliases"] == {"champion": "1.0.0"}
    assert models["fraud-detection"]["versions"] == 2


def test_models_show_a_model_and_a_version(world):
    out = ok(run_cli("models", "show", "fraud-detection", store=world.path))
    v241 = next(line for line in out.splitlines() if line.strip().startswith("2.4.1"))
    assert "Approved" in v241 and "staging:passed" in v241
    doc = strict_json(ok(run_cli("models", "show", "churn", "--json", store=world.path)))
    assert [v["version"] for v in doc["versions"]] == ["1.0.0", "1.1.0"]
    assert doc["versions"][0]["validations"] == {"staging": True}
    assert doc["versions"][0]["aliases"] == ["champion"]

    out = ok(run_cli("models", "show", "fraud-detection", "2.4.1", store=world.path))
    assert "approval history" in out and "pat@example.com" in out and "platform-lead" in out
    assert "accuracy=0.94" in out
    doc = strict_json(ok(run_cli("models", "show", "churn", "champion", "--json",
                                 store=world.path)))
    assert doc["version"] == "1.0.0" and doc["run_id"] == world.run_a
    assert doc["validations"][0]["checks"] == {"accuracy": 0.91}
    assert doc["datasets"] == [{"path": "/data/ml/train.parquet", "digest": ""}]
    assert {"approval", "approval_history", "aliases", "artifacts", "tags",
            "created"} <= set(doc)


def test_models_show_unknown_is_exit_1(world):
    failed(run_cli("models", "show", "nope", store=world.path), 1, "MODEL_NOT_FOUND")
    failed(run_cli("models", "show", "churn", "9.9.9", store=world.path), 1, "NOT_FOUND")


def test_models_lineage_both_ways(world):
    out = ok(run_cli("models", "lineage", "churn", "1.0.0", store=world.path))
    assert world.run_a in out and "/data/ml/train.parquet" in out and "lr" in out
    doc = strict_json(ok(run_cli("models", "lineage", "churn", "champion", "--json",
                                 store=world.path)))
    assert (doc["run_id"], doc["experiment"]) == (world.run_a, "fraud")
    assert doc["params"] == {"batch": "256", "lr": "0.01"}
    assert doc["metrics"]["gain"] == "Infinity" and doc["run_tags"] == {"team": "risk"}
    out = ok(run_cli("models", "lineage", "--run", world.run_a, store=world.path))
    assert "churn" in out and "1.0.0" in out
    doc = strict_json(ok(run_cli("models", "lineage", "--run", world.run_a, "--json",
                                 store=world.path)))
    assert [(v["model"], v["version"]) for v in doc["versions"]] == [("churn", "1.0.0")]
    out = ok(run_cli("models", "lineage", "--run", world.run_b, store=world.path))
    assert "no versions" in out
    failed(run_cli("models", "lineage", "--run", "0" * 32, store=world.path), 1, "RUN_NOT_FOUND")


# --- rollouts -----------------------------------------------------------------------------------


def test_rollouts_list(world):
    out = ok(run_cli("rollouts", "list", store=world.path))
    assert world.rollout in out and "AWAITING_APPROVAL" in out and "canary-2" in out
    for args in ([], ["--active"], ["--endpoint", "fraud-prod"]):
        doc = strict_json(ok(run_cli("rollouts", "list", "--json", *args, store=world.path)))
        assert [r["id"] for r in doc["rollouts"]] == [world.rollout], args
    r = doc["rollouts"][0]
    assert r["weights"] == {"stable": 0.99, "candidate": 0.01} and r["readings"] is None
    out = ok(run_cli("rollouts", "list", "--endpoint", "elsewhere", store=world.path))
    assert out == "no rollouts\n"


def test_rollouts_status(world):
    out = ok(run_cli("rollouts", "status", world.rollout, store=world.path))
    for needle in ("AWAITING_APPROVAL", "canary-2 (3 of 5)", "stable 2.4.0 99%",
                   "candidate 2.4.1 1%", "time in stage",
                   "approval by role data-science-lead", "guardrails", "error rate",
                   "latency p99", "accuracy", "HEALTHY", "rollback to", "MLOPS-2024-0456"):
        assert needle in out, needle
    doc = strict_json(ok(run_cli("rollouts", "status", world.rollout, "--json",
                                 store=world.path)))
    assert {"id", "endpoint", "model", "candidate_version", "stable_version", "phase",
            "active", "stage", "stage_index", "stages", "weights", "shadow",
            "time_in_stage_s", "halt_cause", "next_gate", "readings", "approvals",
            "rollback_version", "state"} <= set(doc)
    assert (doc["phase"], doc["stage"], doc["stage_index"], doc["stages"]) == (
        "AWAITING_APPROVAL", "canary-2", 2, 5)
    assert doc["time_in_stage_s"] > 0 and doc["readings"]["error_rate_verdict"] == "HEALTHY"
    failed(run_cli("rollouts", "status", "no-such-rollout", store=world.path), 1,
           "ROLLOUT_NOT_FOUND")


def test_rollouts_approve(world, copy):
    err = failed(run_cli("rollouts", "approve", world.rollout, "--stage", "canary-2",
                         "--role", "data-scientist", "--actor", "eve", store=copy), 1,
                 "ROLE_REQUIRED")
    assert "data-science-lead" in err
    out = ok(run_cli("rollouts", "approve", world.rollout, "--stage", "canary-2",
                     "--role", "data-science-lead", "--actor", "dana@example.com", store=copy))
    assert "approved stage canary-2" in out and "IN_STAGE" in out and "candidate 2.4.1 10%" in out
    failed(run_cli("rollouts", "approve", world.rollout, "--stage", "canary-2",
                   "--role", "data-science-lead", store=copy), 1, "APPROVAL_NOT_EXPECTED")
    doc = strict_json(ok(run_cli("rollouts", "status", world.rollout, "--json", store=copy)))
    assert [(a["stage"], a["actor"], a["role"]) for a in doc["approvals"]] == [
        ("canary-2", "dana@example.com", "data-science-lead")]
    # The approval is in the audit log, under the actor given.
    doc = strict_json(ok(run_cli("audit", "tail", "-n", "3", "--json", store=copy)))
    assert [(r["command"], r["user"], r["outcome"]) for r in doc["records"]] == [
        ("rollout.approve", "eve", "denied"),
        ("rollout.approve", "dana@example.com", "success"),
        ("rollout.approve", "tester", "denied")]  # --actor defaults to $USER


def test_rollouts_rollback_then_abort_is_refused(world, copy):
    doc = strict_json(ok(run_cli("rollouts", "rollback", world.rollout, "--reason", "bad canary",
                                 "--json", store=copy)))
    assert (doc["phase"], doc["active"], doc["weights"]) == (
        "ROLLED_BACK", False, {"stable": 1.0, "candidate": 0.0})
    failed(run_cli("rollouts", "abort", world.rollout, store=copy), 1, "ROLLOUT_ENDED")
    failed(run_cli("rollouts", "rollback", world.rollout, store=copy), 1, "ROLLOUT_ENDED")
    out = ok(run_cli("rollouts", "list", "--active", store=copy))
    assert out == "no rollouts\n"


def test_rollouts_abort(world, copy):
    out = ok(run_cli("rollouts", "abort", world.rollout, "--reason", "wrong model", store=copy))
    assert "aborted rollout" in out and "ABORTED" in out and "stable 2.4.0 100%" in out
    records = strict_json(ok(run_cli("audit", "tail", "-n", "1", "--json", store=copy)))["records"]
    assert (records[0]["command"], records[0]["outcome"]) == ("rollout.abort", "success")


# --- the emergency stop ---------------------------------------------------------------------------


def test_stop_on_blocks_a_production_approve_and_off_lifts_it(world, copy):
    out = ok(run_cli("stop", "status", store=copy))
    assert out.startswith("emergency stop: off")
    doc = strict_json(ok(run_cli("stop", "on", "--reason", "incident 42", "--actor", "oncall",
                                 "--json", store=copy)))
    assert doc["active"] is True and doc["store_set"] is True
    assert (doc["store_actor"], doc["store_reason"]) == ("oncall", "incident 42")
    assert doc["store_set_at"].endswith("Z")
    assert set(doc) == {"active", "store_set", "store_actor", "store_reason", "store_set_at",
                        "store_set_ms", "file_path", "file_set", "file_content"}
    # status exits 0 whatever the state.
    out = ok(run_cli("stop", "status", store=copy))
    assert out.startswith("emergency stop: ON") and "incident 42" in out and "oncall" in out
    approve = ("rollouts", "approve", world.rollout, "--stage", "canary-2",
               "--role", "data-science-lead", "--actor", "dana@example.com")
    err = failed(run_cli(*approve, store=copy), 1, "emergency stop is active",
                 "EMERGENCY_STOP_ACTIVE", "incident 42", "slipway stop off")
    assert "reason: EMERGENCY_STOP_ACTIVE" in err
    doc = strict_json(failed(run_cli(*approve, "--json", store=copy), 1))
    assert (doc["error"]["type"], doc["error"]["reason"]) == (
        "EmergencyStopError", "EMERGENCY_STOP_ACTIVE")
    # Reads go on; the denial is audited.
    ok(run_cli("rollouts", "status", world.rollout, store=copy))
    records = strict_json(ok(run_cli("audit", "tail", "-n", "1", "--json", store=copy)))["records"]
    assert (records[0]["command"], records[0]["outcome"], records[0]["reason"]) == (
        "rollout.approve", "denied", "EMERGENCY_STOP_ACTIVE")
    out = ok(run_cli("stop", "off", "--actor", "oncall", store=copy))
    assert out.startswith("emergency stop: off")
    assert strict_json(ok(run_cli("stop", "status", "--json", store=copy)))["active"] is False
    ok(run_cli(*approve, store=copy))


def test_stop_status_shows_the_stop_file(world, copy):
    (copy.parent / "slipway.STOP").write_text("maintenance window\n")
    out = ok(run_cli("stop", "status", store=copy))
    assert out.startswith("emergency stop: ON") and "maintenance window" in out
    doc = strict_json(ok(run_cli("stop", "status", "--json", store=copy)))
    assert (doc["active"], doc["file_set"], doc["store_set"]) == (True, True, False)
    assert doc["file_path"] == str(copy.parent / "slipway.STOP")
    ok(run_cli("stop", "off", store=copy))
    assert not (copy.parent / "slipway.STOP").exists()


# --- the audit log ----------------------------------------------------------------------------


def test_audit_tail(world):
    out = ok(run_cli("audit", "tail", "-n", "3", store=world.path))
    lines = out.splitlines()
    assert lines[0].split() == ["SEQ", "TIME", "USER", "ENV", "COMMAND", "RESOURCE", "OUTCOME",
                                "REASON"]
    assert len(lines) == 4
    doc = strict_json(ok(run_cli("audit", "tail", "--json", "-n", "0", store=world.path)))
    records = doc["records"]
    assert len(records) == len(sw.open(world.path).audit_log()) > 10
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    assert set(SPEC_FIELDS) <= set(records[0]) and {"seq", "hash", "prev_hash"} <= set(records[0])
    tail = strict_json(ok(run_cli("audit", "tail", "--json", store=world.path)))["records"]
    assert tail == records[-20:]  # default 20
    tail_5 = strict_json(ok(run_cli("audit", "tail", "--json", "-n", "5", store=world.path)))
    assert tail_5["records"] == records[-5:]
    since = strict_json(ok(run_cli("audit", "tail", "--json", "--since", "2030-01-01T00:00:00Z",
                                   store=world.path)))
    assert since == {"records": []}
    assert ok(run_cli("audit", "tail", "--since", "2030-01-01T00:00:00Z",
                      store=world.path)) == "no audit records\n"
    failed(run_cli("audit", "tail", "--since", "yesterday", store=world.path), 1, "TIME_INVALID")


def test_audit_export(world, tmp_path):
    path = tmp_path / "audit.jsonl"
    out = ok(run_cli("audit", "export", path, store=world.path))
    lines = path.read_text().splitlines()
    assert out == f"exported {len(lines)} audit records to {path}\n" and len(lines) > 10
    assert set(SPEC_FIELDS) <= set(json.loads(lines[0]))
    doc = strict_json(ok(run_cli("audit", "export", tmp_path / "late.jsonl", "--since",
                                 "2030-01-01T00:00:00Z", "--json", store=world.path)))
    assert doc == {"path": str(tmp_path / "late.jsonl"), "records": 0}


def test_audit_verify_exit_0_then_3_after_tampering(world, copy):
    out = ok(run_cli("audit", "verify", store=copy))
    assert out.startswith("audit log OK:") and "hash chain intact" in out
    doc = strict_json(ok(run_cli("audit", "verify", "--json", store=copy)))
    assert doc["ok"] is True and doc["records"] > 10 and len(doc["last_hash"]) == 64
    con = sqlite3.connect(copy)
    with con:
        con.execute("UPDATE audit_record SET user = 'mallory' WHERE seq = 3")
    con.close()
    p = run_cli("audit", "verify", store=copy)
    failed(p, 3, "AUDIT_CHAIN_BROKEN", "seq 3")
    assert "BROKEN" in p.stdout
    p = run_cli("audit", "verify", "--json", store=copy)
    failed(p, 3, "AUDIT_CHAIN_BROKEN")
    doc = strict_json(p.stdout)
    assert (doc["ok"], doc["reason"], doc["first_bad_seq"]) == (False, "AUDIT_CHAIN_BROKEN", 3)
    assert "edited" in doc["message"]


# --- demo, internal errors, interrupts --------------------------------------------------------

_WITH_FAKE = textwrap.dedent("""\
    import sys, types
    {setup}
    from slipway.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_demo_forwards_its_arguments_to_slipway_demo_main():
    setup = ("m = types.ModuleType('slipway.demo')\n"
             "def fake(argv):\n"
             "    print('demo got', argv)\n"
             "    return 7\n"
             "m.main = fake\n"
             "sys.modules['slipway.demo'] = m")
    p = run_cli("demo", "--fast", "--store", "x.db", "--json", "steps",
                code=_WITH_FAKE.format(setup=setup))
    assert p.returncode == 7, p.stderr
    assert p.stdout == "demo got ['--fast', '--store', 'x.db', '--json', 'steps']\n"


def test_demo_missing_is_a_clear_error_exit_1():
    p = run_cli("demo", code=_WITH_FAKE.format(setup="sys.modules['slipway.demo'] = None"))
    failed(p, 1, "the demo is not available")


def test_demo_help_comes_from_the_real_demo():
    p = run_cli("demo", "--help")
    assert p.returncode == 0, p.stderr
    assert "usage: slipway demo" in p.stdout and "--quick" in p.stdout


def test_an_unexpected_error_prints_a_traceback_and_exits_70(world):
    setup = ("import slipway.cli.runs as r\n"
             "def boom(ctx):\n"
             "    raise ZeroDivisionError('boom')\n"
             "r.cmd_list = boom")
    p = run_cli("--store", world.path, "runs", "list", code=_WITH_FAKE.format(setup=setup))
    assert p.returncode == 70, p.stderr
    assert "Traceback" in p.stderr and "ZeroDivisionError" in p.stderr and "a bug" in p.stderr


def test_ctrl_c_exits_130(world):
    setup = ("import slipway.cli.runs as r\n"
             "def interrupted(ctx):\n"
             "    raise KeyboardInterrupt\n"
             "r.cmd_list = interrupted")
    p = run_cli("--store", world.path, "runs", "list", code=_WITH_FAKE.format(setup=setup))
    assert p.returncode == 130 and "interrupted" in p.stderr and "Traceback" not in p.stderr

"""SPEC.md §4 — Rollback, from Python (the scenarios of
tests/spec/spec_4_rollback_test.cc) on real store files.

Most retention tests play the rollout through the internal hooks
``store._record_deployment`` and ``reg.store._hold_version`` /
``reg.store._release_hold`` (a second connection to the same store file, the
way another process's rollout would write them), to set up many deployments
quickly; the rollback-plan and rollback tests, and one retention test, use
real rollouts (``store.deploy``, the ``world`` fixture of conftest.py).
"""

import json
import os
import time

import pytest

import slipway as sw

pytestmark = pytest.mark.usefixtures("clean_env")

PLATFORM = {"actor": "pat@example.com", "role": "platform-lead"}
MODEL_BYTES = os.urandom(4096)


class Registry:
    """A store file, its fake clock, and a folder holding model.pt."""

    def __init__(self, tmp_path, clock, **options):
        self.dir = tmp_path
        self.clock = clock
        (tmp_path / "model.pt").write_bytes(MODEL_BYTES)
        self.store = sw.open(tmp_path / "slipway.db", clock=clock, **options)

    def register(self, *versions, model="fraud"):
        for v in versions:
            self.store.register_model_version(model, v, artifacts=[self.dir / "model.pt"])

    def deploy(self, endpoint, version, model="fraud"):
        """What a rollout records when `version` starts serving `endpoint`."""
        self.clock.advance(minutes=1)
        self.store._record_deployment(endpoint, model, version)

    def expect_retained(self, version, why, model="fraud"):
        """Archive and delete are both refused with RETENTION_PROTECTED
        saying why; the version stays as it was and its artifacts restore
        ("ready")."""
        store = self.store
        for op in (store.archive_model_version, store.delete_model_version):
            with pytest.raises(sw.GateError) as e:
                op(model, version, **PLATFORM)
            err = e.value
            assert err.reason == "RETENTION_PROTECTED", op.__name__
            assert err.value == version
            assert version in str(err) and why in str(err)
            assert "SPEC §4" in err.rule
        assert store.get_model_version(model, version).archived is False
        out = self.dir / f"ready-{model}-{version}"
        store.download_artifacts(model, version, out)
        assert (out / "model.pt").read_bytes() == MODEL_BYTES

    def expect_free(self, version, model="fraud"):
        store = self.store
        store.archive_model_version(model, version, **PLATFORM)
        assert store.get_model_version(model, version).archived is True
        store.delete_model_version(model, version, **PLATFORM)
        with pytest.raises(sw.NotFoundError):
            store.get_model_version(model, version)


@pytest.fixture
def reg(tmp_path, fake_clock):
    return Registry(tmp_path, fake_clock)


# "The previous 3 versions of every deployed model stay retained and ready;
# retention never removes them."
def test_spec_4_the_three_most_recent_deployed_versions_are_retained(reg):
    reg.register("1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0")
    for v in ("1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"):
        reg.deploy("fraud-prod", v)
    for v in ("1.2.0", "1.3.0", "1.4.0"):
        reg.expect_retained(v, 'endpoint "fraud-prod"')
    # Older deployed versions, and a version never deployed, may go.
    for v in ("1.0.0", "1.1.0", "1.5.0"):
        reg.expect_free(v)


def test_spec_4_retention_counts_distinct_versions_and_follows_redeployments(reg):
    reg.register("1.0.0", "1.1.0", "1.2.0", "1.3.0")
    for v in ("1.0.0", "1.1.0", "1.2.0", "1.2.0", "v1.2.0", "1.2.0"):
        reg.deploy("fraud-prod", v)
    # Redeploying one version does not push the others out.
    reg.expect_retained("1.0.0", "fraud-prod")
    # 1.3.0 goes out, then a rollback to 1.1.0: the three most recent are
    # 1.1.0, 1.3.0 and 1.2.0, so 1.0.0 is free.
    reg.deploy("fraud-prod", "1.3.0")
    reg.deploy("fraud-prod", "1.1.0")
    for v in ("1.1.0", "1.2.0", "1.3.0"):
        reg.expect_retained(v, "fraud-prod")
    reg.expect_free("1.0.0")


def test_spec_4_every_endpoint_keeps_its_own_three(reg):
    reg.register("1.0.0", "1.1.0", "1.2.0", "1.3.0")
    reg.deploy("fraud-eu", "1.0.0")
    for v in ("1.0.0", "1.1.0", "1.2.0", "1.3.0"):
        reg.deploy("fraud-us", v)
    # 1.0.0 is old in fraud-us's history but the only one of fraud-eu's.
    reg.expect_retained("1.0.0", 'endpoint "fraud-eu"')


def test_spec_4_other_models_deployments_do_not_protect_a_version(reg):
    reg.register("1.0.0")
    reg.register("1.0.0", model="churn")
    reg.deploy("churn-prod", "1.0.0", model="churn")
    reg.expect_retained("1.0.0", "churn-prod", model="churn")
    reg.expect_free("1.0.0")


def test_spec_4_a_version_an_active_rollout_holds_is_retained(reg):
    reg.register("1.0.0")
    reg.store._hold_version("fraud", "1.0.0", "rollout-17", "stable version of the canary")
    reg.store._hold_version("fraud", "v1.0.0", "rollout-18", "rollback target")
    reg.expect_retained("1.0.0", "held by rollout-17: stable version of the canary")
    reg.expect_retained("1.0.0", "held by rollout-18: rollback target")
    reg.store._release_hold("fraud", "1.0.0", "rollout-17")
    reg.expect_retained("1.0.0", "rollout-18")
    reg.store._release_hold("fraud", "1.0.0", "rollout-18")
    reg.expect_free("1.0.0")


def test_spec_4_retention_holds_for_every_role_and_is_audited(tmp_path, fake_clock):
    reg = Registry(tmp_path, fake_clock, policy=sw.Policy(environment="production"))
    reg.register("1.0.0")
    reg.deploy("fraud-prod", "1.0.0")
    store = reg.store
    for role in ("platform-lead", "admin"):
        with pytest.raises(sw.GateError) as e:
            store.delete_model_version("fraud", "1.0.0", actor="root", role=role)
        assert e.value.reason == "RETENTION_PROTECTED"
    last = store.audit_log()[-1]
    assert (last.command, last.outcome, last.reason, last.environment) == (
        "model_version.delete", "denied", "RETENTION_PROTECTED", "production")
    assert store.get_model_version("fraud", "1.0.0").archived is False


def test_spec_4_revision_versions_are_retained_too(reg):
    for _ in range(4):
        reg.store.register_model_version("fraud", artifacts=[reg.dir / "model.pt"])
    for rev in (1, 2, 3, 4):
        reg.deploy("fraud-prod", rev)
    for rev in ("2", "3", "4"):
        reg.expect_retained(rev, "fraud-prod")
    reg.expect_free("1")


def test_spec_4_deployment_hooks_need_a_store_file():
    store = sw.open(":memory:")
    store.register_model_version("fraud", "1.0.0")
    with pytest.raises(sw.GateError):
        store._record_deployment("fraud-prod", "fraud", "1.0.0")


# "A rollback plan (which version and configuration it returns to) is
# recorded before a deployment starts."
def test_spec_4_a_rollback_plan_is_recorded_before_a_deployment_starts(world):
    rollout = world.deploy()
    st = rollout.status()
    assert st.rollback_version == "2.4.0"
    plan = st.state["rollback_plan"]
    assert (plan["stable_version"], plan["stable_weight"]) == ("2.4.0", 1)
    assert plan.get("candidate_weight", 0) == 0
    assert plan["recorded_at"] <= st.state["started_at"]
    # The deploy's audit record carries it: recorded in the same transaction
    # that starts the rollout.
    deploy = [r for r in world.store.audit_log() if r.command == "rollout.deploy"][-1]
    assert deploy.outcome == "success" and deploy.resource_name == rollout.id
    config = json.loads(deploy.rollback_config)
    assert config["stable_version"] == "2.4.0" and config["stable_weight"] == 1


# "Rollback completes in under 5 minutes from detection (the seed target);
# in-process it is one weight swap."
def test_spec_4_rollback_completes_in_under_5_minutes(world):
    store = world.store
    rollout = world.deploy()
    world.walk_to(rollout, "canary-1")
    gen = store.routing(world.ENDPOINT).generation
    bad = world.counts(requests=300, errors=9)
    world.minutes(4, candidate=bad)
    assert store.routing(world.ENDPOINT).generation == gen
    # The pass that detects the fifth bad window rolls back: no simulated
    # time passes between detection and the swap, and the swap is one
    # routing change.
    detected_at = world.clock.now()
    world.minute(candidate=bad)
    st = rollout.status()
    assert st.phase == "ROLLED_BACK"
    assert st.updated_ms - int(detected_at.timestamp() * 1000) <= 60_000
    r = store.routing(world.ENDPOINT)
    assert (r.generation, r.stable_version, r.candidate_weight) == (gen + 1, "2.4.0", 0.0)


def test_spec_4_a_manual_rollback_is_one_weight_swap(world):
    store = world.store
    rollout = world.deploy()
    world.walk_to(rollout, "canary-2")
    before = store.routing(world.ENDPOINT)
    assert before.weights == {"2.4.0": 0.9, "2.4.1": 0.1}
    started = time.monotonic()
    rollout.rollback(reason="manual", actor="oncall")
    assert time.monotonic() - started < 5 * 60
    after = store.routing(world.ENDPOINT)
    assert after.generation == before.generation + 1
    assert after.weights == {"2.4.0": 1.0}


def test_spec_4_a_rollout_holds_its_candidate_and_a_completed_one_is_retained(world):
    store = world.store
    rollout = world.deploy()
    with pytest.raises(sw.GateError) as e:
        store.archive_model_version(world.MODEL, world.CANDIDATE, **PLATFORM)
    assert e.value.reason == "RETENTION_PROTECTED" and rollout.id in str(e.value)
    world.walk_to(rollout, "full")
    world.minute()
    assert rollout.status().phase == "COMPLETED"
    # Completed: the candidate is the endpoint's newest deployment.
    with pytest.raises(sw.GateError) as e:
        store.archive_model_version(world.MODEL, world.CANDIDATE, **PLATFORM)
    assert e.value.reason == "RETENTION_PROTECTED" and "fraud-prod" in str(e.value)

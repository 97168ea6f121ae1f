"""The end-to-end demo (README's first command; ``slipway demo``;
``python -m slipway.demo``): train, register, validate and approve, roll
out through every SPEC §3 stage with a serving process following the
rollout, then an automatic rollback of a bad version. Simulated time: a
day and a half of rollout in seconds."""

from __future__ import annotations

import argparse
import datetime as _dt
import pathlib
import shutil
import sys
import time
from typing import List, Optional

START = "2026-01-05T09:00:00Z"
MODEL = "fraud-detection"
EXPERIMENT = "fraud-demo"
APPROVERS = {"data-science-lead": "dana@example.com",
             "platform-lead": "pat@example.com"}
DEPLOYER = {"actor": "alice@example.com", "role": "data-scientist"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="slipway demo",
        description="Train a small fraud model, register and approve it, roll it "
                    "out through shadow -> 1% -> 10% -> 50% A/B -> 100% with a "
                    "serving process following the rollout, then watch a bad "
                    "version roll back automatically. Runs on a simulated clock.")
    p.add_argument("--dir", default="slipway-demo", type=pathlib.Path,
                   help="working directory: store, data, models (recreated; "
                        "default ./slipway-demo)")
    p.add_argument("--service", default="auto",
                   help="'auto' (the C++ example service if built, else Python), "
                        "'python', or the path of examples/serving/fraud_service")
    p.add_argument("--quick", action="store_true",
                   help="smaller data and traffic (CI); the same story")
    p.add_argument("--seed", type=int, default=42)
    return p


def _header(n: int, text: str) -> None:
    print(f"\n{n}. {text}", flush=True)


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        import numpy as np  # noqa: F401
    except ImportError:
        print("slipway demo needs numpy (Debian: apt install python3-numpy)",
              file=sys.stderr)
        return 1
    import slipway as sw

    from . import data as D
    from . import serving
    from .timeline import Timeline

    began = time.monotonic()
    work = args.dir.resolve()
    if work.exists():
        if not (work / "slipway.db").exists() and any(work.iterdir()):
            print(f"slipway demo: {work} exists and is not a demo directory; "
                  "choose another with --dir", file=sys.stderr)
            return 2
        shutil.rmtree(work)
    data_dir, model_dir = work / "data", work / "models"
    for d in (data_dir, model_dir):
        d.mkdir(parents=True)
    store_path = work / "slipway.db"
    clock = sw.testing.FakeClock(START)
    store = sw.open(store_path, clock=clock, user="alice@example.com", policy=sw.Policy(
        environment="production", dataset_prefixes=[f"{data_dir}/"]))

    rng = np.random.default_rng(args.seed)
    rows = 8_000 if args.quick else 20_000
    steps = 150 if args.quick else 400
    # 40 requests/s: at 10 % the candidate gets 240 a minute, over the
    # 200 an error-rate window needs before it says anything (design 0004).
    rps = 40
    missing_rate = 0.04

    print("slipway demo: train -> register -> approve -> roll out -> automatic rollback")
    print(f"   store {store_path} (production policy), simulated clock from {START}")

    # 1. Train -----------------------------------------------------------
    _header(1, f"Train: experiment {EXPERIMENT!r}, logistic regression in numpy on "
               f"{rows:,} synthetic card transactions")
    x, y = D.transactions(rows, rng)
    dataset = data_dir / "transactions-2026-01.npz"
    np.savez(dataset, x=x, y=y)
    cut = int(rows * 0.8)
    configs = [("baseline", D.FEATURES[:3], 0.5, 1e-3),
               ("full-lr0.05", D.FEATURES, 0.05, 1e-3),
               ("full-lr0.5", D.FEATURES, 0.5, 1e-3),
               ("full-lr0.5-l2", D.FEATURES, 0.5, 0.05)]
    trained = {}
    print(f"   {'run':<15}{'features':>9}{'lr':>7}{'l2':>7}{'val accuracy':>14}{'val loss':>10}")
    for name, feats, lr, l2 in configs:
        with store.start_run(EXPERIMENT, name, params={
                "features": ",".join(feats), "lr": lr, "l2": l2, "steps": steps},
                tags={"team": "risk", "dataset": dataset.name}) as run:
            model, losses = D.train(x[:cut], y[:cut], feats, lr, l2, steps)
            p = model.score(x[cut:])
            acc, loss = D.accuracy(p, y[cut:]), D.log_loss(p, y[cut:])
            run.log_metric_array("train_loss", losses)
            run.log_metrics({"val_accuracy": acc, "val_loss": loss}, step=steps)
            path = model_dir / name / "model.txt"
            path.parent.mkdir()
            model.write(path)
            trained[name] = (run, model, acc, path)
        print(f"   {name:<15}{len(feats):>9}{lr:>7g}{l2:>7g}{acc:>14.3f}{loss:>10.3f}")
    best = max((n for n in trained if n != "baseline"), key=lambda n: trained[n][2])
    print(f"   best: {best} (val accuracy {trained[best][2]:.3f}); "
          f"baseline {trained['baseline'][2]:.3f}")

    # 2. Register --------------------------------------------------------
    _header(2, f"Register {MODEL}: 1.0.0 from the baseline run (in production today), "
               f"1.1.0 from {best}")
    for version, name in (("1.0.0", "baseline"), ("1.1.0", best)):
        run, _, acc, path = trained[name]
        store.register_model_version(MODEL, version, run=run, artifacts=[path],
                                     datasets=[str(dataset)],
                                     description=f"logistic regression, run {name}")
    lin = store.lineage(model=MODEL, version="1.1.0")
    print(f"   lineage of 1.1.0: run {lin.run_id[:8]} of experiment {lin.experiment!r} "
          f"(lr={lin.params['lr']}, val_accuracy={lin.metrics['val_accuracy']:.3f}), "
          f"dataset {dataset.name}, artifact model.txt "
          f"({lin.version.artifacts[0].digest[:19]}...)")

    # 3. Validate and approve -------------------------------------------
    _header(3, "Validate 1.1.0 in staging and approve it (SPEC §2 gates)")
    store.record_validation(MODEL, "1.1.0", environment="staging",
                            checks={"accuracy": trained[best][2], "bias_gap": 0.01},
                            passed=True)
    store.set_approval(MODEL, "1.1.0", "Approved", actor=APPROVERS["platform-lead"],
                       role="platform-lead")
    store.register_endpoint(serving.ENDPOINT, environment="production",
                            alert_rules=["accuracy", "latency", "drift"],
                            model=MODEL, version="1.0.0")
    # Drift (SPEC §3): a reference per feature, here last week's traffic
    # of 1.0.0; the serving process records what the candidate sees.
    reference, _ = D.transactions(20_000, rng, missing_rate)
    for feature in serving.DRIFT_FEATURES:
        store.register_feature(feature, "float64", environment="production")
        store.set_drift_reference(serving.ENDPOINT, feature,
                                  reference[:, D.FEATURES.index(feature)])
    store.register_pipeline(serving.ENDPOINT, "production")
    store.record_pipeline_run(serving.ENDPOINT, True, True, details={"rows": rows})
    print(f"   staging validation passed; approved by {APPROVERS['platform-lead']} "
          "(platform-lead)")
    print(f"   endpoint {serving.ENDPOINT} (production) serves 1.0.0; its feature "
          "pipeline's last run passed its schema and distribution checks;")
    print(f"   drift references for {', '.join(serving.DRIFT_FEATURES)}: 20,000 rows of "
          "last week's traffic")

    service = _service(args, store, store_path, work, rps, missing_rate)
    if service is None:
        return 1
    timeline = Timeline(_dt.datetime.fromisoformat(START.replace("Z", "+00:00")))

    # 4. Roll out --------------------------------------------------------
    _header(4, f"Deploy 1.1.0 to {serving.ENDPOINT}; {service.name} serves "
               f"{rps} requests/s of simulated traffic and runs the controller")
    rollout = store.deploy(MODEL, "1.1.0", endpoint=serving.ENDPOINT,
                           change_ticket="FRAUD-2026-1042", **DEPLOYER)
    timeline.say(_ms(clock), f"deployed by {DEPLOYER['actor']} (change ticket "
                             f"FRAUD-2026-1042); rollback plan: back to 1.0.0")
    first = _follow(rollout, service, timeline, clock)
    if first.phase != "COMPLETED":
        print(f"\nslipway demo: the good version ended {first.phase}, not COMPLETED: "
              f"{first.last_reason}", file=sys.stderr)
        return 1

    # 5. A bad version ---------------------------------------------------
    _header(5, "A bad version: 1.2.0 from a new training pipeline that dropped the "
               "missing-value imputation")
    with store.start_run(EXPERIMENT, "pipeline-v2", params={
            "features": ",".join(D.FEATURES), "lr": 0.5, "l2": 1e-3, "steps": steps,
            "impute": False}, tags={"team": "risk", "dataset": dataset.name}) as run:
        model, losses = D.train(x[:cut], y[:cut], D.FEATURES, 0.5, 1e-3, steps,
                                impute=False)
        acc = D.accuracy(model.score(x[cut:]), y[cut:])
        run.log_metric_array("train_loss", losses)
        run.log_metric("val_accuracy", acc, step=steps)
        path = model_dir / "pipeline-v2" / "model.txt"
        path.parent.mkdir()
        model.write(path)
    store.register_model_version(MODEL, "1.2.0", run=run, artifacts=[path],
                                 datasets=[str(dataset)])
    store.record_validation(MODEL, "1.2.0", environment="staging",
                            checks={"accuracy": acc, "bias_gap": 0.01}, passed=True)
    store.set_approval(MODEL, "1.2.0", "Approved", actor=APPROVERS["platform-lead"],
                       role="platform-lead")
    store.record_pipeline_run(serving.ENDPOINT, True, True, details={"rows": rows})
    print(f"   offline it looks fine: val accuracy {acc:.3f} on the training data, "
          "which has no gaps;")
    print(f"   in production merchant_risk is missing in {missing_rate:.0%} of "
          "requests, and 1.2.0 answers those with NaN (an error)")
    rollout = store.deploy(MODEL, "1.2.0", endpoint=serving.ENDPOINT,
                           change_ticket="FRAUD-2026-1077", **DEPLOYER)
    timeline.say(_ms(clock), "deployed 1.2.0 (change ticket FRAUD-2026-1077); rollback "
                             "plan: back to 1.1.0")
    second = _follow(rollout, service, timeline, clock)
    routing = store.routing(serving.ENDPOINT)
    if second.phase != "ROLLED_BACK" or routing.stable_version != "1.1.0":
        print(f"\nslipway demo: the bad version ended {second.phase}, not ROLLED_BACK: "
              f"{second.last_reason}", file=sys.stderr)
        return 1
    print(f"   {serving.ENDPOINT} serves {routing.stable_version} again; users never "
          "saw 1.2.0's answers (the shadow stage only mirrors)")

    # 6. Audit -----------------------------------------------------------
    records = list(store.audit_log())
    store.verify_audit_log()
    _header(6, f"Audit: {len(records)} records, hash chain verified")
    for r in records:
        if r.command.startswith("rollout.") and r.outcome == "success":
            print(f"   {r.timestamp[:16].replace('T', ' ')}  {r.command:<18} {r.user:<20} "
                  f"{r.model_version:<7} {r.reason}")

    elapsed = time.monotonic() - began
    print(f"\nDone in {elapsed:.1f} s of real time. Where to look next:")
    cli = f"slipway --store {store_path}"
    print(f"   {cli} runs list --experiment {EXPERIMENT}")
    print(f"   {cli} models lineage {MODEL} 1.1.0")
    print(f"   {cli} rollouts status {second.id}")
    print(f"   {cli} audit tail")
    print("   docs/tracking.md, docs/rollouts.md, docs/serving.md; "
          "examples/serving/ for the C++ service")
    return 0


def _ms(clock) -> int:
    return int(clock.now().timestamp() * 1000)


def _service(args, store, store_path, work, rps, missing_rate):
    from . import serving

    choice = args.service
    binary = None
    if choice == "auto":
        binary = serving.find_cpp_service()
    elif choice != "python":
        binary = pathlib.Path(choice)
        if not binary.is_file():
            print(f"slipway demo: no service at {binary}", file=sys.stderr)
            return None
    if binary is not None:
        return serving.CppService(binary, store_path, work / "service", rps,
                                  missing_rate, args.seed, "production")
    return serving.PythonService(store, work / "service", rps, missing_rate,
                                 args.seed, MODEL)


def _follow(rollout, service, timeline, clock):
    """Serves until the rollout ends or halts, approving awaited stages as
    the named people would."""
    timeline.track(rollout.status())
    for _ in range(50):
        for line in service.serve(clock, max_minutes=2_000):
            timeline.feed(line)
        st = rollout.status()
        if not st.active or st.phase == "HALTED":
            timeline.flush()
            return st
        if st.phase == "AWAITING_APPROVAL":
            drift = ", ".join(
                f"{d.feature} {d.verdict}" + (f" ({d.sigma:+.1f} sigma)" if d.sigma == d.sigma else "")
                for d in st.readings.drift) if st.readings else ""
            if drift:
                timeline.note(f"drift check: {drift}")
            role = st.state["plan"]["stages"][st.stage_index]["approval_role"]
            actor = APPROVERS[role]
            st = rollout.approve(st.stage, actor=actor, role=role)
            timeline.say(_ms(clock), f"==> approved by {actor} ({role}): stage {st.stage} "
                                     f"({st.candidate_weight:.0%} of traffic)")
            timeline.track(st)
    raise RuntimeError(f"rollout {rollout.id} did not end: {rollout.status()}")

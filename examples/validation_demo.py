#!/usr/bin/env python3
"""Validates sample inputs against SPEC.md §1 and prints the verdicts.

    python3 examples/validation_demo.py                 # the built-in samples
    python3 examples/validation_demo.py my_inputs.json  # your own
    python3 examples/validation_demo.py --json          # machine-readable

Each input is {"kind": <validator name>, "value": ..., "environment": ...};
the kinds are the functions of slipway.validate. Exit code 0 when the run
completed (rejections are expected), 2 on a bad input file.
"""

import argparse
import json
import pathlib
import sys

import slipway as sw

HERE = pathlib.Path(__file__).resolve().parent


def check(item):
    kind, value = item["kind"], item["value"]
    fn = getattr(sw.validate, kind, None)
    if fn is None or kind.startswith("_") or kind == "Policy":
        raise SystemExit(f"unknown kind {kind!r}; use one of {sw.validate.__all__[1:]}")
    try:
        if kind == "model_version":
            fn(value, environment=item.get("environment"))
        else:
            fn(value)
    except sw.ValidationError as e:
        return {"ok": False, "reason": e.reason, "message": str(e), "fix": e.fix}
    return {"ok": True}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="?", default=str(HERE / "sample_inputs.json"))
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    args = parser.parse_args(argv)
    try:
        items = json.loads(pathlib.Path(args.inputs).read_text(encoding="utf-8"))["inputs"]
    except (OSError, ValueError, KeyError) as e:
        print(f"error: cannot read inputs from {args.inputs}: {e}", file=sys.stderr)
        return 2

    print(f"slipway {sw.__version__}: validating {len(items)} inputs against SPEC.md §1\n")
    accepted = 0
    for item in items:
        verdict = check(item)
        accepted += verdict["ok"]
        if args.json:
            print(json.dumps({**item, **verdict}, ensure_ascii=False))
            continue
        where = f" [{item['environment']}]" if "environment" in item else ""
        mark = "ACCEPT" if verdict["ok"] else "REJECT"
        print(f"{mark}  {item['kind']:<14} {item['value']!r}{where}")
        if not verdict["ok"]:
            # The message already quotes the value, names the rule and
            # shows a valid example; print its parts on their own lines.
            problem = verdict["message"].split(". Rule: ")[0].split(": ", 1)[-1]
            print(f"        why:  {problem}")
            print(f"        code: {verdict['reason']}")
            print(f"        fix:  {verdict['fix']}")
    print(f"\n{accepted} accepted, {len(items) - accepted} rejected.")
    print("Next: docs/validation.md lists every rule; README.md shows how to run the tests.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``slipway audit``: tail, export and verify the audit log (SPEC §6)."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from . import fmt

# The most records one audit_log() call returns (its default limit).
PAGE = 100_000


def register(nouns, parents) -> None:
    p = nouns.add_parser("audit", help="the audit log: tail, export, verify",
                         description="The append-only, hash-chained audit log (docs/audit.md).")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    t = verbs.add_parser("tail", parents=parents, help="the newest records")
    t.add_argument("-n", "--lines", type=_count, default=20, metavar="N",
                   help="how many records (default 20; 0: all)")
    t.add_argument("--since", metavar="TIME",
                   help="only records at or after TIME (RFC 3339, e.g. 2026-01-01T00:00:00Z)")
    t.set_defaults(func=cmd_tail)

    e = verbs.add_parser("export", parents=parents, help="write the records as JSON lines")
    e.add_argument("path", metavar="PATH", help="the file to write (replaced atomically)")
    e.add_argument("--since", metavar="TIME", help="only records at or after TIME (RFC 3339)")
    e.set_defaults(func=cmd_export)

    v = verbs.add_parser("verify", parents=parents,
                         help="check the hash chain (exit 3 when it is broken)")
    v.set_defaults(func=cmd_verify)


def _count(text: str) -> int:
    import argparse

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {n}")
    return n


def all_records(store, since: Optional[str]) -> List[Any]:
    """Every record from ``since`` on, oldest first. ``audit_log`` returns at
    most PAGE records from a time on, so longer logs are read page by page,
    each page starting at the previous page's last millisecond (records of
    that millisecond already read are skipped by seq)."""
    records = store.audit_log(since=since, limit=PAGE)
    if len(records) < PAGE:
        return records
    while True:
        last = records[-1]
        page = store.audit_log(since=fmt.iso_json(last.timestamp_ms), limit=PAGE)
        fresh = [r for r in page if r.seq > last.seq]
        records.extend(fresh)
        if len(page) < PAGE or not fresh:
            return records


def record_doc(r) -> Dict[str, Any]:
    return r.to_dict()


def cmd_tail(ctx) -> int:
    records = all_records(ctx.store, ctx.args.since)
    n = ctx.args.lines
    if n:
        records = records[-n:]
    doc = {"records": [record_doc(r) for r in records]}

    def human(out):
        if not records:
            out.write("no audit records\n")
            return
        rows = []
        for r in records:
            resource = r.resource_name or "-"
            if r.model_version:
                resource += f" {r.model_version}"
            rows.append([r.seq, fmt.iso(r.timestamp_ms), r.user, r.environment, r.command,
                         resource, r.outcome, r.reason or "-"])
        fmt.table(["SEQ", "TIME", "USER", "ENV", "COMMAND", "RESOURCE", "OUTCOME", "REASON"],
                  rows, out, right=[0])

    ctx.emit(doc, human)
    return 0


def cmd_export(ctx) -> int:
    path = ctx.args.path
    n = ctx.store.export_audit_log(path, since=ctx.args.since)
    doc = {"path": os.path.abspath(path), "records": n}
    ctx.emit(doc, lambda out: out.write(f"exported {n} audit records to {path}\n"))
    return 0


def cmd_verify(ctx) -> int:
    import slipway as sw

    from . import EXIT_TAMPERED, PROG

    try:
        ctx.store.verify_audit_log()
    except sw.StoreError as e:
        if e.reason != "AUDIT_CHAIN_BROKEN":
            raise
        first_bad = e.value
        try:
            first_bad = int(first_bad)
        except (TypeError, ValueError):
            pass
        doc = {"ok": False, "reason": e.reason, "first_bad_seq": first_bad,
               "message": e.message}

        def human(out):
            out.write(f"audit log BROKEN: first bad record seq {first_bad}\n")

        ctx.emit(doc, human)
        ctx.err.write(f"{PROG}: error: audit log tampered with or damaged: {e.message}\n"
                      f"{PROG}: reason: {e.reason} ({e.code})\n")
        return EXIT_TAMPERED
    records = all_records(ctx.store, None)
    doc = {"ok": True, "records": len(records),
           "last_seq": records[-1].seq if records else None,
           "last_hash": records[-1].hash if records else None}

    def human(out):
        if records:
            out.write(f"audit log OK: {len(records)} records, hash chain intact "
                      f"(last seq {records[-1].seq}, hash {records[-1].hash[:16]}...)\n")
        else:
            out.write("audit log OK: no records yet\n")

    ctx.emit(doc, human)
    return 0

"""The ``slipway`` command line (docs/cli.md).

::

    slipway runs list --experiment fraud --order-by "metrics.acc DESC"
    slipway models show fraud-detection 2.4.1
    slipway rollouts status 0f3c...
    slipway stop on --reason "incident 42"
    slipway audit verify

Installed as the ``slipway`` console script; ``python -m slipway`` is the
same. :func:`main` takes the arguments and returns the exit code:

==  ===========================================================================
0   success
1   slipway refused or failed the operation (a :class:`slipway.Error`: a gate,
    the emergency stop, a missing run/model/rollout, an invalid value, ...)
2   a usage error (unknown command or option, a missing argument), or no
    store at the given location
3   ``audit verify`` found the hash chain broken (tampering or damage)
70  an unexpected error: a bug in slipway (a traceback is printed)
130 interrupted (Ctrl-C)
141 stdout was closed early (``slipway audit tail | head -1``)
==  ===========================================================================

Results go to stdout (a table, or one JSON document with ``--json``);
errors go to stderr, with the error's reason code. This package uses only
slipway's public Python API.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from typing import Any, Callable, List, Optional, Sequence, TextIO

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE",
           "EXIT_TAMPERED", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_BROKEN_PIPE"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TAMPERED = 3
EXIT_INTERNAL = 70  # EX_SOFTWARE (sysexits.h)
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE

PROG = "slipway"


class CliError(Exception):
    """An error of the command line itself (not of slipway's core): printed
    as ``slipway: error: <message>`` with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE, *,
                 reason: str = "USAGE") -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.reason = reason


def _is_plain_file_location(uri: str) -> Optional[str]:
    """The file a store URI names, or None when it names no local file
    (``:memory:``, another scheme). Mirrors the store's own URI rules
    (``sqlite:///abs``, ``sqlite://rel``, any text without ``://``)."""
    if uri in (":memory:", "sqlite://:memory:"):
        return None
    if uri.startswith("sqlite://"):
        path = uri[len("sqlite://"):]
        return path or None
    if "://" in uri:
        return None
    return uri


def resolve_store_uri(option: Optional[str]) -> str:
    """``--store``, else ``$SLIPWAY_STORE``, else ``slipway.db`` (as
    :func:`slipway.default_store`)."""
    from ..store import DEFAULT_URI, ENV_VAR

    return option or os.environ.get(ENV_VAR) or DEFAULT_URI


class Context:
    """What a command needs: the parsed arguments, the store (opened on
    first use, never created), the output streams and the output mode."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        self.args = args
        self.out = out
        self.err = err
        self.json: bool = bool(getattr(args, "json", False))
        self.actor: Optional[str] = getattr(args, "actor", None)
        self.store_uri = resolve_store_uri(getattr(args, "store", None))
        self._store = None

    @property
    def store(self):
        """The store at ``store_uri``. A file that does not exist is not
        created: CliError "no store at PATH" (exit 2)."""
        if self._store is None:
            import slipway as sw

            path = _is_plain_file_location(self.store_uri)
            if path is not None:
                if not os.path.exists(path):
                    raise CliError(
                        f"no store at {path} (give --store PATH or set $SLIPWAY_STORE; "
                        "a store is created by the Python API, e.g. sw.open(PATH))",
                        reason="STORE_NOT_FOUND")
                if os.path.isdir(path):
                    raise CliError(f"no store at {path}: it is a directory",
                                   reason="STORE_NOT_FOUND")
            try:
                self._store = sw.open(self.store_uri)
            except sw.ValidationError as e:
                if e.reason == "STORE_URI_INVALID":
                    raise CliError(str(e), reason=e.reason) from None
                raise
        return self._store

    def emit(self, doc: Any, human: Callable[[TextIO], None]) -> None:
        """Writes the result: ``doc`` as JSON with --json, else ``human``."""
        from . import fmt

        if self.json:
            fmt.dump_json(doc, self.out)
        else:
            human(self.out)


# --- the parser ----------------------------------------------------------------------


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The options every command takes, before or after the command
    (``slipway --json runs list`` = ``slipway runs list --json``). On the
    commands' parsers their defaults are suppressed so they do not override
    a value given before the command."""
    default = (lambda value: argparse.SUPPRESS) if suppress else (lambda value: value)
    g = parser.add_argument_group("global options")
    g.add_argument("--store", metavar="URI", default=default(None),
                   help="the store: a file path or sqlite:///abs/path "
                        "(default: $SLIPWAY_STORE, else ./slipway.db)")
    g.add_argument("--json", action="store_true", default=default(False),
                   help="write one JSON document to stdout instead of tables")
    g.add_argument("--actor", metavar="NAME", default=default(None),
                   help="who acts, recorded in the audit log "
                        "(default: $SLIPWAY_ACTOR, else $USER)")


class _Parser(argparse.ArgumentParser):
    """argparse with our exit code for usage errors (2, as argparse's)."""

    def error(self, message: str):  # noqa: D401 - argparse's signature
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree."""
    import slipway as sw

    from . import audit, models, rollouts, runs, stop

    parser = _Parser(
        prog=PROG,
        description="slipway: experiment tracking, a model registry and guarded "
                    "rollouts, from the command line (docs/cli.md).",
        epilog="exit codes: 0 ok, 1 refused or failed, 2 usage or no store, "
               "3 audit chain broken, 70 internal error, 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {sw.__version__}")
    _global_options(parser, suppress=False)

    common = _Parser(add_help=False)
    _global_options(common, suppress=True)

    nouns = parser.add_subparsers(dest="noun", metavar="COMMAND", parser_class=_Parser)
    nouns.required = True
    for module in (runs, models, rollouts, stop, audit):
        module.register(nouns, [common])

    demo = nouns.add_parser(
        "demo", add_help=False, help="run the guided demo (arguments go to slipway.demo)",
        description="Runs slipway.demo.main(ARGS); every argument after 'demo' is its own.",
    )
    demo.set_defaults(func=_demo, forward=True)
    return parser


def _demo(ctx: Context) -> int:
    import importlib

    # Imported only now: the demo is optional and may be missing.
    try:
        demo = importlib.import_module("slipway.demo")
    except ModuleNotFoundError as e:
        if e.name != "slipway.demo":
            raise
        raise CliError("the demo is not available: this slipway has no slipway.demo module",
                       EXIT_FAILED, reason="DEMO_UNAVAILABLE") from None
    rc = demo.main(list(ctx.args.forwarded))
    return EXIT_OK if rc is None else int(rc)


# --- errors --------------------------------------------------------------------------


def error_doc(e: Exception) -> dict:
    """The JSON form of a slipway error (written to stderr with --json)."""
    return {
        "error": {
            "type": type(e).__name__,
            "code": getattr(e, "code", ""),
            "reason": getattr(e, "reason", ""),
            "message": getattr(e, "message", str(e)),
            "rule": getattr(e, "rule", ""),
            "value": getattr(e, "value", None),
            "fix": getattr(e, "fix", ""),
        }
    }


def report_error(ctx_json: bool, e: Exception, err: TextIO) -> None:
    """``slipway: error: <message>`` and the reason code (with the fix when
    the message does not already say it); with --json, a JSON document."""
    from . import fmt

    if ctx_json:
        fmt.dump_json(error_doc(e), err)
        return
    message = getattr(e, "message", None) or str(e)
    err.write(f"{PROG}: error: {message}\n")
    reason = getattr(e, "reason", "")
    code = getattr(e, "code", "")
    if reason or code:
        err.write(f"{PROG}: reason: {reason or code}" + (f" ({code})" if reason and code else "") + "\n")
    fix = getattr(e, "fix", "")
    if fix and fix not in message:
        err.write(f"{PROG}: fix: {fix}\n")
    if reason == "EMERGENCY_STOP_ACTIVE":
        err.write(f"{PROG}: hint: from the command line: {PROG} stop status; {PROG} stop off\n")


# --- main ----------------------------------------------------------------------------


def main(argv: Optional[Sequence[str]] = None, *, stdout: Optional[TextIO] = None,
         stderr: Optional[TextIO] = None) -> int:
    """Runs the command line with ``argv`` (default ``sys.argv[1:]``) and
    returns the exit code (module docstring). Never raises for a slipway
    error or a usage error."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    json_mode = "--json" in argv
    try:
        import slipway as sw

        parser = build_parser()
        try:
            args, extra = parser.parse_known_args(argv)
        except SystemExit as e:  # --help and --version (0), usage errors (2)
            if e.code in (0, None):
                return EXIT_OK
            return e.code if isinstance(e.code, int) else EXIT_USAGE
        if getattr(args, "forward", False):
            args.forwarded = extra
        elif extra:
            try:
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
            except SystemExit as e:
                return int(e.code)
        ctx = Context(args, out, err)
        json_mode = ctx.json
        try:
            return args.func(ctx)
        except sw.Error as e:
            report_error(json_mode, e, err)
            return EXIT_FAILED
        except CliError as e:
            if json_mode:
                report_error(True, e, err)
            else:
                err.write(f"{PROG}: error: {e}\n")
            return e.exit_code
    except KeyboardInterrupt:
        err.write(f"\n{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly. Point stdout at
        # /dev/null so the interpreter's final flush does not fail again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_BROKEN_PIPE
    except Exception:  # noqa: BLE001 - a bug: say so, with the traceback
        traceback.print_exc(file=err)
        err.write(f"{PROG}: internal error (a bug in slipway; please report it with the "
                  "traceback above)\n")
        return EXIT_INTERNAL

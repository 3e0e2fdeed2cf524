"""The `posttool` command. `posttool run` takes a fast path that imports neither argparse nor
any subcommand: it is started once per tool call, and every import is paid every time."""

from __future__ import annotations

import gc
import os
import sys

# `run` arguments that are meant for the full CLI (benchmarking, help); anything else unknown
# is logged and ignored, because a hook that exits 2 is shown to the model as a blocking error.
CLI_RUN_ARGS = ("--bench", "--event", "--json", "--help", "-h")
_unknown_run_args: list[str] = []


def parse_run_args(args: list[str]) -> str | bool | None:
    """The `--home` of `run [--home DIR]`; False when the arguments need the full CLI.

    Unknown arguments are kept in `_unknown_run_args` for the log, not refused.
    """
    home: str | None = None
    unknown = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--home" and i + 1 < len(args):
            home = args[i + 1]
            i += 2
            continue
        if arg.startswith("--home="):
            home = arg.split("=", 1)[1]
        elif arg.split("=", 1)[0] in CLI_RUN_ARGS:
            return False
        else:
            unknown.append(arg)
        i += 1
    _unknown_run_args[:] = unknown
    return home


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if is_fast_run(args):
        # perf: a `run` process lives for one call and leaves few cycles behind; the collector
        # woke during the hook modules' import and scanned every object made so far (~1–2 ms).
        gc.disable()
        from posttool.lib.fast.importer import install

        install()  # perf: posttool's own modules by a shorter path (a Read imports ~30)
        from posttool.runner.stdio import run_fast

        home = parse_run_args(args[1:])
        return run_fast(home if isinstance(home, str) and home else None, _unknown_run_args)
    from posttool.cli.cli import main as cli_main

    return cli_main(args)


def is_fast_run(args: list[str]) -> bool:
    return args[:1] == ["run"] and parse_run_args(args[1:]) is not False


def entry() -> None:
    """The console script and `python -m posttool`."""
    args = sys.argv[1:]
    code = main(args)
    if is_fast_run(args):
        # The answer is written and every file is closed; interpreter teardown would cost
        # ~3 ms on every tool call for nothing.
        os._exit(code)
    raise SystemExit(code)


if __name__ == "__main__":
    entry()

"""The `posttool` command. `posttool run` takes a fast path that imports neither argparse nor
any subcommand: it is started once per tool call, and every import is paid every time."""

from __future__ import annotations

import os
import sys


class _LogStream:
    """Stands in for stderr during `run`: nothing may reach the agent's terminal."""

    def write(self, text: str) -> int:
        if text.strip():
            from posttool.lib.log import log

            log(f"stderr: {text.rstrip()}")
        return len(text)

    def flush(self) -> None:
        pass


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


def run_fast(home_arg: str | None) -> int:
    sys.stderr = _LogStream()
    out = "{}"
    try:
        from posttool.lib.paths import resolve_home
        from posttool.runner.run import handle

        data = sys.stdin.buffer.read()
        home = resolve_home(home_arg)
        out = handle(data, home=home)
        if _unknown_run_args:
            _log_unknown_args(home)
    except BaseException:
        out = "{}"
    try:
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    return 0


def _log_unknown_args(home: str) -> None:
    from posttool.lib import log as logging_

    logging_.configure(home)
    logging_.log(f"run: ignored unknown argument(s) {' '.join(_unknown_run_args)!r}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if is_fast_run(args):
        return run_fast(parse_run_args(args[1:]) or None)
    from posttool.runner.cli import main as cli_main

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

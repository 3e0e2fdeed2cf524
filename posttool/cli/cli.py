"""The `posttool` command line (everything but the fast `run` path): the entry point.

Every subcommand takes `--home DIR` (else $POSTTOOL_HOME, else the platform's data folder).
A bad argument prints one line on stderr and exits 2; a failure the user can fix prints one
line and exits 1; tracebacks are for bugs only.
"""

from __future__ import annotations

import os
import sys

from posttool.cli.handlers import UsageError
from posttool.cli.parser import build_parser
from posttool.cli.terminal import CliError, print_error


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit code (argv excludes the program name)."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except UsageError as exc:
        print_error(str(exc))
        return 2
    except CliError as exc:
        print_error(str(exc))
        return exc.code
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `posttool state list | head`
        _silence_stdout()
        return 0


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass

"""The `posttool` parser class and the options several subcommands share."""

from __future__ import annotations

import argparse

from posttool.cli.handlers import UsageError


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (`posttool: error: ...`) and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0 or value != value:
        raise argparse.ArgumentTypeError(f"{text} must be 0 or more")
    return value


def home_option() -> Parser:
    """`--home` on every subcommand; SUPPRESS keeps a top-level `--home` from being reset."""
    parent = Parser(add_help=False)
    parent.add_argument(
        "--home",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="posttool's data folder (default: $POSTTOOL_HOME, else the "
        "platform's user data folder)",
    )
    return parent


def json_option(parser: argparse.ArgumentParser, what: str = "print JSON for machines") -> None:
    parser.add_argument("--json", action="store_true", help=what)


def add_version_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--claude-version",
        metavar="X.Y.Z",
        help="the Claude Code version the hooks run under (default: what `claude --version` "
        "prints); decides whether PostToolUseFailure may be named",
    )

"""What the CLI prints: plain text unless the stream is a terminal and NO_COLOR is unset, and
one boundary error type for mistakes a user can fix."""

from __future__ import annotations

import os
import sys
from typing import TextIO

CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


class CliError(Exception):
    """A user-facing failure: printed as one line on stderr, never as a traceback."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def wants_color(stream: TextIO, environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """https://no-color.org: any non-empty NO_COLOR turns colour off; so does a non-terminal."""
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Style:
    """Wraps text in ANSI codes when colour is wanted, else returns it unchanged."""

    def __init__(self, color: bool) -> None:
        self.color = color

    @classmethod
    def for_stream(cls, stream: TextIO) -> Style:
        return cls(wants_color(stream))

    def paint(self, text: str, *names: str) -> str:
        if not self.color or not names:
            return text
        codes = ";".join(CODES[name] for name in names)
        return f"\033[{codes}m{text}\033[0m"

    def bold(self, text: str) -> str:
        return self.paint(text, "bold")

    def dim(self, text: str) -> str:
        return self.paint(text, "dim")

    def ok(self, text: str) -> str:
        return self.paint(text, "green")

    def warn(self, text: str) -> str:
        return self.paint(text, "yellow")

    def bad(self, text: str) -> str:
        return self.paint(text, "red", "bold")


def print_error(message: str, stream: TextIO | None = None) -> None:
    """`posttool: error: <message>` as a single line."""
    stream = sys.stderr if stream is None else stream
    line = " ".join(message.split("\n"))
    stream.write(f"posttool: error: {line}\n")
    stream.flush()


def table(
    rows: list[list[str]],
    style: Style,
    header: list[str] | None = None,
    right: frozenset[int] = frozenset(),
) -> list[str]:
    """Rows aligned in columns; `right` holds the indexes of right-aligned (numeric) columns."""
    everything = ([header] if header else []) + rows
    if not everything:
        return []
    widths = [max(len(row[i]) for row in everything) for i in range(len(everything[0]))]

    def line(row: list[str]) -> str:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    lines = [style.bold(line(header))] if header else []
    lines.extend(line(row) for row in rows)
    return lines


def human_age(seconds: float) -> str:
    """`45s`, `12m`, `3h`, `2d` (never negative)."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"

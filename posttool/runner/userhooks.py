"""Hooks that are not built in: their registration problems, reported once.

Loading the user's plug-ins and command hooks lives in `plugins.py` and `commandhooks.py`;
this module holds what `run` needs when anything went wrong, so a clean registry imports
nothing from here.
"""

from __future__ import annotations

import os

from posttool.lib.log import log

REPORTED_NAME = ".hooks-reported"  # the problems already written to the log, one per line


def report_problems(home: str, problems: list[str]) -> None:
    """Log each registration problem once per distinct set of problems: a broken plug-in
    would otherwise write the same line on every tool call."""
    text = "\n".join(problems)
    marker = os.path.join(home, REPORTED_NAME)
    try:
        with open(marker, encoding="utf-8") as handle:
            if handle.read() == text:
                return
    except (OSError, ValueError):
        pass
    for problem in problems:
        log(f"hooks: {problem}")
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, text.encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except OSError:
        pass

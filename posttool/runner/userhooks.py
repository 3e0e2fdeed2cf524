"""Hooks that are not built in: their registration problems, reported once.

Loading the user's plug-ins and command hooks lives in `plugins.py` and `commandhooks.py`;
this module holds what `run` needs when anything went wrong, so a clean registry imports
nothing from here.
"""

from __future__ import annotations

from posttool.lib.config import first_report
from posttool.lib.log import log

REPORTED_NAME = ".hooks-reported"  # the problems already written to the log, one per line


def report_problems(home: str, problems: list[str]) -> None:
    """Log each registration problem once per distinct set of problems: a broken plug-in
    would otherwise write the same line on every tool call."""
    # the marker holds UTF-8: a lone surrogate (an odd path, an exception's text) becomes `?`
    text = "\n".join(problems).encode("utf-8", "replace").decode("utf-8")
    if first_report(home, REPORTED_NAME, text):
        for problem in problems:
            log(f"hooks: {problem}")

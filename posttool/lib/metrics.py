"""The metrics log: one small JSON line per call, in both modes (`run` and `serve`), read back by
`posttool stats`. The writer is `posttool.lib.log.CallRecorder` (the hot path imports no
module of its own for it); this module holds what the sweep and `stats` need.

`<home>/metrics.jsonl` is appended with one `write` (O_APPEND, so lines from parallel processes
never interleave); past `metrics.max_bytes` it is renamed to `metrics.jsonl.1`, replacing the
previous one, so the log never holds more than twice that. The daily sweep removes files whose
every record is older than `state.session_ttl_days`.
"""

from __future__ import annotations

import os

METRICS_NAME = "metrics.jsonl"
ROTATED_SUFFIX = ".1"
DAY = 86400.0


def metrics_paths(home: str) -> list[str]:
    """The rotated file first, then the live one: oldest records first."""
    live = os.path.join(home, METRICS_NAME)
    return [live + ROTATED_SUFFIX, live]


def prune(home: str, now: float, ttl_days: float) -> list[str]:
    """Remove metrics files not written to for `ttl_days` (all their records are older)."""
    removed = []
    for path in metrics_paths(home):
        try:
            if now - os.stat(path).st_mtime >= ttl_days * DAY:
                os.unlink(path)
                removed.append(path)
        except OSError:
            continue
    return removed

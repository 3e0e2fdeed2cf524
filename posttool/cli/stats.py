"""`posttool stats`: what posttool did over time, from the metrics log (both modes).

Per hook: calls (runs), how often it spoke, the characters of its messages, p50/p95 ms,
failures (it raised), rollbacks (its state changes undone: failures and budget overruns) and
suspensions. Per tool: calls and p50/p95 of the whole call.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any, TextIO

from posttool.cli.terminal import CliError, Style, table
from posttool.lib.metrics import metrics_paths
from posttool.lib.paths import session_key

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> float:
    """`90s`, `30m`, `12h`, `1d`, `2w` (a bare number is days) in seconds."""
    text = text.strip().lower()
    unit = text[-1:] if text[-1:] in UNITS else "d"
    number = text[:-1] if text[-1:] in UNITS else text
    try:
        value = float(number)
    except ValueError:
        raise CliError(f"--since {text!r}: use a number and a unit, e.g. 30m, 12h, 1d", 2) from None
    if not math.isfinite(value) or value <= 0:
        raise CliError(f"--since {text!r}: must be more than 0", 2)
    return value * UNITS[unit]


def read_records(home: str) -> list[dict[str, Any]]:
    """Every readable record, oldest first; a torn or foreign line is skipped."""
    records = []
    for path in metrics_paths(home):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.readlines()
        except OSError:
            continue
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("t"), (int, float)):
                records.append(record)
    return records


def select(
    records: list[dict[str, Any]], since_s: float | None, session: str | None, now: float
) -> list[dict[str, Any]]:
    if since_s is not None:
        records = [r for r in records if r["t"] >= now - since_s]
    if session:
        keys = session_keys(records, session)
        records = [r for r in records if r.get("s") in keys]
    return records


def session_keys(records: list[dict[str, Any]], wanted: str) -> set[str]:
    """The session a `--session` names: its id (as a key), else a unique prefix of one."""
    keys = {str(r["s"]) for r in records if isinstance(r.get("s"), str)}
    exact = session_key(wanted)
    if exact in keys:
        return {exact}
    matches = {k for k in keys if k.startswith(wanted)}
    if len(matches) > 1:
        shown = ", ".join(sorted(matches)[:5])
        raise CliError(f"--session {wanted!r} matches {len(matches)} sessions: {shown}", 2)
    return matches


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    hooks: dict[str, dict[str, Any]] = {}
    tools: dict[str, list[float]] = {}
    modes: dict[str, int] = {}
    for record in records:
        tools.setdefault(str(record.get("tool", "?")), []).append(_number(record.get("ms")))
        mode = str(record.get("mode", "run"))
        modes[mode] = modes.get(mode, 0) + 1
        spoke: dict[str, Any] = _mapping(record.get("spoke"))
        timings: dict[str, Any] = _mapping(record.get("hooks"))
        for name, ms in timings.items():
            row = hooks.setdefault(
                name,
                {"ms": [], "spoke": 0, "chars": 0, "failures": 0, "rollbacks": 0, "suspensions": 0},
            )
            row["ms"].append(_number(ms))
            if name in spoke:
                row["spoke"] += 1
                row["chars"] += int(_number(spoke[name]))
            failed = name in (record.get("failed") or ())
            overran = name in (record.get("overran") or ())
            row["failures"] += failed
            row["rollbacks"] += failed or overran
            row["suspensions"] += name in (record.get("suspended") or ())
    return {
        "records": len(records),
        "first": records[0]["t"] if records else None,
        "last": records[-1]["t"] if records else None,
        "modes": modes,
        "hooks": {name: _hook_row(row) for name, row in sorted(hooks.items())},
        "tools": {
            name: {
                "calls": len(ms),
                "p50_ms": round(percentile(ms, 50), 3),
                "p95_ms": round(percentile(ms, 95), 3),
            }
            for name, ms in sorted(tools.items())
        },
    }


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _hook_row(row: dict[str, Any]) -> dict[str, Any]:
    calls = len(row["ms"])
    return {
        "calls": calls,
        "spoke": row["spoke"],
        "spoke_pct": round(100 * row["spoke"] / calls, 1) if calls else 0.0,
        "chars": row["chars"],
        "p50_ms": round(percentile(row["ms"], 50), 3),
        "p95_ms": round(percentile(row["ms"], 95), 3),
        "failures": row["failures"],
        "rollbacks": row["rollbacks"],
        "suspensions": row["suspensions"],
    }


def report_lines(summary: dict[str, Any], style: Style) -> list[str]:
    if not summary["records"]:
        return ["no calls recorded yet (or none in the range asked for)"]
    first = time.strftime("%Y-%m-%d %H:%M", time.localtime(summary["first"]))
    last = time.strftime("%Y-%m-%d %H:%M", time.localtime(summary["last"]))
    modes = ", ".join(f"{n} {mode}" for mode, n in sorted(summary["modes"].items()))
    lines = [f"{summary['records']} call(s) from {first} to {last} ({modes})", ""]
    hook_rows = [
        [
            name,
            str(row["calls"]),
            f"{row['spoke_pct']:.1f}",
            str(row["chars"]),
            f"{row['p50_ms']:.3f}",
            f"{row['p95_ms']:.3f}",
            str(row["failures"]),
            str(row["rollbacks"]),
        ]
        for name, row in summary["hooks"].items()
    ]
    lines += table(
        hook_rows,
        style,
        ["HOOK", "CALLS", "SPOKE %", "CHARS", "P50 MS", "P95 MS", "FAILURES", "ROLLBACKS"],
        right=frozenset(range(1, 8)),
    )
    tool_rows = [
        [name, str(row["calls"]), f"{row['p50_ms']:.2f}", f"{row['p95_ms']:.2f}"]
        for name, row in summary["tools"].items()
    ]
    lines += [
        "",
        *table(tool_rows, style, ["TOOL", "CALLS", "P50 MS", "P95 MS"], right=frozenset({1, 2, 3})),
    ]
    return lines


def run_stats(home: str, since: str | None, session: str | None, as_json: bool, out: TextIO) -> int:
    since_s = parse_age(since) if since else None
    records = select(read_records(home), since_s, session, time.time())
    summary = summarise(records)
    if as_json:
        out.write(json.dumps({"home": home, "since": since, "session": session, **summary}) + "\n")
        return 0
    for line in report_lines(summary, Style.for_stream(out)):
        out.write(line + "\n")
    return 0

"""`posttool bench`: what posttool costs per tool call on this machine.

Two measurements, both in a temporary home and a temporary project (the user's state is never
read or written; their `config.json` is copied in so that disabled hooks stay disabled):
- in process: the events go through the real `handle()` N times; each hook's wall time is
  collected from dispatch's `on_timing`, plus the whole call.
- whole process: the hook command `install` writes (`<launcher> run --home <tmp>`) is started
  with an event on stdin, interleaved with the bare interpreter (`python -I -S -c pass`, same
  interpreter, same run), and the ratio of the medians is reported.

The bundled events are the real Claude Code payloads from tests/fixtures; their paths are
rewritten into the temporary project, whose files are written as each tool left them.
`benchmarks/run.py` (`make bench`) reuses these functions.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any, NamedTuple, TextIO

from posttool.cli.terminal import CliError, Style, table
from posttool.lib.schema import copy_json

EVENTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "events")
FIXTURE_PROJECT = "/home/dev/proj"
FIXTURE_HOME = "/home/dev"
FLOOR_ARGS = ("-I", "-S", "-c", "pass")
SESSION_ID = "posttool-bench"
WHOLE_CALL = "(whole call, in process)"

Event = tuple[str, dict[str, Any]]


# --- events ----------------------------------------------------------------------------------


def bundled_events() -> list[Event]:
    names = sorted(n for n in os.listdir(EVENTS_DIR) if n.endswith(".json"))
    return [(name, _load_json(os.path.join(EVENTS_DIR, name))) for name in names]


def _load_json(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def load_event_file(path: str) -> list[Event]:
    """A JSON object (one event), a JSON array of events, or JSON Lines."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read event file {path}: {exc}") from None
    name = os.path.basename(path)
    try:
        value = json.loads(text)
        values = value if isinstance(value, list) else [value]
    except ValueError:
        try:
            values = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as exc:
            raise CliError(f"{path} is neither JSON nor JSON Lines: {exc}") from None
    events = [(f"{name}#{i + 1}", v) for i, v in enumerate(values) if isinstance(v, dict)]
    if not events:
        raise CliError(f"{path} holds no event object")
    return events


def rewrite(value: Any, project: str, user_home: str) -> Any:
    """The fixture's paths moved into `project` (and its fake home into `user_home`)."""
    if isinstance(value, str):
        return value.replace(FIXTURE_PROJECT, project).replace(FIXTURE_HOME, user_home)
    if isinstance(value, dict):
        return {k: rewrite(v, project, user_home) for k, v in value.items()}
    if isinstance(value, list):
        return [rewrite(v, project, user_home) for v in value]
    return value


def file_after(event: dict[str, Any]) -> tuple[str, str] | None:
    """(path, content) of the file as the tool left it, for Write, Edit and whole-file Read."""
    tool = event.get("tool_name")
    tool_input = event.get("tool_input") or {}
    response = event.get("tool_response") or {}
    path = tool_input.get("file_path")
    if not isinstance(path, str) or not isinstance(response, dict):
        return None
    content = None
    if tool == "Write":
        content = tool_input.get("content")
    elif tool == "Edit" and isinstance(response.get("originalFile"), str):
        old, new = response.get("oldString", ""), response.get("newString", "")
        content = response["originalFile"].replace(old, new, 1)
    elif tool == "Read":
        file = response.get("file") or {}
        if file.get("startLine") == 1 and file.get("numLines") == file.get("totalLines"):
            content = file.get("content")
    return (path, content) if isinstance(content, str) else None


def materialise(event: dict[str, Any], project: str) -> None:
    """Write the file an event describes, only ever inside the temporary project."""
    found = file_after(event)
    if found is None:
        return
    path, content = found
    if not os.path.abspath(path).startswith(os.path.abspath(project) + os.sep):
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(content)


def with_fresh_id(event: dict[str, Any], run: int) -> bytes:
    """The event with a tool_use_id never seen before (else the runner skips it as a
    duplicate) and the bench's own session id."""
    event = dict(event)
    event["tool_use_id"] = f"toolu_bench_{run}_{time.monotonic_ns()}"
    event["session_id"] = SESSION_ID
    return json.dumps(event).encode()


class ServeBench(NamedTuple):
    """The warm-server half of `posttool bench --serve` (see `bench_serve`)."""

    measure: Callable[[list[Event], int, str, str], dict[str, Any]]
    report: Callable[[dict[str, Any]], list[str]]


class Workspace:
    """A temporary home and project; removed on exit."""

    def __init__(self, config_from: str | None = None) -> None:
        self.root = tempfile.mkdtemp(prefix="posttool-bench-")
        self.project = os.path.join(self.root, "proj")
        self.home = os.path.join(self.root, "home")
        os.makedirs(os.path.join(self.project, ".git"))
        os.makedirs(self.home, mode=0o700)
        self.config_copied = False
        if config_from and os.path.isfile(os.path.join(config_from, "config.json")):
            shutil.copyfile(
                os.path.join(config_from, "config.json"), os.path.join(self.home, "config.json")
            )
            self.config_copied = True

    def prepare(self, events: list[Event], bundled: bool) -> list[Event]:
        if not bundled:
            return events
        return [(name, rewrite(raw, self.project, self.root)) for name, raw in events]

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- measuring -------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def measure_in_process(
    events: list[Event], runs: int, home: str, project: str, bundled: bool
) -> dict[str, list[float]]:
    """{hook name: [ms per call]}, plus WHOLE_CALL; one untimed warm-up pass first (imports)."""
    from posttool.runner.run import handle

    timings: dict[str, list[float]] = {}

    def on_timing(name: str, ms: float) -> None:
        timings.setdefault(name, []).append(ms)

    for _name, raw in events:  # warm-up: imports and first-time folders, not counted
        if bundled:
            materialise(raw, project)
        handle(with_fresh_id(raw, -1), home=home)
    whole: list[float] = []
    for run in range(runs):
        for _name, raw in events:
            if bundled:
                materialise(raw, project)
            data = with_fresh_id(raw, run)
            start = time.perf_counter()
            handle(data, home=home, on_timing=on_timing)
            whole.append((time.perf_counter() - start) * 1000)
    timings[WHOLE_CALL] = whole
    return timings


def run_command(home: str) -> list[str]:
    """What `posttool install` writes: this interpreter with `-I -S` and a launcher (written
    into the bench's temporary `home`)."""
    from posttool.cli.launch_file import prefix, write_launcher

    return prefix(sys.executable, write_launcher(home))


def time_process(args: list[str], stdin: bytes, cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        args,
        input=stdin,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
        check=False,
    )
    return (time.perf_counter() - start) * 1000


def with_new_content(event: dict[str, Any], run: int) -> dict[str, Any]:
    """A Write of different bytes each run, so the lint cache cannot answer (a cold write)."""
    event = copy_json(event)
    content = f"{event['tool_input']['content']}\nBENCH_RUN = {run}\n"
    event["tool_input"]["content"] = content
    if isinstance(event.get("tool_response"), dict):
        event["tool_response"]["content"] = content
    return event


def process_cases(events: list[Event]) -> list[tuple[str, dict[str, Any], bool]]:
    """(label, event, new content each run): every event, plus a cold variant of `.py` writes."""
    cases = [(name, raw, False) for name, raw in events]
    for name, raw in events:
        path = str((raw.get("tool_input") or {}).get("file_path", ""))
        if raw.get("tool_name") == "Write" and path.endswith(".py"):
            cases.append((f"{name} (new content each run)", raw, True))
    return cases


def measure_case(
    raw: dict[str, Any], runs: int, command: list[str], project: str, bundled: bool, cold: bool
) -> tuple[list[float], list[float]]:
    """`runs` whole-process times of posttool on one event, each beside a bare interpreter."""
    floor_args = [sys.executable, *FLOOR_ARGS]
    posttool_ms: list[float] = []
    floor_ms: list[float] = []
    for run in range(runs):
        event = with_new_content(raw, run) if cold else raw
        if bundled:
            materialise(event, project)
        data = with_fresh_id(event, 10_000 + run)
        if run % 2:  # alternate who goes first, so neither always meets a warm cache
            floor_ms.append(time_process(floor_args, b"", project))
            posttool_ms.append(time_process(command, data, project))
        else:
            posttool_ms.append(time_process(command, data, project))
            floor_ms.append(time_process(floor_args, b"", project))
    return posttool_ms, floor_ms


def measure_process(
    events: list[Event], runs: int, home: str, project: str, bundled: bool
) -> dict[str, Any]:
    """Per event, `runs` starts of posttool interleaved with the bare interpreter; the ratio of
    the medians per event, and over all of them."""
    prefix = run_command(home)
    command = [*prefix, "run", "--home", home]
    rows = []
    all_posttool: list[float] = []
    all_floor: list[float] = []
    for label, raw, cold in process_cases(events):
        posttool_ms, floor_ms = measure_case(raw, runs, command, project, bundled, cold)
        all_posttool += posttool_ms
        all_floor += floor_ms
        rows.append(ratio_row(label, posttool_ms, floor_ms))
    overall = ratio_row("all events", all_posttool, all_floor)
    del overall["event"]
    return {
        "command": [*prefix, "run", "--home", "<temporary home>"],
        "floor_command": [sys.executable, *FLOOR_ARGS],
        "runs": runs,
        **overall,
        "events": rows,
    }


def ratio_row(label: str, posttool_ms: list[float], floor_ms: list[float]) -> dict[str, Any]:
    posttool_p50 = statistics.median(posttool_ms)
    floor_p50 = statistics.median(floor_ms)
    return {
        "event": label,
        "posttool_p50_ms": round(posttool_p50, 2),
        "posttool_p95_ms": round(percentile(posttool_ms, 95), 2),
        "floor_p50_ms": round(floor_p50, 2),
        "floor_p95_ms": round(percentile(floor_ms, 95), 2),
        "ratio": round(posttool_p50 / floor_p50, 2) if floor_p50 else None,
    }


def hook_stats(timings: dict[str, list[float]]) -> list[dict[str, Any]]:
    """Per hook, in execution order; hooks that never ran for these events are left out."""
    from posttool.runner.registry import load_registry

    order = [record.name for record in load_registry().hooks if record.name in timings]
    order += [*sorted(set(timings) - set(order) - {WHOLE_CALL}), WHOLE_CALL]
    return [
        {
            "name": name,
            "calls": len(timings[name]),
            "p50_ms": round(statistics.median(timings[name]), 3),
            "p95_ms": round(percentile(timings[name], 95), 3),
            "total_ms": round(sum(timings[name]), 1),
        }
        for name in order
        if timings.get(name)
    ]


# --- the command -----------------------------------------------------------------------------


def run_bench(
    runs: int,
    event_file: str | None,
    as_json: bool,
    home: str | None,
    out: TextIO | None = None,
    process: bool = True,
    serve: ServeBench | None = None,
) -> int:
    """`serve` (from `bench_serve`, which builds on this module) adds the warm-server figures."""
    out = sys.stdout if out is None else out
    if runs < 1:
        raise CliError("the number of runs must be at least 1", code=2)
    bundled = event_file is None
    events = bundled_events() if event_file is None else load_event_file(event_file)
    with Workspace(config_from=home) as space:
        events = space.prepare(events, bundled)
        timings = measure_in_process(events, runs, space.home, space.project, bundled)
        whole = (
            measure_process(events, runs, space.home, space.project, bundled) if process else None
        )
        config_copied = space.config_copied
        if serve is not None:
            serve_home = os.path.join(space.root, "serve-home")
            served = serve.measure(events, runs, serve_home, space.project)
    result = {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "cpus": os.cpu_count(),
        "events": [name for name, _raw in events],
        "runs": runs,
        "config_copied": config_copied,
        "hooks": hook_stats(timings),
        "process": whole,
    }
    if serve is not None:
        result["serve"] = served
    if as_json:
        out.write(json.dumps(result, indent=2) + "\n")
    else:
        lines = report_lines(result, Style.for_stream(out))
        if serve is not None:
            lines += serve.report(served)
        for line in lines:
            out.write(line + "\n")
    return 0


def report_lines(result: dict[str, Any], style: Style) -> list[str]:
    source = "bundled events" if result["events"] and "#" not in result["events"][0] else "event(s)"
    lines = [
        f"posttool bench: {len(result['events'])} {source} × {result['runs']} run(s); "
        f"Python {result['python']}, {result['cpus']} CPU(s)"
        + ("; your config.json applied" if result["config_copied"] else ""),
        "",
    ]
    body = [
        [row["name"], str(row["calls"]), f"{row['p50_ms']:.3f}", f"{row['p95_ms']:.3f}"]
        for row in result["hooks"]
    ]
    lines += table(
        body, style, ["HOOK (in process)", "CALLS", "P50 MS", "P95 MS"], right=frozenset({1, 2, 3})
    )
    whole = result["process"]
    if whole:
        lines += [
            "",
            f"whole process, {whole['runs']} run(s) per event, interleaved with the bare"
            f" interpreter ({' '.join(whole['floor_command'])}):",
        ]
        rows = [
            [
                row["event"],
                f"{row['posttool_p50_ms']:.1f}",
                f"{row['floor_p50_ms']:.1f}",
                f"{row['ratio']:.2f}×" if row["ratio"] else "-",
            ]
            for row in whole["events"]
        ]
        lines += table(
            rows,
            style,
            ["EVENT", "RUN P50 MS", "FLOOR P50 MS", "RATIO"],
            right=frozenset({1, 2, 3}),
        )
        ratio = whole["ratio"]
        lines += [
            f"  command: {' '.join(whole['command'])}",
            "  " + style.bold(f"all events: {ratio:.2f}× the bare interpreter") if ratio else "",
        ]
    return lines

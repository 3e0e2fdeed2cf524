"""The "no growth" target: call #10,000 of a session costs ≤ 1.1× call #10, in both modes.

Two homes hold one session each, filled in process with the bundled events (commands and
paths varied so that every capped list and map of the session fills up): one to 10 calls, one
to 10,000. The same events then alternate between the two homes, N times each:
- serve mode: `handle()` in this process with a registry loaded once (what `posttool serve`
  runs per request), CPU time per call (the machine's load does not count);
- command mode: a whole `posttool run` process per call, wall time.
The ratio of the medians (old session / young session) is reported for each.

    python benchmarks/growth.py [--calls 10000] [--runs 60] [--resident]

`--resident`: serve mode as `posttool serve` runs it since documents stay in memory (the
server's `Resident`, written behind); command mode is then not timed, since a `run` between
two served calls makes the server read the session again.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from posttool.cli.bench import (
    bundled_events,
    materialise,
    rewrite,
    run_command,
    time_process,
)
from posttool.runner.registry import load_registry
from posttool.runner.resident import Resident
from posttool.runner.run import Door, handle

SESSION = "growth"
TIMED = ("02_read_app_py_ok.json", "05_bash_ls_ok.json")


def varied(raw: dict, i: int) -> dict:
    event = json.loads(json.dumps(raw))
    tool_input = event.get("tool_input") or {}
    if isinstance(tool_input.get("command"), str):
        tool_input["command"] += f" # {i % 200}"
    event["session_id"] = SESSION
    event["tool_use_id"] = f"toolu_growth_{i}_{time.monotonic_ns()}"
    return event


def fill(home: str, events: list[dict], calls: int, door: Door) -> None:
    for i in range(calls):
        handle(json.dumps(varied(events[i % len(events)], i)).encode(), home=home, door=door)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--resident", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="posttool-growth-") as root:
        project = os.path.join(root, "proj")
        os.makedirs(os.path.join(project, ".git"))
        everything = [(name, rewrite(raw, project, root)) for name, raw in bundled_events()]
        for _name, raw in everything:
            materialise(raw, project)
        mix = [raw for name, raw in everything if "write" not in name]
        timed = [raw for name, raw in everything if name in TIMED]
        resident = Resident() if args.resident else None
        door = Door(mode="serve", registry=load_registry(), resident=resident)
        homes = {"young": os.path.join(root, "young"), "old": os.path.join(root, "old")}
        for label, calls in (("young", 10), ("old", args.calls)):
            os.makedirs(homes[label], mode=0o700)
            open(os.path.join(homes[label], ".last-sweep"), "w").close()
            started = time.perf_counter()
            fill(homes[label], mix, calls, door)
            size = os.path.getsize(os.path.join(homes[label], "sessions", f"{SESSION}.json"))
            print(
                f"{label}: {calls} calls filled in {time.perf_counter() - started:.0f} s, "
                f"session file {size} bytes"
            )
        cpu: dict[str, list[float]] = {"young": [], "old": []}
        wall: dict[str, list[float]] = {"young": [], "old": []}
        command = run_command(os.path.join(root, "launch-home"))
        for run in range(args.runs):
            for label in ("young", "old") if run % 2 else ("old", "young"):
                raw = timed[run % len(timed)]
                data = json.dumps(varied(raw, 10**6 + run)).encode()
                start = time.process_time()
                handle(data, home=homes[label], door=door)
                cpu[label].append((time.process_time() - start) * 1000)
                if resident is not None:
                    continue
                data = json.dumps(varied(raw, 2 * 10**6 + run)).encode()
                wall[label].append(
                    time_process([*command, "run", "--home", homes[label]], data, project)
                )
        if resident is not None:
            resident.close()
    modes = [("serve (in process, CPU)", cpu, "ms CPU")]
    if resident is None:
        modes.append(("command (whole process, wall)", wall, "ms"))
    for mode, values, unit in modes:
        young, old = statistics.median(values["young"]), statistics.median(values["old"])
        print(
            f"{mode}: call #10: {young:.2f} {unit}, call #{args.calls}: {old:.2f} {unit}, "
            f"ratio {old / young:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`make bench`: whole-process time of `posttool run` per fixture event, side by side with the
bare interpreter (`python -I -S -c pass`) measured in the same run, as medians and ratios.

Each event is rewritten into a temporary project (so the `.py` writes have a real file for ruff
to lint) and gets a fresh tool_use_id per run; the home is a temporary directory. Runs are
interleaved with the floor so that machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
FIXTURE_PROJECT = "/home/dev/proj"


def posttool_command() -> list[str]:
    script = Path(sys.executable).parent / "posttool"
    return [str(script)] if script.exists() else [sys.executable, "-m", "posttool"]


def rewrite(raw: dict, project: Path, run: int, vary: bool) -> bytes:
    text = json.dumps(raw).replace(FIXTURE_PROJECT, str(project))
    event = json.loads(text)
    event["tool_use_id"] = f"toolu_bench_{run}_{time.monotonic_ns()}"
    if vary and event.get("tool_name") == "Write":  # a new content each run: no lint cache hit
        content = event["tool_input"]["content"] + f"\nRUN = {run}\n"
        event["tool_input"]["content"] = content
        event["tool_response"]["content"] = content
    return json.dumps(event).encode()


def materialise(raw: dict, project: Path, data: bytes) -> None:
    """Write the file a Write/Edit event describes, as it would be on disk after the tool ran."""
    event = json.loads(data)
    tool_input = event.get("tool_input", {})
    path = tool_input.get("file_path")
    if not path or event.get("tool_name") not in ("Write", "Edit"):
        return
    response = event.get("tool_response") or {}
    content = tool_input.get("content")
    if content is None and isinstance(response.get("originalFile"), str):
        content = response["originalFile"].replace(
            response.get("oldString", ""), response.get("newString", ""), 1
        )
    if isinstance(content, str):
        Path(path).write_text(content)


def time_once(args: list[str], stdin: bytes) -> float:
    start = time.perf_counter()
    subprocess.run(
        args, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return (time.perf_counter() - start) * 1000


def bench_event(name: str, runs: int, home: Path, project: Path, vary: bool) -> dict:
    raw = json.loads((FIXTURES / name).read_text())
    floor_args = [sys.executable, "-I", "-S", "-c", "pass"]
    run_args = [*posttool_command(), "run", "--home", str(home)]
    floor, posttool = [], []
    for i in range(runs):
        data = rewrite(raw, project, i, vary)
        materialise(raw, project, data)
        floor.append(time_once(floor_args, b""))
        posttool.append(time_once(run_args, data))
    floor_ms = statistics.median(floor)
    run_ms = statistics.median(posttool)
    return {
        "event": name,
        "floor_ms": round(floor_ms, 1),
        "run_ms": round(run_ms, 1),
        "ratio": round(run_ms / floor_ms, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("events", nargs="*", help="fixture names (default: all)")
    args = parser.parse_args()
    names = args.events or sorted(p.name for p in FIXTURES.glob("*.json"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="posttool-bench-") as tmp:
        for name in names:
            project = Path(tmp) / "proj"
            (project / ".git").mkdir(parents=True, exist_ok=True)
            home = Path(tmp) / f"home-{name}"
            rows.append(bench_event(name, args.runs, home, project, vary=False))
            if name.startswith(("01_", "04_")):
                row = bench_event(name, args.runs, Path(tmp) / f"cold-{name}", project, vary=True)
                row["event"] = f"{name} (new content each run)"
                rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(
        f"python {sys.version.split()[0]} on {os.cpu_count()} cores, {args.runs} runs each, medians"
    )
    print(f"{'event':52} {'floor ms':>9} {'run ms':>8} {'ratio':>6}")
    for row in rows:
        print(f"{row['event']:52} {row['floor_ms']:9.1f} {row['run_ms']:8.1f} {row['ratio']:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

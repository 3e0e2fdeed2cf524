"""What the per-call metrics record costs a Read in command mode.

Two homes, identical but for `metrics.enabled`; `posttool run` on the bundled Read event
alternates between them (and who goes first), N times each; the medians are compared. The
record's own work is also timed in process (thousands of appends), which the noise of whole
process starts cannot resolve on a shared machine.

    python benchmarks/metrics_cost.py [--runs N]
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
    FLOOR_ARGS,
    bundled_events,
    materialise,
    rewrite,
    run_command,
    time_process,
    with_fresh_id,
)

READ = "02_read_app_py_ok.json"


def in_process_cost_ms(homes: dict[str, str], raw: dict, runs: int) -> dict[str, float]:
    """CPU ms of `handle()` per Read, alternating the two homes (the machine's load does not
    count in CPU time)."""
    from posttool.runner.run import handle

    cpu: dict[str, list[float]] = {"on": [], "off": []}
    for run in range(runs):
        for label in ("on", "off") if run % 2 else ("off", "on"):
            data = with_fresh_id(raw, 10**6 + run)
            start = time.process_time()
            handle(data, home=homes[label])
            cpu[label].append((time.process_time() - start) * 1000)
    return {label: statistics.median(values) for label, values in cpu.items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    events = dict(bundled_events())
    with tempfile.TemporaryDirectory(prefix="posttool-metrics-cost-") as root:
        project = os.path.join(root, "proj")
        os.makedirs(os.path.join(project, ".git"))
        homes = {}
        for label, enabled in (("on", True), ("off", False)):
            home = os.path.join(root, f"home-{label}")
            os.makedirs(home, mode=0o700)
            with open(os.path.join(home, "config.json"), "w") as handle:
                json.dump({"metrics.enabled": enabled}, handle)
            open(os.path.join(home, ".last-sweep"), "w").close()
            homes[label] = home
        raw = rewrite(events[READ], project, root)
        materialise(raw, project)
        prefix = run_command()
        times: dict[str, list[float]] = {"on": [], "off": [], "floor": []}
        for run in range(args.runs):
            order = ["on", "off"] if run % 2 else ["off", "on"]
            for label in order:
                data = with_fresh_id(raw, run)
                command = [*prefix, "run", "--home", homes[label]]
                times[label].append(time_process(command, data, project))
            times["floor"].append(time_process([sys.executable, *FLOOR_ARGS], b"", project))
        in_process = in_process_cost_ms(homes, raw, args.runs * 5)
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    floor = statistics.median(times["floor"])
    print(
        f"Read, {args.runs} interleaved runs each: metrics on {on:.2f} ms, off {off:.2f} ms, "
        f"difference {on - off:+.2f} ms ({(on - off) / off * 100:+.1f}%); floor {floor:.2f} ms"
    )
    extra = in_process["on"] - in_process["off"]
    print(
        f"in process, CPU per Read: on {in_process['on']:.3f} ms, off {in_process['off']:.3f} "
        f"ms: the record costs {extra * 1000:+.0f} µs = {extra / off * 100:+.2f}% of a whole "
        f"Read ({off:.1f} ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

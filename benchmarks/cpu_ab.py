"""Interleaved A/B runs of `posttool run` from two source trees, in CPU time.

Each tree (a folder holding a `posttool` package, e.g. one extracted with `git archive`) gets
a launcher like the one `posttool install` writes (`python -I -S launcher.py run --home H`).
The bundled Read and Bash events are fed to every tree in turn, interleaved with the bare
interpreter (`python -I -S -c pass`), and each child's CPU time (user + system, from
`getrusage(RUSAGE_CHILDREN)`) is recorded: on a machine shared with other work, wall time
mostly measures the neighbours. Reported: the median CPU ms per event and its ratio to the
bare interpreter's median CPU in the same run.

    python benchmarks/cpu_ab.py --tree base=/tmp/perf-base --tree new=. [--runs 40]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from posttool.cli.bench import bundled_events, materialise, rewrite, with_fresh_id

EVENTS = ("02_read_app_py_ok.json", "05_bash_ls_ok.json")
LAUNCHER = """import sys
sys.path.insert(0, {tree!r})
try:
    from posttool.__main__ import entry
except ImportError:  # trees from before the layering
    from posttool.runner.main import entry
entry()
"""


def child_cpu_ms(argv: list[str], data: bytes) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, input=data, stdout=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return used * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", action="append", required=True, help="LABEL=FOLDER")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--event", action="append", help="bundled fixture name (default: 02, 05)")
    args = parser.parse_args()
    trees = dict(item.split("=", 1) for item in args.tree)
    names = tuple(args.event or EVENTS)
    events = dict(bundled_events())
    with tempfile.TemporaryDirectory(prefix="posttool-cpu-ab-") as root:
        project = os.path.join(root, "proj")
        os.makedirs(os.path.join(project, ".git"))
        commands: dict[str, list[str]] = {"floor": [sys.executable, "-I", "-S", "-c", "pass"]}
        for label, folder in trees.items():
            home = os.path.join(root, f"home-{label}")
            os.makedirs(home)
            open(os.path.join(home, ".last-sweep"), "w").close()
            launcher = os.path.join(root, f"launch-{label}.py")
            with open(launcher, "w") as out:
                out.write(LAUNCHER.format(tree=os.path.abspath(folder)))
            commands[label] = [sys.executable, "-I", "-S", launcher, "run", "--home", home]
        raws = {name: rewrite(events[name], project, os.path.join(root, "user")) for name in names}
        for raw in raws.values():
            materialise(raw, project)
        cpu: dict[tuple[str, str], list[float]] = {}
        labels = list(commands)
        for run in range(args.runs):
            order = labels if run % 2 == 0 else labels[::-1]
            for name, raw in raws.items():
                for label in order:
                    data = with_fresh_id(raw, run) if label != "floor" else b""
                    cpu.setdefault((label, name), []).append(child_cpu_ms(commands[label], data))
    print(f"{args.runs} interleaved runs, CPU ms per process (median), load {os.getloadavg()}")
    floor = statistics.median(v for name in names for v in cpu[("floor", name)])
    print(f"  floor (python -I -S -c pass): {floor:.2f} ms")
    for name in names:
        for label in trees:
            median = statistics.median(cpu[(label, name)])
            print(f"  {name:28} {label:8} {median:6.2f} ms  {median / floor:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

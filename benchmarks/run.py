"""`make bench`: what `posttool run` costs per tool call, as a ratio to the bare interpreter.

The same measurement as `posttool bench` (posttool/cli/bench.py), with the built-in
defaults only: every bundled real Claude Code event, each run in a fresh process beside
`python -I -S -c pass` on the same interpreter, interleaved, medians and ratios per event;
`.py` writes also with new content every run (no lint cache hit); and the in-process time of
each hook. Nothing outside a temporary home and project is read or written.
"""

from __future__ import annotations

import argparse
import sys
import tempfile

from posttool.cli.bench import run_bench


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=30, help="runs per event (default 30)")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="posttool-bench-home-") as empty_home:
        return run_bench(args.runs, None, args.json, home=empty_home)


if __name__ == "__main__":
    sys.exit(main())

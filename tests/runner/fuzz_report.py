"""The figures of docs/robustness.md: the fuzz driver's batches, counted instead of asserted.

    .venv/bin/python -m tests.runner.fuzz_report FIRST_SEED LAST_SEED [POSTTOOL_TREE]

runs one batch per seed in [FIRST_SEED, LAST_SEED) (the same batches `test_many_events_per_process`
draws) against the posttool package found in POSTTOOL_TREE (default: this checkout), and prints
the events sent, driver crashes, batches whose session a clean last call could not use, and
each kind of internal error or hook exception in the logs.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from tests.runner.fuzz_inputs import FuzzContext, batch_steps
from tests.runner.test_fuzz_run import DAMAGE_SHARE, DRIVER, EVENTS_PER_BATCH, HOOK_EXCEPTION

ROOT = Path(__file__).resolve().parents[2]


def session_usable(ctx: FuzzContext, tool_use_id: str) -> bool:
    try:
        doc = json.loads(ctx.session_file.read_bytes().decode("utf-8"))
        return tool_use_id in doc["seen_tool_use_ids"]
    except (OSError, ValueError, KeyError, TypeError):
        return False


def problems(home: Path) -> list[str]:
    log = home / "posttool.log"
    if not log.exists():
        return []
    found = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        message = line.split(" ", 2)[-1]
        if "internal error" in message or HOOK_EXCEPTION.search(message):
            message = re.sub(r"/\S+", "PATH", message)
            found.append(re.sub(r"0x[0-9a-f]+|\d+", "N", message)[:110])
    return found


def main(first: int, last: int, tree: str) -> None:
    kinds: Counter[str] = Counter()
    events = crashes = unusable = 0
    env = dict(os.environ, PYTHONPATH=tree)
    for seed in range(first, last):
        tmp = Path(tempfile.mkdtemp(prefix=f"fuzz-{seed}-"))
        project = tmp / "proj"
        (project / ".git").mkdir(parents=True)
        ctx = FuzzContext(tmp / "home", project)
        steps, last_id = batch_steps(ctx, random.Random(seed), EVENTS_PER_BATCH, DAMAGE_SHARE)
        (tmp / "steps.bin").write_bytes(steps)
        events += EVENTS_PER_BATCH + 1
        result = subprocess.run(
            [sys.executable, str(DRIVER), str(ctx.home), str(tmp / "steps.bin"), str(tmp / "a")],
            capture_output=True,
            env=env,
            check=False,
        )
        crashes += result.returncode != 0
        unusable += not session_usable(ctx, last_id)
        kinds.update(problems(ctx.home))
    print(f"events {events}, driver crashes {crashes}, unusable sessions {unusable}")
    for kind, count in kinds.most_common():
        print(f"{count:6d}  {kind}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]), int(args[1]), args[2] if len(args) > 2 else str(ROOT))

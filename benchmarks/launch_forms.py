"""What a Read costs with each way of starting posttool, in environments installed as a user
would (venv + pip, pipx, uv tool): the console script, `python -P -m posttool`,
`python -I -m posttool`, and the command `posttool install` writes; each as a ratio to the bare
interpreter (`python -I -S -c pass`) of the same environment, interleaved, medians.

    python benchmarks/launch_forms.py [--runs N] [--env NAME=VENV_DIR ...]

Every run sets PYTHONDONTWRITEBYTECODE=1 (as many CI machines and containers do). The console
script is timed both before and after `posttool install` (which compiles missing bytecode).
Nothing outside a temporary folder is written: HOME and posttool's home are temporary.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posttool.cli.bench import bundled_events, materialise, rewrite, with_fresh_id

READ = "02_read_app_py_ok.json"


def time_once(args: list[str], data: bytes, cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, input=data, capture_output=True, cwd=cwd, env=env, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(args)} failed: {done.stderr.decode()[-500:]}")
    return elapsed


def interleaved(
    forms: dict[str, list[str]], runs: int, raw: dict, cwd: str, env: dict[str, str]
) -> dict[str, float]:
    """{form: median ms}; two warm-up rounds are not counted."""
    times: dict[str, list[float]] = {name: [] for name in forms}
    for run in range(runs + 2):
        for name, args in forms.items():
            elapsed = time_once(args, with_fresh_id(raw, run), cwd, env)
            if run >= 2:
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


def measure(name: str, venv: str, runs: int) -> list[str]:
    python = os.path.join(venv, "bin", "python")
    root = tempfile.mkdtemp(prefix="posttool-forms-")
    project, home, user = (os.path.join(root, d) for d in ("proj", "home", "user"))
    os.makedirs(os.path.join(project, ".git"))
    os.makedirs(user)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "HOME": user}
    raw = rewrite(dict(bundled_events())[READ], project, root)
    materialise(raw, project)
    run = ["run", "--home", home]
    forms = {
        "floor": [python, "-I", "-S", "-c", "pass"],
        "console script": [os.path.join(venv, "bin", "posttool"), *run],
    }
    before = interleaved(forms, runs, raw, project, env)
    installed = subprocess.run(
        [forms["console script"][0], "install", "--home", home, "--claude-version", "2.0.59"],
        capture_output=True,
        env=env,
        check=True,
        text=True,
    )
    compiled = next(
        (line for line in installed.stdout.splitlines() if line.startswith("bytecode:")), ""
    )
    settings = json.loads(Path(user, ".claude", "settings.json").read_text())
    command = settings["hooks"]["PostToolUse"][0]["hooks"][0]["command"]
    forms.update(
        {
            "python -P -m": [python, "-P", "-m", "posttool", *run],
            "python -I -m": [python, "-I", "-m", "posttool", *run],
            "install's command": shlex.split(command),
        }
    )
    after = interleaved(forms, runs, raw, project, env)
    lines = [f"{name} ({venv}); install said: {compiled}"]
    lines.append(
        f"  before install: console script {before['console script'] / before['floor']:.2f}×"
    )
    lines.append(
        "  after install:  "
        + "  ".join(
            f"{form} {ms / after['floor']:.2f}×" for form, ms in after.items() if form != "floor"
        )
        + f"  (floor {after['floor']:.1f} ms)"
    )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VENV_DIR", help="an installed copy"
    )
    args = parser.parse_args()
    if not args.env:
        args.env = [f"this venv={os.path.dirname(os.path.dirname(sys.executable))}"]
    print(f"Read event, {args.runs} interleaved runs, medians, PYTHONDONTWRITEBYTECODE=1")
    for spec in args.env:
        name, _, venv = spec.partition("=")
        print("\n".join(measure(name, venv, args.runs)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

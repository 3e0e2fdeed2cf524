"""Fuzz `posttool run` as the hot path runs it: without `json` imported, on mutated real events
and damaged state files (issue 8). The contract after every event: an answer of `{}` or one
JSON object, no "internal error" in the log, and a session the next call can still use.

Two halves (figures in docs/robustness.md):
- `test_many_events_per_process`: batches of mutated events and damage through
  tests/runner/fuzz_driver.py, which imports only what `posttool run` imports and calls the
  same `handle`, 100 events per process start;
- `test_real_processes`: one real `posttool run` process per fuzzed event (after a damaged
  file half the time), then a clean call checks the session it left.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posttool.runner.run import handle
from tests.conftest import run_cli
from tests.runner.fuzz_inputs import (
    FuzzContext,
    apply_damage,
    batch_steps,
    make_damage,
    make_event,
)

DRIVER = Path(__file__).with_name("fuzz_driver.py")
ROOT = Path(__file__).resolve().parents[2]
BATCHES = 20
EVENTS_PER_BATCH = 100
REAL_PROCESS_EXAMPLES = 200
DAMAGE_SHARE = 0.1
FUNCTION_SCOPED = [HealthCheck.function_scoped_fixture]


def assert_answer(raw: bytes) -> None:
    """`{}`, or exactly one hook-output object."""
    text = raw.decode("utf-8").strip()
    if not text:
        return
    answer = json.loads(text)
    assert isinstance(answer, dict)
    assert set(answer) <= {"hookSpecificOutput"}


# A hook that raised on damaged input (dispatch logs `hook NAME: TypeError: ...`).
HOOK_EXCEPTION = re.compile(r"hook \w+: (prepare failed: )?\w*(Error|Exception)\b")


def assert_clean_log(home: Path) -> None:
    log = home / "posttool.log"
    if log.exists():
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "internal error" not in text, text[-3000:]
        assert not HOOK_EXCEPTION.search(text), HOOK_EXCEPTION.search(text)


def assert_session_usable(ctx: FuzzContext, tool_use_id: str) -> None:
    """The last call, a clean event, was counted in a session file that is strict UTF-8 JSON."""
    doc = json.loads(ctx.session_file.read_bytes().decode("utf-8"))
    assert doc["schema"] == 1
    assert tool_use_id in doc["seen_tool_use_ids"]


def run_driver(home: Path, steps: bytes, tmp: Path) -> list[bytes]:
    steps_path, answers_path = tmp / "steps.bin", tmp / "answers.bin"
    steps_path.write_bytes(steps)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, str(DRIVER), str(home), str(steps_path), str(answers_path)],
        capture_output=True,
        env=env,
        timeout=600,
        check=False,
        cwd=str(tmp),
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]
    data = answers_path.read_bytes()
    answers, i = [], 0
    while i < len(data):
        size = int(data[i : i + 10])
        answers.append(data[i + 10 : i + 10 + size])
        i += 10 + size
    return answers


@settings(max_examples=BATCHES, suppress_health_check=FUNCTION_SCOPED)
@given(seed=st.integers(0, 2**32 - 1))
def test_many_events_per_process(home: Path, project: Path, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    batch = Path(tempfile.mkdtemp(prefix=f"batch-{seed}-", dir=tmp_path))
    ctx = FuzzContext(batch / "home", project)
    steps, last_id = batch_steps(ctx, rng, EVENTS_PER_BATCH, DAMAGE_SHARE)
    answers = run_driver(ctx.home, steps, batch)
    assert len(answers) == EVENTS_PER_BATCH + 1
    for answer in answers:
        assert_answer(answer)
    assert_clean_log(ctx.home)
    assert_session_usable(ctx, last_id)


@settings(max_examples=REAL_PROCESS_EXAMPLES, suppress_health_check=FUNCTION_SCOPED)
@given(rng=st.randoms(use_true_random=False), damage_first=st.booleans())
def test_real_processes(
    home: Path, project: Path, tmp_path: Path, rng: random.Random, damage_first: bool
) -> None:
    ctx = FuzzContext(home, project)
    if damage_first:
        apply_damage(*make_damage(ctx, rng))
    result = run_cli("run", "--home", str(home), stdin=make_event(ctx, rng), cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == b""
    assert result.stdout.count(b"\n") <= 1
    assert_answer(result.stdout)
    # The next call, in-process to keep the test's wall time down: what it checks is what the
    # real process left on disk.
    last = ctx.clean_event()
    assert_answer(handle(json.dumps(last).encode(), home=str(home)).encode())
    assert_clean_log(home)
    assert_session_usable(ctx, last["tool_use_id"])

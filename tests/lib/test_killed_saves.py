"""Saves killed at random points (kill -9): every file still parses, and the daily sweep removes
the temp files they left, and nothing else."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

from posttool.lib import lint
from posttool.lib.config import Config
from posttool.lib.store import SessionStore
from posttool.lib.stores import ProjectStores
from posttool.lib.sweep import STALE_TEMP_S, is_own_temp_name, remove_stale_temp_files, sweep

KILLS = 120
MAX_LIFETIME_S = 0.03
PROJECT = "0123456789abcdef"


def save_forever(home: str) -> None:
    """What a run writes: the session, a project store (about 1 MB) and lint cache entries."""
    n = 0
    while True:
        n += 1
        now = time.time()
        store = SessionStore(home, "killed")
        doc = store.open("killed", PROJECT, now)
        doc["counters"]["calls"] += 1
        store.save(doc)
        store.close()
        stores = ProjectStores(home, PROJECT, Config(), now)
        stores.entries("read_cache")[f"{os.getpid()}-{n}"] = {"read_at": now, "path": "x" * 2000}
        stores.save_all()
        stores.close()
        lint.cache_write(home, f"{n % 256:02x}{os.getpid():016x}{n:046x}", [], [])


def kill_at_a_random_point(home: str, rng: random.Random) -> None:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child is killed, never returns
        try:
            save_forever(home)
        finally:
            os._exit(1)
    time.sleep(rng.uniform(0, MAX_LIFETIME_S))
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status), "the saver stopped by itself"


def temp_files(home: Path) -> list[Path]:
    return [p for p in home.rglob("*") if is_own_temp_name(p.name) or p.name.endswith(".tmp")]


def test_killed_saves_leave_parseable_files_and_the_sweep_removes_their_temp_files(
    home: Path,
) -> None:
    home.mkdir()
    rng = random.Random(8)
    for _ in range(KILLS):
        kill_at_a_random_point(str(home), rng)

    documents = [p for p in home.rglob("*.json")]
    assert len(documents) > 2
    for path in documents:
        json.loads(path.read_bytes())  # raises if a kill left a half-written file
    assert not list(home.rglob("*.corrupt-*"))
    left_by_kills = temp_files(home)
    assert left_by_kills, f"none of {KILLS} kills hit a save: the test tested nothing"

    sweep(str(home), time.time() + 2 * 3600, Config())
    assert temp_files(home) == []
    store = SessionStore(str(home), "killed")
    assert store.open("killed", PROJECT, time.time())["counters"]["calls"] >= 1
    assert store.status == "loaded"
    store.close()


def test_the_sweep_keeps_fresh_temp_files_and_names_it_does_not_own(home: Path) -> None:
    sessions = home / "sessions"
    sessions.mkdir(parents=True)
    now = time.time()
    stale = sessions / "s.json.tmp-123"
    fresh = sessions / "t.json.tmp-456"
    foreign = [sessions / "s.json.tmp-abc", sessions / "notes.tmp-1", sessions / "x.json.tmp-"]
    for path in [stale, fresh, *foreign]:
        path.write_text("{")
    old = now - STALE_TEMP_S - 1
    for path in [stale, *foreign]:
        os.utime(path, (old, old))
    assert remove_stale_temp_files(str(home), now) == 1
    assert not stale.exists()
    assert fresh.exists() and all(p.exists() for p in foreign)

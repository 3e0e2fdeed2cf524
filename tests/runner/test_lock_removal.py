"""`state reset`, `state prune` and `cache reset` beside many running writers: no update lost.

Each writer is a thread that starts real `posttool run` processes one after another. While they
run, the command under test removes what they write (once it succeeds). A call that started
after that command ended must be in the final document; one that overlapped it may or may not
be; one that ended before it must not. A call missing although it started after the removal
is a lost update: two runs held "the" lock at once because one of them held a deleted file.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import Session, run_cli, write_config

WRITERS = 16
CALLS_AFTER = 2  # per writer; WRITERS * (CALLS_AFTER + 1) is within the 64 ids a session keeps
REMOVAL_TRIES = 100
MAX_CALLS_EACH = 150


@dataclass
class Call:
    key: str
    pid: int
    start: float
    end: float


@dataclass
class Removal:
    start: float
    end: float
    output: str


class Race:
    """Writers running `posttool run` while `remove` is retried until it reports success."""

    def __init__(
        self,
        home: Path,
        events: Callable[[int, int], tuple[str, dict[str, Any]]],
        pause_s: float = 0.0,
        writers: int = WRITERS,
    ) -> None:
        self.home = home
        self.writers = writers
        self.pause_s = pause_s
        self.events = events
        self.calls: list[Call] = []
        self.removal: Removal | None = None
        self.removed = threading.Event()
        self.lock = threading.Lock()
        self.errors: list[str] = []

    def writer(self, w: int) -> None:
        i = 0
        after = 0
        while after < CALLS_AFTER:
            key, event = self.events(w, i)
            i += 1
            if self.removed.is_set():
                after += 1
            start = time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, "-m", "posttool", "run", "--home", str(self.home)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            out, err = proc.communicate(json.dumps(event).encode(), timeout=120)
            end = time.monotonic()
            if proc.returncode != 0 or err or not out.startswith(b"{"):
                self.errors.append(f"run exit {proc.returncode}: {out[:200]!r} {err[:200]!r}")
            with self.lock:
                self.calls.append(Call(key, proc.pid, start, end))
            if self.pause_s:
                time.sleep(random.uniform(0, self.pause_s))
            if i > MAX_CALLS_EACH:
                self.errors.append("the removal never succeeded")
                return

    def remover(self, args: list[str], succeeded: Callable[[str], bool]) -> None:
        while len(self.calls) < 2 * self.writers:
            time.sleep(0.01)
        try:
            for _ in range(REMOVAL_TRIES):
                start = time.monotonic()
                result = run_cli(*args, "--home", str(self.home), timeout=120)
                end = time.monotonic()
                output = result.stdout.decode()
                if succeeded(output):
                    self.removal = Removal(start, end, output)
                    return
        finally:
            self.removed.set()

    def run(self, args: list[str], succeeded: Callable[[str], bool]) -> None:
        threads = [threading.Thread(target=self.writer, args=(w,)) for w in range(self.writers)]
        threads.append(threading.Thread(target=self.remover, args=(args, succeeded)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert self.errors == []
        assert self.removal is not None, "the removal command never removed anything"

    def split(self) -> tuple[set[str], set[str], set[str]]:
        """(keys of calls ended before the removal, overlapping it, started after it)."""
        assert self.removal is not None
        before = {c.key for c in self.calls if c.end < self.removal.start}
        after = {c.key for c in self.calls if c.start > self.removal.end}
        overlapping = {c.key for c in self.calls} - before - after
        return before, overlapping, after

    def excused(self) -> set[str]:
        """Calls that logged a lock timeout: they ran read-only by design, and said so."""
        log = self.home / "posttool.log"
        text = log.read_text() if log.exists() else ""
        pids = {
            int(line.split("pid=", 1)[1].split()[0])
            for line in text.splitlines()
            if "not acquired" in line and "pid=" in line
        }
        return {c.key for c in self.calls if c.pid in pids}


def must_be_kept(race: Race, kept: set[str]) -> set[str]:
    """Calls that started after a kept call ended: they landed after it, so after the removal.

    This is sharper than "started after the removal command ended": the first call to land
    after the removal usually ends long before the command's own process has exited.
    """
    first_kept_end = min((c.end for c in race.calls if c.key in kept), default=race.removal.end)
    limit = min(first_kept_end, race.removal.end)
    return {c.key for c in race.calls if c.start > limit}


def assert_none_lost(race: Race, kept: set[str]) -> None:
    before, overlapping, after = race.split()
    due = must_be_kept(race, kept)
    lost = due - kept - race.excused()
    assert lost == set(), f"{len(lost)} update(s) lost of {len(due)} made after the removal"
    assert kept <= overlapping | after, "a call from before the removal survived it"
    assert before, "the removal ran before any call had finished: nothing was tested"
    log = race.home / "posttool.log"
    assert not log.exists() or "internal error" not in log.read_text()


def session_race(
    home: Path, project: Path, pause_s: float = 0.0, writers: int = WRITERS
) -> tuple[Race, Session]:
    """Writers on one session, each call a Read of a file of its own.

    The read cache (a project store with its own lock, untouched by `state` commands) records
    every call in the order the calls held the session, so the session's own list of call ids
    must be exactly a tail of it: the calls after the removal, none missing, same order.
    """
    write_config(home, {"state": {"lock_timeout_s": 60}})
    session = Session(home, project, "sess-race")

    def events(w: int, i: int) -> tuple[str, dict[str, Any]]:
        key = f"toolu_w{w}_{i}"
        path = str(project / f"{key}.py")
        event = session.event("02", tool_input={"file_path": path})
        event["tool_response"]["file"]["filePath"] = path
        event["tool_use_id"] = key
        return key, event

    return Race(home, events, pause_s, writers), session


def assert_session_is_a_tail(race: Race, session: Session) -> None:
    landed = [Path(e["path"]).stem for e in session.store("read_cache").values()]
    doc = session.doc()
    kept = doc["seen_tool_use_ids"]
    assert kept, "no call landed after the removal"
    assert doc["counters"]["calls"] == len(kept)
    since_removal = landed[landed.index(kept[0]) :]
    lost = set(since_removal) - set(kept)
    assert lost == set(), f"{len(lost)} update(s) lost of {len(since_removal)} since the removal"
    assert kept == since_removal
    assert_none_lost(race, set(kept))


def test_state_reset_beside_writers_loses_no_update(home: Path, project: Path) -> None:
    race, session = session_race(home, project)
    race.run(["state", "reset", "sess-race"], lambda out: "sess-race.json" in out)
    assert_session_is_a_tail(race, session)


def test_state_prune_beside_writers_loses_no_update(home: Path, project: Path) -> None:
    # prune never waits for a lock (a session in use is not stale), so fewer writers leave it
    # gaps, as real tool calls do
    race, session = session_race(home, project, pause_s=0.1, writers=6)
    race.run(
        ["state", "prune", "--older-than", "0"],
        lambda out: "sess-race.json\n" in out,
    )
    assert_session_is_a_tail(race, session)


def test_cache_reset_beside_writers_loses_no_update(home: Path, project: Path) -> None:
    """Each writer its own session, so only the project store's lock orders them."""
    write_config(home, {"state": {"lock_timeout_s": 60}})
    sessions = [Session(home, project, f"sess-cache-{w}") for w in range(WRITERS)]

    def events(w: int, i: int) -> tuple[str, dict[str, Any]]:
        path = str(project / f"w{w}_{i}.py")
        event = sessions[w].event("02", tool_input={"file_path": path})
        event["tool_response"]["file"]["filePath"] = path
        return path, event

    race = Race(home, events)
    race.run(["cache", "reset", "--project", str(project)], lambda out: "read_cache.json" in out)
    entries = sessions[0].store("read_cache")
    assert_none_lost(race, {entry["path"] for entry in entries.values()})


def test_prune_keeps_the_lock_of_a_session_on_its_first_call(home: Path) -> None:
    """A first call holds the lock of a session file it has not written yet."""
    from posttool.lib.store import FileLock

    folder = home / "sessions"
    folder.mkdir(parents=True)
    held = FileLock(str(folder / "new.json.lock"))
    held.acquire(1.0)
    orphan = folder / "gone.json.lock"
    orphan.write_bytes(b"")
    try:
        result = run_cli("state", "prune", "--older-than", "0", "--home", str(home))
    finally:
        held.release()
    assert result.returncode == 0
    assert (folder / "new.json.lock").exists()
    assert not orphan.exists()
    assert os.fsdecode(orphan) in result.stdout.decode()

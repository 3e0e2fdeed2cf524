"""The server's documents in memory, written behind the answer (runner/resident.py): what is on
disk and what `posttool run` sees stay right while the writes are behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from posttool.lib.config import Config
from posttool.lib.paths import last_event_path
from posttool.lib.store import FileLock, LockTimeout, SessionStore
from posttool.lib.stores import ProjectStores
from posttool.runner.resident import Resident, ResidentProjectStores, ResidentSessionStore

NOW = 1_800_000_000.0


def served_call(resident: Resident, home: Path, calls_delta: int = 1) -> dict:
    """One call as `serve` makes it: take the session, change it, commit, give it back."""
    store = ResidentSessionStore(str(home), "s1", resident)
    doc = store.open("s1", "proj", NOW)
    doc["counters"]["calls"] += calls_delta
    store.save(doc)
    store.close()
    return doc


def on_disk(home: Path) -> dict:
    return json.loads((home / "sessions" / "s1.json").read_text())


def test_commits_reach_the_file_after_flush(home: Path) -> None:
    resident = Resident()
    for _ in range(5):
        served_call(resident, home)
    resident.flush()
    assert on_disk(home)["counters"]["calls"] == 5
    resident.close()


def test_the_file_lock_is_held_until_the_write_is_done(home: Path) -> None:
    """A `posttool run` beside the server waits for the pending write, then reads it."""
    resident = Resident()
    blocker = threading.Lock()
    blocker.acquire()
    original = resident._write_slot

    def slow_write(slot):  # type: ignore[no-untyped-def]
        blocker.acquire()
        original(slot)

    resident._write_slot = slow_write  # type: ignore[method-assign]
    served_call(resident, home)
    outsider = FileLock(str(home / "sessions" / "s1.json.lock"))
    try:
        outsider.acquire(timeout=0.05)
        raise AssertionError("the lock was free while the write was pending")
    except LockTimeout:
        pass
    blocker.release()
    resident.flush()
    outsider.acquire(timeout=2)
    outsider.release()
    run_store = SessionStore(str(home), "s1")
    assert run_store.open("s1", "proj", NOW)["counters"]["calls"] == 1
    run_store.close()
    resident.close()


def test_a_write_by_someone_else_is_read_back(home: Path) -> None:
    resident = Resident()
    served_call(resident, home)
    resident.flush()
    run_store = SessionStore(str(home), "s1")  # a `posttool run` in between
    doc = run_store.open("s1", "proj", NOW)
    doc["counters"]["calls"] += 10
    run_store.save(doc)
    run_store.close()
    assert served_call(resident, home)["counters"]["calls"] == 12
    resident.close()
    assert on_disk(home)["counters"]["calls"] == 12


def test_a_call_that_stops_half_way_leaves_no_half_changed_state(home: Path) -> None:
    resident = Resident()
    served_call(resident, home)
    resident.flush()  # a failure drops what the writer has not encoded yet (and logs it)
    store = ResidentSessionStore(str(home), "s1", resident)
    doc = store.open("s1", "proj", NOW)
    doc["counters"]["calls"] += 100  # changed, then the call fails before it saves
    store.close()
    assert served_call(resident, home)["counters"]["calls"] == 2
    resident.close()
    assert on_disk(home)["counters"]["calls"] == 2


def test_parallel_calls_on_one_session_lose_nothing(home: Path) -> None:
    resident = Resident()
    threads = [
        threading.Thread(target=lambda: [served_call(resident, home) for _ in range(25)])
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    resident.close()
    assert on_disk(home)["counters"]["calls"] == 100


def test_run_processes_and_served_calls_interleave_without_loss(home: Path) -> None:
    """Real `run`-side stores in other processes beside the resident one."""
    script = (
        "import sys\n"
        "from posttool.lib.store import SessionStore\n"
        "for _ in range(10):\n"
        f"    store = SessionStore(sys.argv[1], 's1')\n"
        f"    doc = store.open('s1', 'proj', {NOW})\n"
        "    doc['counters']['calls'] += 1\n"
        "    store.save(doc)\n"
        "    store.close()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    others = [
        subprocess.Popen([sys.executable, "-c", script, str(home)], env=env) for _ in range(2)
    ]
    resident = Resident()
    for _ in range(20):
        served_call(resident, home)
    for other in others:
        assert other.wait(timeout=60) == 0
    resident.close()
    assert on_disk(home)["counters"]["calls"] == 40


def test_project_store_entries_are_kept_and_expire(home: Path) -> None:
    resident = Resident()
    config = Config()
    stores = ResidentProjectStores(str(home), "pk", config, NOW, resident)
    stores.entries("read_cache")["a.py"] = {"read_at": NOW}
    stores.save_all()
    stores.close()
    later = ResidentProjectStores(str(home), "pk", config, NOW + 1, resident)
    assert "a.py" in later.entries("read_cache")  # from memory
    later.save_all()
    later.close()
    resident.flush()
    direct = ProjectStores(str(home), "pk", config, NOW + 2)
    assert "a.py" in direct.entries("read_cache")  # and on disk
    direct.close()
    ttl = config.get("stores.read_cache.ttl_s")
    expired = ResidentProjectStores(str(home), "pk", config, NOW + ttl + 5, resident)
    assert expired.entries("read_cache") == {}
    expired.close()
    resident.close()


def test_last_event_and_metrics_are_written_behind(home: Path) -> None:
    resident = Resident()
    served_call(resident, home)  # the sessions folder exists before any event is kept
    for number in range(3):
        resident.keep_last_event(str(home), "s1", f'{{"n": {number}}}'.encode(), 1000)
        resident.append_metric(str(home), f'{{"n": {number}}}\n'.encode(), 0)
    resident.close()
    assert json.loads(Path(last_event_path(str(home), "s1")).read_text()) == {"n": 2}
    lines = (home / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["n"] for line in lines] == [0, 1, 2]


def test_a_process_waiting_for_the_lock_gets_it_under_steady_requests(home: Path) -> None:
    """The server keeps a session's lock across calls while its writes are behind; under
    steady requests it would never be free. A waiter (`posttool run`, `state reset`) touches
    the lock file, and the server writes and lets go at its next call."""
    resident = Resident()
    served_call(resident, home)
    stop = threading.Event()
    served = [1]

    def steady() -> None:
        while not stop.is_set():
            served_call(resident, home)
            served[0] += 1

    thread = threading.Thread(target=steady)
    thread.start()
    try:
        time.sleep(0.3)  # the lock has been kept since the first call
        run_store = SessionStore(str(home), "s1")  # another open file: a lock of its own
        doc = run_store.open("s1", "proj", NOW, timeout=5.0)
        doc["counters"]["calls"] += 1000
        run_store.save(doc)
        run_store.close()
    finally:
        stop.set()
        thread.join()
    resident.close()
    assert on_disk(home)["counters"]["calls"] == served[0] + 1000

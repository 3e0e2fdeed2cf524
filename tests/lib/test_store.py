"""The session store (spec §3.1): locking, atomic saves, nothing lost, caps, permissions."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posttool.lib.config import Config
from posttool.lib.schema import DEFAULT_CAPS, SCHEMA_VERSION, coerce_session, new_session
from posttool.lib.store import FileLock, LockTimeout, SessionStore
from posttool.lib.stores import ProjectStores
from posttool.lib.sweep import sweep

NOW = 1_800_000_000.0


def open_store(home: Path, key: str = "s1") -> tuple[SessionStore, dict]:
    store = SessionStore(str(home), key)
    return store, store.open(key, "proj", NOW)


def test_round_trip_and_permissions(home: Path) -> None:
    store, doc = open_store(home)
    doc["counters"]["calls"] = 3
    assert store.save(doc)
    store.close()
    path = home / "sessions" / "s1.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "sessions").stat().st_mode) == 0o700
    store, doc = open_store(home)
    assert doc["counters"]["calls"] == 3 and doc["schema"] == SCHEMA_VERSION
    assert not store.save(doc)  # unchanged: no write
    store.close()
    assert not list((home / "sessions").glob("*.tmp-*"))


def test_corrupt_file_is_kept_aside_and_fresh_state_starts(home: Path) -> None:
    folder = home / "sessions"
    folder.mkdir(parents=True)
    (folder / "s1.json").write_text("{not json")
    store, doc = open_store(home)
    assert store.status == "corrupt" and doc["counters"]["calls"] == 0
    store.save(doc)
    store.close()
    kept = list(folder.glob("s1.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{not json"


def test_repeated_corruption_never_deletes_an_earlier_copy(home: Path) -> None:
    folder = home / "sessions"
    folder.mkdir(parents=True)
    for i in range(5):
        (folder / "s1.json").write_text(f"[broken {i}")
        store, _ = open_store(home)
        store.close()
    assert sorted(p.read_text() for p in folder.glob("s1.json.corrupt-*")) == [
        f"[broken {i}" for i in range(5)
    ]


@pytest.mark.parametrize(
    "version", [SCHEMA_VERSION + 1, 2.0, "2", 1.5, True, "1", 1.0, 0, -1, None, [1]], ids=repr
)
def test_unknown_schema_is_kept_aside_never_overwritten(home: Path, version: object) -> None:
    folder = home / "sessions"
    folder.mkdir(parents=True)
    future = json.dumps({"schema": version, "mystery": True})
    (folder / "s1.json").write_text(future)
    store, doc = open_store(home)
    assert store.status == "unknown_schema" and doc["counters"]["calls"] == 0
    doc["counters"]["calls"] = 9
    assert store.save(doc)
    store.close()
    kept = list(folder.glob("s1.json.corrupt-*"))
    assert [p.read_text() for p in kept] == [future]
    assert json.loads((folder / "s1.json").read_text())["counters"]["calls"] == 9


def test_wrong_types_reset_and_unknown_keys_dropped(home: Path) -> None:
    folder = home / "sessions"
    folder.mkdir(parents=True)
    doc = new_session("s1", "p", NOW)
    doc["counters"]["calls"] = "seven"
    doc["files"] = {"a": {"path": "a", "reads": 2}, "b": "junk"}
    doc["unknown"] = 1
    (folder / "s1.json").write_text(json.dumps(doc))
    store, loaded = open_store(home)
    store.close()
    assert loaded["counters"]["calls"] == 0
    assert list(loaded["files"]) == ["a"] and loaded["files"]["a"]["reads"] == 2
    assert "unknown" not in loaded


def test_lock_excludes_a_second_holder(home: Path) -> None:
    home.mkdir(parents=True)
    first = FileLock(str(home / "x.lock"))
    first.acquire(1)
    second = FileLock(str(home / "x.lock"))
    start = time.monotonic()
    with pytest.raises(LockTimeout):
        second.acquire(0.1)
    assert time.monotonic() - start >= 0.1
    threading.Timer(0.05, first.release).start()
    second.acquire(2)
    second.release()


def test_caps_are_applied_on_save(home: Path) -> None:
    store, doc = open_store(home)
    doc["recent_tools"] = [{"c": i} for i in range(50)]
    doc["seen_tool_use_ids"] = [f"t{i}" for i in range(100)]
    doc["cooldowns"] = {f"h|{i}": [NOW - i, i] for i in range(400)}
    store.save(coerce_session(doc) | {})
    store.close()
    saved = json.loads((home / "sessions" / "s1.json").read_text())
    assert len(saved["recent_tools"]) == DEFAULT_CAPS["recent_tools"]
    assert saved["recent_tools"][-1]["c"] == 49
    assert saved["seen_tool_use_ids"][-1] == "t99" and len(saved["seen_tool_use_ids"]) == 64
    assert len(saved["cooldowns"]) == 300 and "h|0" in saved["cooldowns"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=30,
)
section_names = st.sampled_from(sorted(new_session("s", "p", NOW)))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(section_names, json_values, max_size=8))
def test_any_loaded_document_survives_a_round_trip(home: Path, junk: dict) -> None:
    """Whatever a state file holds, loading gives the schema, and save → load is stable."""
    folder = home / "sessions"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "s1.json").write_text(json.dumps(new_session("s1", "p", NOW) | junk))
    store, doc = open_store(home)
    assert set(doc) == set(new_session("s", "p", NOW))
    store.save(doc)
    store.close()
    store, again = open_store(home)
    store.close()
    assert again == doc


def test_project_store_ttl_and_caps(home: Path) -> None:
    config = Config({"stores.read_cache.max_entries": 2})
    stores = ProjectStores(str(home), "pk", config, NOW)
    entries = stores.entries("read_cache")
    entries.update(
        {
            "old": {"read_at": NOW - 90_000},
            "a": {"read_at": NOW - 3},
            "b": {"read_at": NOW - 2},
            "c": {"read_at": NOW - 1},
        }
    )
    stores.save_all()
    stores.close()
    stores = ProjectStores(str(home), "pk", config, NOW)
    assert sorted(stores.entries("read_cache")) == ["b", "c"]
    stores.close()


def test_project_store_locked_elsewhere_is_read_only(home: Path) -> None:
    stores = ProjectStores(str(home), "pk", Config(), NOW)
    stores.entries("lessons")["x"] = {"last_seen": NOW}
    stores.save_all()
    stores.close()
    holder = FileLock(str(home / "projects" / "pk" / "lessons.json.lock"))
    holder.acquire(1)
    try:
        blocked = ProjectStores(str(home), "pk", Config(), NOW)
        blocked.entries("lessons")["y"] = {"last_seen": NOW}
        blocked.save_all()
        blocked.close()
    finally:
        holder.release()
    saved = json.loads((home / "projects" / "pk" / "lessons.json").read_text())
    assert list(saved["entries"]) == ["x"]


def test_sweep_removes_only_stale_sessions(home: Path) -> None:
    folder = home / "sessions"
    folder.mkdir(parents=True)
    for name, age_days in (("old", 8), ("fresh", 1)):
        path = folder / f"{name}.json"
        path.write_text("{}")
        os.utime(path, (NOW - age_days * 86400, NOW - age_days * 86400))
    sweep(str(home), NOW, Config())
    assert sorted(p.name for p in folder.glob("*.json")) == ["fresh.json"]
    assert (home / ".last-sweep").stat().st_mtime == NOW


def test_a_file_posttool_wrote_is_not_revalidated_but_a_hand_edit_is(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import posttool.lib.store as store_module

    store, doc = open_store(home)
    doc["counters"]["calls"] = 5
    store.save(doc)
    store.close()
    calls: list[int] = []
    real = store_module.coerce_session
    monkeypatch.setattr(store_module, "coerce_session", lambda d: calls.append(1) or real(d))
    store, doc = open_store(home)
    store.close()
    assert calls == [] and doc["counters"]["calls"] == 5
    path = home / "sessions" / "s1.json"
    edited = json.loads(path.read_text())
    edited["counters"]["calls"] = "five"
    path.write_text(json.dumps(edited))
    store, doc = open_store(home)
    store.close()
    assert calls == [1] and doc["counters"]["calls"] == 0


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to see the open file")
def test_a_waiter_that_wins_a_deleted_lock_file_starts_over(home: Path) -> None:
    """A remover deletes the lock file while holding it; a run already waiting on that file
    must not go on beside a newcomer that locked the new file at the path."""
    home.mkdir()
    path = str(home / "s.json.lock")
    remover = FileLock(path)
    remover.acquire(1.0)
    waiter = FileLock(path)
    won = threading.Event()

    def wait() -> None:
        waiter.acquire(30.0)
        won.set()

    thread = threading.Thread(target=wait)
    thread.start()
    deadline = time.monotonic() + 30
    while not any(  # the waiter has opened the file that is about to be deleted
        os.path.realpath(f"/proc/self/fd/{fd}") == path
        for fd in os.listdir("/proc/self/fd")
        if fd != str(remover.fd)
    ):
        assert time.monotonic() < deadline
        time.sleep(0.005)
    remover.release_and_delete()
    newcomer = FileLock(path)
    came = threading.Event()

    def come() -> None:
        newcomer.acquire(30.0)
        came.set()

    other = threading.Thread(target=come)
    other.start()
    # Either may lock the new file first (the waiter retries at once); never both at a time.
    while not (won.is_set() or came.is_set()):
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(0.2)  # room for the other one to (wrongly) go on as well
    assert not (won.is_set() and came.is_set()), "two holders at once"
    first, second, second_done = (
        (waiter, newcomer, came) if won.is_set() else (newcomer, waiter, won)
    )
    assert first.fd is not None and os.fstat(first.fd).st_ino == os.stat(path).st_ino
    first.release()
    thread.join(30)
    other.join(30)
    assert second_done.is_set()
    assert second.fd is not None and os.fstat(second.fd).st_ino == os.stat(path).st_ino
    second.release()

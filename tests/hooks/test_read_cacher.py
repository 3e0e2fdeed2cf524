"""read_cacher (spec §4.2): fingerprints of complete reads and the `read_unchanged` fact.

The fact lives only for one call, so the sequences run through the real dispatch with the cache
family (`CacheRun`); what is persisted is checked end to end through `Session`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posttool.lib.config import Config
from posttool.lib.paths import project_key
from posttool.lib.schema import new_session
from posttool.lib.state import State
from posttool.lib.stores import ProjectStores
from posttool.lib.text import h
from posttool.runner.dispatch import dispatch
from posttool.runner.normalise import build_event
from posttool.runner.registry import load_registry
from tests.conftest import START, Session, load_fixture, merge

RANGE_READ = {"tool_input": {"offset": 1, "limit": 3}}


def read_of(content: str) -> dict[str, Any]:
    lines = content.count("\n") + 1
    return {
        "tool_response": {
            "file": {"content": content, "numLines": lines, "startLine": 1, "totalLines": lines}
        }
    }


class CacheRun:
    """The cache family over one shared session document and project stores."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.home = str(project.parent / "posttool-home")
        self.doc = new_session("sess", "proj", START)
        self.registry = load_registry(("cache",))
        self.now = START
        self.calls = 0

    def send(self, fixture: str, dt: float = 1.0, **changes: Any) -> State:
        raw = merge(load_fixture(fixture), {"tool_use_id": f"t{self.calls}", **changes})
        raw = _rewrite(raw, "/home/dev/proj", str(self.project))
        self.now += dt
        self.calls += 1
        event = build_event(raw, now=self.now)
        event.set_runner_fact("call_index", self.calls)
        event.freeze()
        stores = ProjectStores(self.home, event.project_key, Config(), self.now)
        state = State(self.doc, Config(), stores, now=self.now, call_index=self.calls)
        try:
            dispatch(self.registry.matching(event.tool_name, event.event_name), event, state)
            stores.save_all()
        finally:
            stores.close()
        return state

    def entries(self) -> dict[str, Any]:
        stores = ProjectStores(self.home, project_key(str(self.project)), Config(), self.now)
        try:
            return stores.entries("read_cache")
        finally:
            stores.close()


def _rewrite(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {k: _rewrite(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, old, new) for v in value]
    return value


def step(fixture: str, dt: float = 1.0, **changes: Any) -> tuple[str, float, dict[str, Any]]:
    return fixture, dt, changes


FIRES = {
    "fixture 02 twice": [step("02"), step("02")],
    "fixture 08 twice (a complete 701-line read)": [step("08"), step("08")],
    "02 twice with a range read of it between": [step("02"), step("02", **RANGE_READ), step("02")],
    "02 twice with a range read that covered the whole file": [
        step("02", **RANGE_READ),
        step("02"),
    ],
    "02 twice with another file read between": [step("02"), step("08"), step("02")],
    "02 twice with a Bash command between": [step("02"), step("05"), step("02")],
    "02 twice, 23 h apart": [step("02"), step("02", dt=23 * 3600.0)],
}

SILENT = {
    "fixture 02 once": [step("02")],
    "fixture 09 twice (range reads)": [step("09"), step("09")],
    "02 → 03 → 02 (invalidated, content differs)": [step("02"), step("03"), step("02")],
    "02 then 02 with other content": [step("02"), step("02", **read_of("print('changed')\n"))],
    "02, the file deleted (07 on it), 02": [
        step("02"),
        step("07", tool_input={"file_path": "/home/dev/proj/app.py"}),
        step("02"),
    ],
    "02 twice, 25 h apart (past the TTL)": [step("02"), step("02", dt=25 * 3600.0)],
    "02 once as a partial range read, then complete": [
        step("02", **merge(RANGE_READ, {"tool_response": {"file": {"numLines": 3}}})),
        step("02"),
    ],
}


@pytest.mark.parametrize("steps", FIRES.values(), ids=FIRES.keys())
def test_fires(project: Path, steps: list) -> None:
    run = CacheRun(project)
    states = [run.send(fixture, dt, **changes) for fixture, dt, changes in steps]
    assert states[-1].call["read_unchanged"] is True
    assert states[-1].call["read_unchanged_age_s"] >= 0
    assert states[0].call["read_unchanged"] is False


@pytest.mark.parametrize("steps", SILENT.values(), ids=SILENT.keys())
def test_silent(project: Path, steps: list) -> None:
    run = CacheRun(project)
    states = [run.send(fixture, dt, **changes) for fixture, dt, changes in steps]
    assert states[-1].call["read_unchanged"] is False
    assert states[-1].call["read_unchanged_age_s"] is None


def test_age_is_time_since_the_fingerprint(project: Path) -> None:
    run = CacheRun(project)
    run.send("02")
    state = run.send("02", dt=90.0)
    assert state.call["read_unchanged_age_s"] == 90.0
    state = run.send("02", dt=5.0)
    assert state.call["read_unchanged_age_s"] == 5.0


def test_store_entry_end_to_end(session: Session) -> None:
    assert "[read_cacher]" not in session.send("02")
    entries = session.store("read_cache")
    key = str(session.project / "app.py")
    content = load_fixture("02")["tool_response"]["file"]["content"]
    assert entries[key] == {
        "path": key,
        "hash": h(content),
        "lines": 6,
        "chars": len(content),
        "read_at": session.now,
        "session": session.session_id,
    }


def test_never_emits(session: Session) -> None:
    for fixture in ("02", "02", "08", "09", "07", "02"):
        assert "[read_cacher]" not in session.send(fixture)


def test_range_read_updates_lines_only(session: Session) -> None:
    session.send("08")
    key = str(session.project / "big.txt")
    before = session.store("read_cache")[key]
    session.send("09", tool_response={"file": {"totalLines": 900}})
    after = session.store("read_cache")[key]
    assert after == {**before, "lines": 900}


def test_range_read_creates_no_entry(session: Session) -> None:
    session.send("09")
    assert session.store("read_cache") == {}


def test_truncated_read_updates_lines_only(session: Session) -> None:
    session.send("02")
    key = str(session.project / "app.py")
    before = session.store("read_cache")[key]
    session.send(
        "02",
        tool_response={"file": {"content": "x\n", "numLines": 2, "totalLines": 3000}},
    )
    assert session.store("read_cache")[key] == {**before, "lines": 3000}


def test_missing_file_failure_drops_the_entry(session: Session) -> None:
    session.send("02")
    assert session.store("read_cache")
    session.send("07", tool_input={"file_path": str(session.project / "app.py")})
    assert session.store("read_cache") == {}


def test_other_failures_keep_the_entry(session: Session) -> None:
    session.send("02")
    session.send(
        "07",
        tool_input={"file_path": str(session.project / "app.py")},
        error="EACCES: permission denied, open 'app.py'",
    )
    assert len(session.store("read_cache")) == 1


def test_fingerprint_is_shared_by_sessions_of_a_project(project: Path, make_session: Any) -> None:
    first = make_session("A")
    first.send("02")
    second = make_session("B")
    second.send("02", now=first.now + 60)
    (entry,) = second.store("read_cache").values()
    assert entry["session"] == "B"


def test_non_text_read_is_ignored(project: Path) -> None:
    run = CacheRun(project)
    image = {"tool_response": {"type": "image", "file": None}}
    run.send("02", **image)
    state = run.send("02", **image)
    assert run.entries() == {}
    assert state.call["read_unchanged"] is False


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.text(max_size=300), second=st.text(max_size=300))
def test_unchanged_exactly_when_content_is_equal(project: Path, first: str, second: str) -> None:
    run = CacheRun(project)
    run.send("02", **read_of(first))
    state = run.send("02", **read_of(second))
    assert state.call["read_unchanged"] is (first == second)

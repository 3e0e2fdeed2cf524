"""Claude Code 1.0.x sends no `tool_use_id` and no `permission_mode`: the real fixtures with
those fields deleted run through every hook, and a call delivered twice is still handled once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Session, fixture_names

OLD_BUILD_MISSING = ("tool_use_id", "permission_mode")


def old_build_event(session: Session, fixture: str) -> dict[str, Any]:
    raw = session.event(fixture)
    for field in OLD_BUILD_MISSING:
        raw.pop(field, None)
    return raw


@pytest.mark.parametrize("fixture", fixture_names())
def test_every_fixture_without_the_new_fields_is_handled(session: Session, fixture: str) -> None:
    raw = old_build_event(session, fixture)
    session.send(raw)
    session.send(old_build_event(session, fixture), now=session.now + 30)
    assert session.doc()["counters"]["calls"] == 2
    log = session.home / "posttool.log"
    assert not log.exists() or "internal error" not in log.read_text()


def test_a_call_delivered_twice_is_handled_once(session: Session) -> None:
    raw = old_build_event(session, "06")
    session.send(raw)
    assert session.send(raw, now=session.now + 0.5) == ""
    assert session.doc()["counters"]["calls"] == 1
    assert "duplicate call (same fingerprint)" in (session.home / "posttool.log").read_text()


def test_the_same_call_made_again_later_counts(session: Session) -> None:
    """Reading an unchanged file twice gives the same event, seconds apart: two real calls."""
    raw = old_build_event(session, "02")
    session.send(raw)
    session.send(raw, now=session.now + 5)
    assert session.doc()["counters"]["calls"] == 2


def test_a_different_call_in_the_window_counts(session: Session) -> None:
    session.send(old_build_event(session, "02"))
    session.send(old_build_event(session, "05"), now=session.now + 0.1)
    assert session.doc()["counters"]["calls"] == 2


def test_exploration_hits_and_replays_without_ids(make_session: Any) -> None:
    first = make_session("A")
    raw = old_build_event(first, "12")
    first.send(raw)
    replay = make_session("B")
    replay.send({**raw, "session_id": "B"}, now=first.now + 1)
    (entry,) = replay.store("exploration_cache").values()
    assert entry["hits"] == 0, "the same event within the window is a replay, not a hit"
    again = make_session("C")
    said = again.send({**raw, "session_id": "C"}, now=first.now + 600)
    (entry,) = again.store("exploration_cache").values()
    assert entry["hits"] == 1
    assert "Same Explore request ran" in said

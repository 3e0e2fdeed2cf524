"""The Event's fields are declared with annotations, one for each slot (mypy reads them)."""

from __future__ import annotations

import pytest

from posttool.lib.event import Event
from posttool.runner.normalise import build_event
from tests.conftest import fixture_names, load_fixture


def test_every_slot_is_annotated() -> None:
    assert set(Event.__annotations__) == set(Event.__slots__)


def test_a_built_event_sets_every_declared_field() -> None:
    for name in fixture_names():
        event = build_event(load_fixture(name), now=1_800_000_000.0)
        unset = [f for f in Event.__annotations__ if f != "_frozen" and not hasattr(event, f)]
        assert not unset, (name, unset)


def test_a_frozen_event_refuses_every_change() -> None:
    event = build_event(load_fixture("02"), now=1.0, environ={})
    event.ok = event.ok  # while building, fields are set freely
    event.freeze()
    with pytest.raises(AttributeError, match="immutable"):
        event.ok = False
    with pytest.raises(AttributeError, match="immutable"):
        event.not_a_field = 1  # type: ignore[attr-defined]
    event.set_runner_fact("call_index", 3)  # the runner's own facts still arrive
    assert event.call_index == 3 and isinstance(event, Event)

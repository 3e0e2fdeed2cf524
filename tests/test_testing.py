"""posttool.testing.call_hook: one hook on a real-shaped event, the Event built as `run` does."""

from __future__ import annotations

import pytest

from posttool.api import Event, Message, State, hook
from posttool.lib.schema import new_session
from posttool.testing import call_hook
from tests.conftest import Session


@hook("css_reminder", matcher="Edit|Write", priority=42)
def css_reminder(event: Event, state: State) -> Message | None:
    if event.ext != ".css" or not state.ready(event.path_key, calls=20):
        return None
    state.mark(event.path_key)
    return Message(f"{event.display_path}: check the rendered page.", "info")


def test_own_hook_fires_on_a_real_css_write(session: Session) -> None:
    message = call_hook(css_reminder, session.event("11"), home=session.home)
    assert message is not None
    assert message.text.endswith("check the rendered page.")
    assert message.severity == "info"


def test_own_hook_ignores_a_python_write(session: Session) -> None:
    assert call_hook(css_reminder, session.event("01"), home=session.home) is None


def test_shared_state_carries_cooldowns_between_calls(session: Session) -> None:
    first = session.event("11")
    state = State(new_session("s", "p", 0.0), home=str(session.home))
    assert call_hook(css_reminder, first, home=session.home, state=state) is not None
    assert call_hook(css_reminder, session.event("11"), home=session.home, state=state) is None


def test_builtin_hook_by_name(session: Session) -> None:
    message = call_hook("state_mutation_guard", session.event("01"), home=session.home)
    assert message is not None
    assert "mutable default" in message.text


def test_unknown_name_and_unmarked_function_are_refused(session: Session) -> None:
    with pytest.raises(KeyError):
        call_hook("no_such_hook", session.event("01"), home=session.home)
    with pytest.raises(TypeError):
        call_hook(len, session.event("01"), home=session.home)

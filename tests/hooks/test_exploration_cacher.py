"""exploration_cacher (spec §4.1): answers of Explore agents per project; notice on a repeat."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posttool.hooks.cache import exploration_key
from tests.conftest import Session, write_config

LABEL = "[exploration_cacher]"
GENERAL = {
    "tool_input": {"subagent_type": "general-purpose"},
    "tool_response": {"agentType": "general-purpose"},
}
BACKGROUND = {
    "tool_input": {"run_in_background": True},
    "tool_response": {"status": "async_launched", "content": None},
}


def step(fixture: str, dt: float = 60.0, **changes: Any) -> tuple[str, float, dict[str, Any]]:
    return fixture, dt, changes


def play(session: Session, steps: list[tuple[str, float, dict[str, Any]]]) -> list[str]:
    answers = []
    for fixture, dt, changes in steps:
        answers.append(session.send(fixture, now=session.now + dt, **changes))
    return answers


FIRES = {
    "fixture 12, then again 5 calls later": [
        step("12"),
        step("05"),
        step("05"),
        step("05"),
        step("05"),
        step("12"),
    ],
    "fixture 12 twice as the older Task tool": [
        step("12", tool_name="Task"),
        step("12", tool_name="Task"),
    ],
    "agent type compared case-insensitively": [
        step("12"),
        step("12", tool_input={"subagent_type": "explore"}, tool_response={"agentType": "explore"}),
    ],
    "same prompt with different whitespace": [
        step("12"),
        step("12", tool_input={"prompt": "  Find where\n add   is defined "}),
    ],
    "a repeat after the cooldown has passed": [
        step("12"),
        step("12"),
        step("12", dt=3601.0),
    ],
}

SILENT = {
    "fixture 12 once (stored only)": [step("12")],
    "general-purpose agent twice": [step("12", **GENERAL), step("12", **GENERAL)],
    "background agent twice (no result)": [step("12", **BACKGROUND), step("12", **BACKGROUND)],
    "two different prompts": [step("12"), step("12", tool_input={"prompt": "Find where sub is"})],
    "third run within the cooldown": [step("12"), step("12"), step("12", dt=600.0)],
    "answer shorter than min_result_chars": [
        step("12", tool_response={"content": [{"type": "text", "text": "in app.py"}]}),
        step("12", tool_response={"content": [{"type": "text", "text": "in app.py"}]}),
    ],
    "repeat after the store's TTL expired": [step("12"), step("12", dt=86401.0)],
    "general-purpose after an Explore with the same prompt": [step("12"), step("12", **GENERAL)],
}


@pytest.mark.parametrize("steps", FIRES.values(), ids=FIRES.keys())
def test_fires(session: Session, steps: list) -> None:
    answers = play(session, steps)
    assert LABEL in answers[-1]
    assert "Same " in answers[-1] and "request ran" in answers[-1]
    assert '"add is defined in app.py"' in answers[-1]
    assert all(LABEL not in answer for answer in answers[:1])


@pytest.mark.parametrize("steps", SILENT.values(), ids=SILENT.keys())
def test_silent(session: Session, steps: list) -> None:
    answers = play(session, steps)
    assert LABEL not in answers[-1]


def test_notice_names_age_and_answer(session: Session) -> None:
    session.send("12")
    for _ in range(4):
        session.send("05", now=session.now + 60)
    text = session.send("12", now=session.now + 60)
    assert (
        '[exploration_cacher] Same Explore request ran 5 min ago; its answer began: "add is '
        'defined in app.py". Reuse earlier exploration answers instead of repeating identical '
        "requests."
    ) in text
    assert "earlier session" not in text


def test_other_session_of_the_same_project(session: Session, make_session: Any) -> None:
    session.send("12")
    other = make_session("B")
    text = other.send("12", now=session.now + 7200)
    assert "ran 2 h ago in an earlier session" in text


def test_entry_fields_follow_the_store_schema(session: Session) -> None:
    session.send("12")
    entries = session.store("exploration_cache")
    assert len(entries) == 1
    ((key, entry),) = entries.items()
    assert key == exploration_key("Explore", "Find where add is defined")
    assert set(entry) == {
        "agent_type",
        "prompt",
        "result",
        "stored_at",
        "session",
        "tool_use_id",
        "hits",
    }
    assert entry["result"] == "add is defined in app.py"
    assert entry["stored_at"] == session.now
    assert entry["session"] == session.session_id
    assert entry["hits"] == 0
    session.send("12")
    session.send("12")
    assert session.store("exploration_cache")[key]["hits"] == 2


def test_long_prompt_and_result_are_capped(session: Session) -> None:
    prompt = "explore " * 200
    result = "x" * 8000
    session.send(
        "12",
        tool_input={"prompt": prompt},
        tool_response={"content": [{"type": "text", "text": result}]},
    )
    (entry,) = session.store("exploration_cache").values()
    assert len(entry["prompt"]) == 500
    assert len(entry["result"]) == 5000


def test_quote_is_one_line_and_cut(session: Session) -> None:
    result = "first line\n" + "word " * 100
    changes = {"tool_response": {"content": [{"type": "text", "text": result}]}}
    session.send("12", **changes)
    text = session.send("12", **changes)
    quote = text.split('began: "', 1)[1].split('". Reuse', 1)[0]
    assert "\n" not in quote
    assert len(quote) == 200 and quote.endswith("…")


def test_notify_duplicates_off(session: Session) -> None:
    write_config(session.home, {"exploration_cacher": {"notify_duplicates": False}})
    session.send("12")
    assert LABEL not in session.send("12")
    assert session.store("exploration_cache")  # still cached


def test_configured_agent_types(session: Session) -> None:
    write_config(session.home, {"exploration_cacher.agent_types": ["general-purpose"]})
    session.send("12", **GENERAL)
    assert LABEL in session.send("12", **GENERAL)
    session.send("12")
    assert LABEL not in session.send("12")


def test_sub_agent_event_still_cached(session: Session) -> None:
    session.send("12", agent_id="sub-1", agent_type="general-purpose")
    assert len(session.store("exploration_cache")) == 1


@given(
    words=st.lists(st.text(alphabet="abcXYZ_.()", min_size=1, max_size=8), min_size=1, max_size=8),
    seps=st.lists(st.sampled_from([" ", "  ", "\n", "\t", " \n "]), min_size=8, max_size=8),
)
def test_key_ignores_whitespace_layout(words: list[str], seps: list[str]) -> None:
    plain = " ".join(words)
    spaced = "".join(word + sep for word, sep in zip(words, seps, strict=False))
    assert exploration_key("Explore", plain) == exploration_key("EXPLORE", "\n" + spaced)


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_key_separates_different_prompts(a: str, b: str) -> None:
    if " ".join(a.split()) != " ".join(b.split()):
        assert exploration_key("Explore", a) != exploration_key("Explore", b)


def test_replayed_call_is_neither_a_duplicate_nor_a_hit(make_session: Any) -> None:
    first = make_session("A")
    raw = first.event("12")
    first.send(raw)
    second = make_session("B")
    assert LABEL not in second.send({**raw, "session_id": "B"}, now=first.now + 60)
    (entry,) = second.store("exploration_cache").values()
    assert entry["hits"] == 0

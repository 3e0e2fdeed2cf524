"""Issue 7 §3 in the runner: a thing is said once per session, and the answer's budget keeps
the most severe messages (ruff findings before any lower-severity note)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from posttool.lib.config import Config
from posttool.lib.message import Message
from posttool.lib.schema import new_session
from posttool.runner.merge import compose, fact_key, remember, unsaid, without_numbers
from tests.conftest import Session, write_config
from tests.hooks.quality_payloads import labelled, write


def msg(hook: str, text: str, severity: str = "info", priority: int = 50, key: str | None = None):
    message = Message(text, severity, key=key)
    message.hook = hook
    message.priority = priority
    message.label = hook
    return message


# --- once per session ---------------------------------------------------------------------


def test_numbers_are_not_facts() -> None:
    assert without_numbers("12 reads in 3.5 s") == "# reads in #.# s"
    a = msg("info_gain_tracker", "12 reads since the last edit")
    b = msg("info_gain_tracker", "24 reads since the last edit")
    assert fact_key(a) == fact_key(b)
    assert fact_key(a) != fact_key(msg("velocity_tracker", a.text))  # per hook


def test_a_key_names_the_facts() -> None:
    a = msg("verification_reminder", "5 edits", key="unverified:3")
    assert fact_key(a) != fact_key(msg("verification_reminder", "5 edits", key="unverified:9"))
    assert fact_key(a) == fact_key(msg("verification_reminder", "7 edits", key="unverified:3"))


def test_what_was_shown_is_not_said_again() -> None:
    doc = new_session("s", "k", 0.0)
    first = [msg("a", "Read x.py with offset/limit."), msg("b", "Run `make test`.")]
    _, shown = compose(unsaid(first, doc), Config())
    remember(shown, doc, 1.0, 1)
    again = [msg("a", "Read x.py with offset/limit."), msg("b", "Run `make lint`.")]
    assert [m.text for m in unsaid(again, doc)] == ["Run `make lint`."]


def test_a_message_dropped_by_the_budget_can_still_be_said() -> None:
    doc = new_session("s", "k", 0.0)
    write_config_free = Config({"output.max_chars": 200})
    big = msg("a", "x" * 150, "action")
    small = msg("b", "y" * 60, "info")
    _, shown = compose(unsaid([big, small], doc), write_config_free)
    remember(shown, doc, 1.0, 1)
    assert shown == [big]
    assert unsaid([msg("b", "y" * 60)], doc)  # not shown, so not said


@given(st.lists(st.sampled_from(["a 1", "a 2", "b", "c 3 x"]), max_size=12))
def test_nothing_is_shown_twice(texts: list[str]) -> None:
    doc = new_session("s", "k", 0.0)
    said: set[str] = set()
    for index, text in enumerate(texts, 1):
        _, shown = compose(unsaid([msg("h", text)], doc), Config())
        remember(shown, doc, float(index), index)
        for message in shown:
            facts = without_numbers(message.text)
            assert facts not in said
            said.add(facts)


def test_the_memory_is_capped_with_the_cooldowns(session: Session) -> None:
    write_config(session.home, {"state": {"caps": {"cooldowns": 5}}})
    for n in range(12):
        session.send("03", tool_input={"file_path": str(session.project / f"m{n}.py")})
    assert len(session.doc()["cooldowns"]) <= 5


def test_a_session_is_told_a_large_file_fact_once(session: Session) -> None:
    """A real-shaped sequence: the same 701-line file read whole four times."""
    answers = [session.send("08") for _ in range(4)]
    told = [n for n, answer in enumerate(answers, 1) if "[large_file_helper]" in answer]
    assert told == [2]


# --- the budget -----------------------------------------------------------------------------

RUFF = msg(
    "quality_scanner",
    "app.py: 2 new ruff findings\n- L1 F401 `os` imported but unused\n- L9 E501 Line too long",
    "warn",
    36,
)


def test_ruff_findings_are_never_dropped_for_lower_severity_notes() -> None:
    notes = [msg(f"n{i}", f"note {i}: " + "z" * 150, "info", 10 + i) for i in range(8)]
    text, shown = compose([*notes, RUFF], Config({"output.max_chars": 400}))
    assert RUFF in shown
    assert text.startswith("[quality_scanner] app.py: 2 new ruff findings")
    assert all(m.severity != "info" or m in shown for m in shown)
    assert len(text) <= 400


@given(st.lists(st.sampled_from(["action", "warn", "info"]), max_size=8), st.integers(200, 1500))
def test_no_ruff_finding_gives_way_to_a_lower_severity(severities: list[str], budget: int) -> None:
    others = [msg(f"h{i}", "w" * 180, sev, i) for i, sev in enumerate(severities)]
    _, shown = compose([*others, RUFF], Config({"output.max_chars": budget}))
    if RUFF not in shown:
        assert not any(m.severity == "info" for m in shown)


def test_the_default_budget_is_1000(session: Session) -> None:
    notes = [msg(f"n{i}", "q" * 300, "info", i) for i in range(6)]
    text, _ = compose(notes, Config())
    assert len(text) <= 1000


def test_a_real_write_keeps_its_ruff_finding_under_a_small_budget(session: Session) -> None:
    """Fixture 01's code, on disk so ruff lints it: the unused import (action) and the mutable
    default (warn) do not both fit in 200 units; the ruff finding is the one kept."""
    write_config(session.home, {"output": {"max_chars": 200}})
    code = "import os\n\n\ndef add(b=[]):\n    b.append(1)\n    return b\n"
    (session.project / "app.py").write_text(code)
    out = write(session, "app.py", code)
    assert labelled(out, "quality_scanner")

"""info_gain_tracker (spec §4.22): long runs of reading and searching with no action."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posttool.hooks.tracking import info_gain_tracker
from posttool.lib.config import Config
from posttool.lib.schema import new_session
from posttool.lib.state import State
from posttool.runner.normalise import build_event
from tests.conftest import START, Session, load_fixture, merge, write_config

LABEL = "[info_gain_tracker]"
SUB_AGENT = {"agent_id": "sub-1", "agent_type": "Explore"}
PLAN = {"permission_mode": "plan"}


def read(n: int, **extra: Any) -> tuple[str, dict[str, Any]]:
    path = f"src/mod{n}.py"
    return "02", merge(
        {
            "tool_input": {"file_path": path},
            "tool_response": {"file": {"filePath": path, "content": f"x = {n}\n"}},
        },
        extra,
    )


def reads(count: int, start: int = 0, **extra: Any) -> list[tuple[str, dict[str, Any]]]:
    return [read(n, **extra) for n in range(start, start + count)]


def bash(command: str) -> tuple[str, dict[str, Any]]:
    return "05", {"tool_input": {"command": command}}


def tool(name: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    return "05", merge({"tool_name": name, "tool_input": {"command": None}}, extra)


WEB_SEARCH = tool("WebSearch", tool_input={"query": "python import"}, tool_response={})
WEB_FETCH = tool(
    "WebFetch",
    tool_input={"url": "https://example.com"},
    tool_response={"code": 200, "result": "page"},
)

FIRES = {
    "20 consecutive Reads of distinct files": reads(20),
    "eleven reads of one unchanged file (1 + 10 × 2)": [("02", {})] * 11,
    "20 mixed reads, searches, web and read-only Bash": [
        *reads(12),
        ("05", {}),
        bash("git status"),
        WEB_SEARCH,
        WEB_FETCH,
        tool("Grep", tool_input={"pattern": "add"}),
        tool("Glob", tool_input={"pattern": "*.py"}),
        ("07", {}),
        bash("rg add"),
    ],
    "a reset, then 20 reads": [*reads(8), ("03", {}), *reads(20, start=20)],
    "20 reads with calls that neither count nor reset": [
        *reads(10),
        tool("mcp__db__query", tool_response={"rows": 1}),
        *reads(10, start=10),
    ],
}

SILENT = {
    "fixtures 02 → 03 (reset)": [("02", {}), ("03", {})],
    "19 reads": reads(19),
    "30 Reads in plan mode": reads(30, **PLAN),
    "19 reads, an edit, 19 reads": [*reads(19), ("03", {}), *reads(19, start=19)],
    "19 reads, a command that is not read-only, 19 reads": [
        *reads(19),
        bash("python app.py"),
        *reads(19, start=19),
    ],
    "19 reads, a failed command, 19 reads": [*reads(19), ("06", {}), *reads(19, start=19)],
    "19 reads, an Agent call, 19 reads": [*reads(19), ("12", {}), *reads(19, start=19)],
    "19 reads, a TodoWrite, 19 reads": [
        *reads(19),
        tool("TodoWrite", tool_response={"newTodos": []}),
        *reads(19, start=19),
    ],
    "19 reads, AskUserQuestion, 19 reads": [
        *reads(19),
        tool("AskUserQuestion"),
        *reads(19, start=19),
    ],
    "19 reads, an answer (a new prompt), 19 reads": [
        *reads(19),
        *reads(19, start=19, prompt_id="the-next-prompt"),
    ],
    "the 21st read after the notice at 20": reads(21),
    "40 reads: once per streak": reads(40),
    "20 reads inside a sub-agent": reads(20, **SUB_AGENT),
}


@pytest.mark.parametrize("steps", FIRES.values(), ids=FIRES.keys())
def test_fires(session: Session, steps: list) -> None:
    answers = session.play(steps)
    assert LABEL in answers[-1]


@pytest.mark.parametrize("steps", SILENT.values(), ids=SILENT.keys())
def test_silent(session: Session, steps: list) -> None:
    answers = session.play(steps)
    assert LABEL not in answers[-1]


def line_of(answer: str) -> str:
    return next(line for line in answer.splitlines() if line.startswith(LABEL))


def test_message_lists_files(session: Session) -> None:
    answers = session.play(reads(20))
    assert line_of(answers[-1]) == (
        "[info_gain_tracker] 20 reads/searches with no edit or command (last: `src/mod17.py`, "
        "`src/mod18.py`, `src/mod19.py`, …). Act on what you know, or name the one question the "
        "next read must answer."
    )


def test_message_without_files(session: Session) -> None:
    answers = session.play([bash(f"cat f{n}.txt") for n in range(20)])
    assert line_of(answers[-1]).startswith(
        "[info_gain_tracker] 20 reads/searches with no edit or command. Act on"
    )


def test_fires_once_per_streak_and_again_after_progress(session: Session) -> None:
    answers = session.play([*reads(30), ("03", {}), *reads(20, start=30)])
    fired = [n for n, answer in enumerate(answers, 1) if LABEL in answer]
    assert fired == [20, 51]
    doc = session.doc()["info_gain"]
    assert doc["reads_since_progress"] == 20
    assert doc["warned_at"] == 20


def test_unchanged_rereads_weigh_double(session: Session) -> None:
    answers = session.play([("02", {})] * 11)
    assert [LABEL in answer for answer in answers] == [False] * 10 + [True]
    assert line_of(answers[-1]).startswith(
        "[info_gain_tracker] 11 reads/searches with no edit or command (last: `app.py`). "
    )
    assert session.doc()["info_gain"]["files"] == ["app.py"]


def test_progress_resets_the_section(session: Session) -> None:
    session.play(reads(5))
    session.play([("01", {})])
    assert session.doc()["info_gain"] == {
        "reads_since_progress": 0,
        "files": [],
        "warned_at": 0,
        "calls": 0,
    }


def test_failed_write_is_not_progress(session: Session) -> None:
    failed = {"hook_event_name": "PostToolUseFailure", "tool_response": None, "error": "denied"}
    session.play([*reads(5), ("03", failed)])
    assert session.doc()["info_gain"]["reads_since_progress"] == 5


def test_plan_mode_can_be_counted(session: Session) -> None:
    write_config(session.home, {"info_gain_tracker.skip_in_plan_mode": False})
    answers = session.play(reads(20, **PLAN))
    assert LABEL in answers[-1]


def test_configured_threshold(session: Session) -> None:
    write_config(session.home, {"info_gain_tracker": {"warn_reads": 3}})
    answers = session.play(reads(6))
    assert [LABEL in answer for answer in answers] == [False, False, True, False, False, False]


# --- model-based: the counter over arbitrary sequences, hook called directly --------------

KINDS = ["read", "reread", "search", "edit", "command", "inspect", "mcp"]


def raw_for(kind: str) -> dict[str, Any]:
    if kind in ("read", "reread"):
        return load_fixture("02")
    if kind == "search":
        return merge(load_fixture("05"), {"tool_name": "Grep", "tool_input": {"pattern": "x"}})
    if kind == "edit":
        return load_fixture("03")
    if kind == "command":
        return merge(load_fixture("05"), {"tool_input": {"command": "make"}})
    if kind == "inspect":
        return load_fixture("05")
    return merge(load_fixture("05"), {"tool_name": "mcp__x__y"})


@given(st.lists(st.sampled_from(KINDS), max_size=60))
def test_fires_once_when_the_counter_reaches_20(kinds: list[str]) -> None:
    doc = new_session("s", "k", START)
    count = warned = 0
    read_in_streak = False  # both read kinds read app.py
    for index, kind in enumerate(kinds, 1):
        event = build_event(merge(raw_for(kind), {"cwd": "/p"}), now=START + index)
        event.set_runner_fact("call_index", index)
        event.set_runner_fact("new_turn", False)
        state = State(doc, Config(), now=START + index, call_index=index)
        state.hook = "info_gain_tracker"
        state.call["read_unchanged"] = kind == "reread"
        message = info_gain_tracker(event, state)
        if kind in ("edit", "command"):
            count = warned = 0
            read_in_streak = False
        elif kind != "mcp":
            count += 2 if kind == "reread" and read_in_streak else 1
            read_in_streak = read_in_streak or kind in ("read", "reread")
        expected = count >= 20 and not warned
        if expected:
            warned = count
        assert (message is not None) is expected
        if message is not None:
            assert message.severity == "info"
        assert doc["info_gain"]["reads_since_progress"] == count


def test_files_read_in_an_earlier_session_are_not_rereads(
    session: Session, make_session: Any
) -> None:
    """The read cache is the project's: a first read in this session of a file read yesterday
    (or by a sub-agent) is a read, not an unchanged re-read worth double."""
    session.play(reads(10))
    later = make_session("sess-later")
    answers = later.play([*reads(10), *reads(9, start=10)])
    assert not any(LABEL in answer for answer in answers)
    assert LABEL in later.play([read(19)])[0]

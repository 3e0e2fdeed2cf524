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
    "12 consecutive Reads of distinct files": reads(12),
    "seven reads of one unchanged file (1 + 6 × 2)": [("02", {})] * 7,
    "12 mixed reads, searches, web and read-only Bash": [
        *reads(4),
        ("05", {}),
        bash("git status"),
        WEB_SEARCH,
        WEB_FETCH,
        tool("Grep", tool_input={"pattern": "add"}),
        tool("Glob", tool_input={"pattern": "*.py"}),
        ("07", {}),
        bash("rg add"),
    ],
    "a reset, then 12 reads": [*reads(8), ("03", {}), *reads(12, start=20)],
    "24 reads (the second notice)": reads(24),
    "12 reads with calls that neither count nor reset": [
        *reads(6),
        tool("mcp__db__query", tool_response={"rows": 1}),
        *reads(6, start=6),
    ],
}

SILENT = {
    "fixtures 02 → 03 (reset)": [("02", {}), ("03", {})],
    "11 reads": reads(11),
    "30 Reads in plan mode": reads(30, **PLAN),
    "11 reads, an edit, 11 reads": [*reads(11), ("03", {}), *reads(11, start=11)],
    "11 reads, a command that is not read-only, 11 reads": [
        *reads(11),
        bash("python app.py"),
        *reads(11, start=11),
    ],
    "11 reads, a failed command, 11 reads": [*reads(11), ("06", {}), *reads(11, start=11)],
    "11 reads, an Agent call, 11 reads": [*reads(11), ("12", {}), *reads(11, start=11)],
    "11 reads, a TodoWrite, 11 reads": [
        *reads(11),
        tool("TodoWrite", tool_response={"newTodos": []}),
        *reads(11, start=11),
    ],
    "11 reads, AskUserQuestion, 11 reads": [
        *reads(11),
        tool("AskUserQuestion"),
        *reads(11, start=11),
    ],
    "the 13th read after the notice at 12": reads(13),
    "12 reads inside a sub-agent": reads(12, **SUB_AGENT),
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
    answers = session.play(reads(12))
    assert line_of(answers[-1]) == (
        "[info_gain_tracker] 12 read/search calls since the last edit or command (`src/mod8.py`, "
        "`src/mod9.py`, `src/mod10.py`, `src/mod11.py`, …). If you know enough, act; otherwise "
        "name the one question the next read must answer."
    )


def test_message_without_files(session: Session) -> None:
    answers = session.play([bash(f"cat f{n}.txt") for n in range(12)])
    assert line_of(answers[-1]).startswith(
        "[info_gain_tracker] 12 read/search calls since the last edit or command. If you know"
    )


def test_fires_at_12_and_24_and_warns_from_20(session: Session) -> None:
    answers = session.play(reads(30))
    fired = [n for n, answer in enumerate(answers, 1) if LABEL in answer]
    assert fired == [12, 24]
    doc = session.doc()["info_gain"]
    assert doc["reads_since_progress"] == 30
    assert doc["warned_at"] == 24
    assert len(doc["files"]) == 10


def test_unchanged_rereads_weigh_double(session: Session) -> None:
    answers = session.play([("02", {})] * 7)
    assert [LABEL in answer for answer in answers] == [False] * 6 + [True]
    assert line_of(answers[-1]).startswith(
        "[info_gain_tracker] 13 read/search calls since the last edit or command (`app.py`). "
    )
    assert session.doc()["info_gain"]["files"] == ["app.py"]


def test_progress_resets_the_section(session: Session) -> None:
    session.play(reads(5))
    session.play([("01", {})])
    assert session.doc()["info_gain"] == {"reads_since_progress": 0, "files": [], "warned_at": 0}


def test_failed_write_is_not_progress(session: Session) -> None:
    failed = {"hook_event_name": "PostToolUseFailure", "tool_response": None, "error": "denied"}
    session.play([*reads(5), ("03", failed)])
    assert session.doc()["info_gain"]["reads_since_progress"] == 5


def test_plan_mode_can_be_counted(session: Session) -> None:
    write_config(session.home, {"info_gain_tracker.skip_in_plan_mode": False})
    answers = session.play(reads(12, **PLAN))
    assert LABEL in answers[-1]


def test_configured_thresholds(session: Session) -> None:
    write_config(session.home, {"info_gain_tracker": {"warn_reads": 3, "strong_reads": 6}})
    answers = session.play(reads(6))
    assert [LABEL in answer for answer in answers] == [False, False, True, False, False, True]


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
def test_fires_exactly_when_the_counter_passes_each_step_of_12(kinds: list[str]) -> None:
    doc = new_session("s", "k", START)
    count = warned = 0
    for index, kind in enumerate(kinds, 1):
        event = build_event(merge(raw_for(kind), {"cwd": "/p"}), now=START + index)
        event.set_runner_fact("call_index", index)
        state = State(doc, Config(), now=START + index, call_index=index)
        state.hook = "info_gain_tracker"
        state.call["read_unchanged"] = kind == "reread"
        message = info_gain_tracker(event, state)
        if kind in ("edit", "command"):
            count = warned = 0
        elif kind != "mcp":
            count += 2 if kind == "reread" else 1
        expected = count >= 12 and count >= warned + 12
        if expected:
            warned = count
        assert (message is not None) is expected
        if message is not None:
            assert message.severity == ("warn" if count >= 20 else "info")
        assert doc["info_gain"]["reads_since_progress"] == count

"""velocity_tracker (spec §4.21): undone edits, churn, repeated failures and re-reads."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posttool.hooks.tracking import velocity_tracker
from posttool.lib.config import Config
from posttool.lib.schema import new_session
from posttool.lib.state import State
from posttool.runner.normalise import build_event
from tests.conftest import START, Session, load_fixture, merge, write_config
from tests.hooks.records import tool_record

LABEL = "[velocity_tracker]"
SUB_AGENT = {"agent_id": "sub-1", "agent_type": "general-purpose"}


def edit(old: str, new: str, path: str = "app.py", **extra: Any) -> tuple[str, dict[str, Any]]:
    return "03", merge(
        {
            "tool_input": {"file_path": path, "old_string": old, "new_string": new},
            "tool_response": {"filePath": path, "oldString": old, "newString": new},
        },
        extra,
    )


def fail(error: str, command: str = "python3 app.py") -> tuple[str, dict[str, Any]]:
    return "06", {"tool_input": {"command": command}, "error": error}


def read(path: str = "app.py", **extra: Any) -> tuple[str, dict[str, Any]]:
    return "02", merge(
        {"tool_input": {"file_path": path}, "tool_response": {"file": {"filePath": path}}}, extra
    )


F06 = ("06", {})
F02 = ("02", {})
GREP_MISS = ("06", {"tool_input": {"command": "grep -q foo app.py"}, "error": "Exit code 1"})
INTERRUPT = ("06", {"is_interrupt": True})

FIRES = {
    "fixture 06 three times (repeat_error, no edits)": [F06, F06, F06],
    "06, edit, 06, edit, 06 (repeat_error after edits)": [
        F06,
        edit("a", "b"),
        F06,
        edit("b", "c"),
        F06,
    ],
    "06 three times with reads between": [F06, F02, F06, ("05", {}), F06],
    "fixture 02 three times (reread)": [F02, F02, F02],
    "02 three times with other calls between": [F02, ("05", {}), F02, read("big.txt"), F02],
    "Edit x→y then y→x (back_and_forth)": [edit("x", "y"), edit("y", "x")],
    "a line of code added, then taken out again": [
        edit("x = f()", "x = f()\nx = normalise(x)"),
        edit("x = f()\nx = normalise(x)", "x = f()"),
    ],
    "Write update undoing an earlier Write": [
        ("04", {}),
        (
            "04",
            {
                "tool_input": {"content": "import os\n"},
                "tool_response": {
                    "content": "import os\n",
                    "originalFile": "def add(a, b=None):\n    return [a]\n",
                },
            },
        ),
        ("04", {"tool_response": {"originalFile": "import os\n"}}),
    ],
    "4 edits of one file while commands fail (churn)": [
        edit("a", "b"),
        fail("Exit code 1\nValueError: x"),
        edit("b", "c"),
        fail("Exit code 1\nKeyError: y"),
        edit("c", "d"),
        edit("d", "e"),
    ],
}

SILENT = {
    "fixtures 02 → 03 → 02 (an edit between)": [F02, ("03", {}), F02],
    "02, 02, 03, 02 (reads after the edit start over)": [F02, F02, ("03", {}), F02],
    "fixture 06 twice": [F06, F06],
    "fixture 02 twice": [F02, F02],
    "three different failures": [
        fail("Exit code 1\nValueError: a"),
        fail("Exit code 1\nKeyError: b"),
        fail("Exit code 1\nTypeError: c"),
    ],
    "06 three times, more than 12 calls apart": [
        F06,
        *[("05", {})] * 6,
        F06,
        *[("05", {})] * 5,
        F06,
    ],
    "06 three times inside a sub-agent": [("06", SUB_AGENT)] * 3,
    "benign grep miss three times": [GREP_MISS] * 3,
    "interrupted 06 three times": [INTERRUPT] * 3,
    "02 three times as partial range reads": [
        read(tool_input={"offset": 1, "limit": 2}, tool_response={"file": {"numLines": 2}})
    ]
    * 3,
    "02 three times with different content": [
        read(tool_response={"file": {"content": f"v = {n}\n", "numLines": 2, "totalLines": 2}})
        for n in range(3)
    ],
    "4 edits of one file with no failures": [
        edit("a", "b"),
        edit("b", "c"),
        edit("c", "d"),
        edit("d", "e"),
    ],
    "4 edits spread over 4 files while commands fail": [
        edit("a", "b", "a.py"),
        F06,
        edit("b", "c", "b.py"),
        F06,
        edit("c", "d", "c.py"),
        edit("d", "e", "d.py"),
    ],
    "Edit x→y then y→z": [edit("x", "y"), edit("y", "z")],
    "Edit x→y in one file, y→x in another": [edit("x", "y", "a.py"), edit("y", "x", "b.py")],
    "fixture 05 five times (not a detector)": [("05", {})] * 5,
    # Issue 7: what a sub-agent read or ran is not in the main model's context.
    "02 by the main model, twice by a sub-agent, once more by the main": [
        F02,
        read(**SUB_AGENT),
        read(**SUB_AGENT),
        F02,
    ],
    "a debug print added, then taken out again (cleanup)": [
        edit("x = f()", "x = f()\nprint('x =', x)"),
        edit("x = f()\nprint('x =', x)", "x = f()"),
    ],
    "06 twice in a sub-agent, then once in the main model": [
        ("06", SUB_AGENT),
        ("06", SUB_AGENT),
        F06,
    ],
}


@pytest.mark.parametrize("steps", FIRES.values(), ids=FIRES.keys())
def test_fires(session: Session, steps: list) -> None:
    answers = session.play(steps)
    assert LABEL in answers[-1]
    assert not any(LABEL in answer for answer in answers[:-1])


@pytest.mark.parametrize("steps", SILENT.values(), ids=SILENT.keys())
def test_silent(session: Session, steps: list) -> None:
    answers = session.play(steps)
    assert not any(LABEL in answer for answer in answers)


def line_of(answer: str) -> str:
    return next(line for line in answer.splitlines() if line.startswith(LABEL))


def test_repeat_error_without_edits_message(session: Session) -> None:
    answers = session.play([F06, F06, F06])
    assert line_of(answers[-1]) == (
        "[velocity_tracker] The same failure 3 times: `ModuleNotFoundError: No module named "
        "'nosuchmod'`. Re-running will not change it; change something first."
    )


def test_repeat_error_with_edits_message(session: Session) -> None:
    answers = session.play([F06, edit("a", "b"), F06, edit("b", "c"), F06])
    assert line_of(answers[-1]).startswith(
        "[velocity_tracker] 3 edit→run cycles ended in the same error: `ModuleNotFoundError: "
        "No module named 'nosuchmod'`. Re-read the full error and check the assumption"
    )


def test_reread_message(session: Session) -> None:
    answers = session.play([F02, ("05", {}), F02, F02])
    assert line_of(answers[-1]) == (
        "[velocity_tracker] app.py was read 3 times in 4 calls and has not changed; work from "
        "what you already read."
    )


def test_back_and_forth_message(session: Session) -> None:
    answers = session.play([edit("x", "y"), ("05", {}), ("05", {}), edit("y", "x")])
    assert line_of(answers[-1]) == (
        "[velocity_tracker] app.py: this edit undoes the one from 3 calls ago. Decide which "
        "version is right, and why, before editing again."
    )


def test_churn_message(session: Session) -> None:
    steps = FIRES["4 edits of one file while commands fail (churn)"]
    answers = session.play(steps)
    assert line_of(answers[-1]).startswith(
        "[velocity_tracker] app.py edited 4 times in the last 10 calls while commands keep "
        "failing. Step back:"
    )


def test_the_same_failure_is_said_once_per_session(session: Session) -> None:
    """Issue 7 §3: past the 10-call cooldown the same text is not said again."""
    answers = session.play([F06] * 14)
    fired = [n for n, answer in enumerate(answers, 1) if LABEL in answer]
    assert fired == [3]


def test_config_window(session: Session) -> None:
    write_config(session.home, {"velocity_tracker": {"repeat_error_count": 2}})
    answers = session.play([F06, F06])
    assert "The same failure 2 times" in answers[-1]


def test_does_not_read_files(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    session.play([F02, F02])
    real_open = builtins.open
    opened: list[str] = []

    def spy(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    answer = session.send("02")
    assert LABEL in answer
    assert not any(path.endswith("app.py") for path in opened)


# --- unit level: hand-built state ---------------------------------------------------------


def run_hook(raw: dict[str, Any], records: list[dict[str, Any]], **facts: Any) -> Any:
    call_index = records[-1]["c"]
    event = build_event(merge(raw, {"cwd": "/p"}), now=START)
    event.set_runner_fact("call_index", call_index)
    state = State(new_session("s", "k", START), Config(), now=START, call_index=call_index)
    state.doc["recent_tools"] = records
    state.call.update(facts)
    state.hook = "velocity_tracker"
    return velocity_tracker(event, state)


def test_unit_repeat_error_counts_only_the_window() -> None:
    raw = load_fixture("06")
    sig = "bash:valueerror: x"
    records = [
        tool_record(1, sig=sig),
        *[tool_record(c) for c in range(2, 12)],
        tool_record(12, sig=sig),
        tool_record(13, sig=sig, ok=False),
    ]
    assert run_hook(raw, records, error_sig=sig) is None  # c=1 is outside the last 12
    records[1]["sig"] = sig
    message = run_hook(raw, records, error_sig=sig)
    assert message is not None and message.severity == "action"


def test_unit_reread_needs_the_unchanged_fact() -> None:
    raw = merge(load_fixture("02"), {"tool_input": {"file_path": "/p/app.py"}})
    records = [
        tool_record(c, tool="Read", fam="read", path="/p/app.py", kinds=[]) for c in (1, 2, 3)
    ]
    assert run_hook(raw, records, read_unchanged=False) is None
    message = run_hook(raw, records, read_unchanged=True)
    assert message is not None and message.severity == "info"


def test_unit_back_and_forth_is_warn() -> None:
    raw = merge(load_fixture("03"), {"tool_input": {"file_path": "/p/app.py"}})
    records = [tool_record(c, tool="Edit", fam="edit", path="/p/app.py") for c in (4, 9)]
    message = run_hook(raw, records, revert_of=4)
    assert message is not None and message.severity == "warn"
    assert "undoes the one from 5 calls ago" in message.text


# --- property: any repeated error, through the real state_updater --------------------------


class Replay:
    """state_updater and the tracking family over one in-memory session document."""

    def __init__(self) -> None:
        from posttool.runner.registry import load_registry

        self.doc = new_session("s", "k", START)
        self.registry = load_registry(("state", "tracking"))
        self.now = START

    def fail(self, error: str) -> str | None:
        """Send a failing Bash call; velocity_tracker's text, if it spoke."""
        from posttool.runner.dispatch import dispatch
        from posttool.runner.run import number_call

        self.now += 1
        raw = merge(load_fixture("06"), {"cwd": "/p", "error": error})
        event = build_event(raw, now=self.now)
        number_call(event, self.doc, Config())
        event.freeze()
        state = State(self.doc, Config(), now=self.now, call_index=event.call_index)
        messages = dispatch(self.registry.matching(event.tool_name, event.event_name), event, state)
        return next((m.text for m in messages if m.hook == "velocity_tracker"), None)


NAME = st.from_regex(r"[A-Z][a-z]{1,12}(Error|Exception)", fullmatch=True)
DETAIL = st.text(alphabet="abcdefghij klmnop'\"_.:", max_size=150)


@settings(max_examples=40, deadline=None)
@given(name=NAME, detail=DETAIL)
def test_any_error_three_times_is_a_repeat(name: str, detail: str) -> None:
    last_line = f"{name}: {detail}".strip()
    error = f'Exit code 1\nTraceback (most recent call last):\n  File "x.py", line 1\n{last_line}'
    replay = Replay()
    texts = [replay.fail(error) for _ in range(3)]
    assert texts[:2] == [None, None]
    assert texts[2] is not None and texts[2].startswith("The same failure 3 times: `")
    excerpt = texts[2].split("`", 2)[1]
    assert len(excerpt) <= 100
    assert excerpt.rstrip("…") in " ".join(last_line.split())


def test_a_sub_agents_fix_between_runs_is_an_edit(session: Session) -> None:
    answers = session.play([F06, edit("a", "b", **SUB_AGENT), F06, F06])
    assert "3 edit→run cycles ended in the same error" in answers[-1]


def test_a_sub_agents_edit_between_reads_starts_the_count_again(session: Session) -> None:
    answers = session.play([F02, F02, edit("a", "b", **SUB_AGENT), F02])
    assert not any(LABEL in answer for answer in answers)


@pytest.mark.parametrize(
    ("before", "after", "cleanup"),
    [
        ("a\nprint(a)\n", "a\n", True),
        ("a\n  console.log('a', a);\n\n  debugger;\nb\n", "a\nb\n", True),
        ('a\nfmt.Println("a", a)\n', "a\n", True),
        ("a\nprint(a)\n", "a\nlog(a)\n", False),  # replaced, not only removed
        ("a\nb = 2\n", "a\n", False),
        ("a\n", "a\n", False),
        ("a\n\n", "a\n", False),  # only a blank line: nothing was debug output
    ],
)
def test_removes_only_debug_output(before: str, after: str, cleanup: bool) -> None:
    from posttool.lib.linechecks import removes_only_debug_output

    assert removes_only_debug_output(before, after) is cleanup

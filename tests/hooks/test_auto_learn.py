"""auto_learn (spec §4.20): lessons per project from errors and recurring lint codes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posttool.hooks.auto_learn import auto_learn, lesson_text
from posttool.lib.config import Config
from posttool.lib.schema import new_session
from posttool.lib.state import NoStores, State
from posttool.runner.normalise import build_event
from posttool.runner.registry import load_registry
from tests.conftest import START, Session, load_fixture, merge

LABEL = "[auto_learn]"
HOUR = 3600.0
DAY = 86400.0

F06 = ("06", {})
F07 = ("07", {})
FIX_06 = ("05", {"tool_input": {"command": "python3 -c 'import nosuchmod'"}})
GREP_MISS = ("06", {"tool_input": {"command": "grep -q foo app.py"}, "error": "Exit code 1"})
INTERRUPT = ("06", {"is_interrupt": True})
GIT_FATAL = (
    "06",
    {
        "tool_input": {"command": "git push"},
        "error": "Exit code 128\nfatal: 'origin' does not appear to be a git repository",
    },
)

# A sequence is a list of (session id, seconds since the previous step, fixture, changes).
Step = tuple[str, float, str, dict[str, Any]]


def s(session: str, dt: float, step: tuple[str, dict[str, Any]]) -> Step:
    return session, dt, step[0], step[1]


FIRES = {
    "06 in session A, later 06 in session B": [s("A", 1, F06), s("B", 2 * HOUR, F06)],
    "07 in A, 07 in B (missing file)": [s("A", 1, F07), s("B", HOUR, F07)],
    "06 resolved in A, 06 again in B": [
        s("A", 1, F06),
        s("A", 1, ("03", {})),
        s("A", 1, FIX_06),
        s("B", HOUR, F06),
    ],
    "06 in A and B, then C": [s("A", 1, F06), s("B", HOUR, F06), s("C", HOUR, F06)],
    "git fatal in A, again in B": [s("A", 1, GIT_FATAL), s("B", HOUR, GIT_FATAL)],
    "06 in A, 29 days later in B": [s("A", 1, F06), s("B", 29 * DAY, F06)],
}

SILENT = {
    "06 the first time ever (stored only)": [s("A", 1, F06)],
    "06 repeated within the same session": [s("A", 1, F06), s("A", 60, F06)],
    "06 in A, in B, then B again": [s("A", 1, F06), s("B", HOUR, F06), s("B", 60, F06)],
    "06 in A, then B, then A again": [s("A", 1, F06), s("B", HOUR, F06), s("A", 60, F06)],
    "benign grep miss in A and B": [s("A", 1, GREP_MISS), s("B", HOUR, GREP_MISS)],
    "interrupt in A and B": [s("A", 1, INTERRUPT), s("B", HOUR, INTERRUPT)],
    "06 in A, 31 days later in B (lesson expired)": [s("A", 1, F06), s("B", 31 * DAY, F06)],
    "06 in A, a different error in B": [s("A", 1, F06), s("B", HOUR, F07)],
    "06 in A, success of the same command in B": [s("A", 1, F06), s("B", HOUR, FIX_06)],
}


def play(make_session: Any, steps: list[Step]) -> list[str]:
    sessions: dict[str, Session] = {}
    now = START
    answers = []
    for session_id, dt, fixture, changes in steps:
        now += dt
        session = sessions.setdefault(session_id, make_session(session_id))
        answers.append(session.send(fixture, now=now, **changes))
    return answers


@pytest.mark.parametrize("steps", FIRES.values(), ids=FIRES.keys())
def test_fires(make_session: Any, steps: list[Step]) -> None:
    answers = play(make_session, steps)
    assert LABEL in answers[-1]
    assert "Seen before in this project (" in answers[-1]


@pytest.mark.parametrize("steps", SILENT.values(), ids=SILENT.keys())
def test_silent(make_session: Any, steps: list[Step]) -> None:
    answers = play(make_session, steps)
    assert LABEL not in answers[-1]


def line_of(answer: str) -> str:
    start = answer.index(LABEL)
    return answer[start:].split("\n[", 1)[0]


def test_message_for_the_spec_example(make_session: Any) -> None:
    answers = play(make_session, [s("A", 1, F06), s("B", 2 * HOUR, F06)])
    assert line_of(answers[-1]) == (
        "[auto_learn] Seen before in this project (1×, last 2 h ago): `nosuchmod` is not "
        "importable by the interpreter `python3` used; install it or use the project's "
        "environment."
    )


def test_message_names_the_resolution(make_session: Any) -> None:
    answers = play(make_session, FIRES["06 resolved in A, 06 again in B"])
    assert line_of(answers[-1]).endswith(
        "\nLast time it was resolved by: `python3 -c 'import nosuchmod'`"
    )


def test_count_covers_all_sessions(make_session: Any) -> None:
    steps = [s("A", 1, F06), s("A", 60, F06), s("B", HOUR, F06), s("C", 2 * HOUR, F06)]
    answers = play(make_session, steps)
    assert "(3×, last 2 h ago)" in answers[-1]


def test_missing_file_lesson(make_session: Any) -> None:
    answers = play(make_session, [s("A", 1, F07), s("B", 30 * 60, F07)])
    assert line_of(answers[-1]) == (
        "[auto_learn] Seen before in this project (1×, last 30 min ago): `missing.py` does not "
        "exist; list the directory before guessing paths."
    )


def test_lesson_entry_schema(session: Session) -> None:
    session.send("06")
    lessons = session.store("lessons")
    sig = "bash:modulenotfounderror: no module named 'nosuchmod'"
    assert set(lessons) == {sig}
    entry = lessons[sig]
    assert set(entry) == {
        "sig",
        "text",
        "excerpt",
        "count",
        "first_seen",
        "last_seen",
        "sessions",
        "resolved_by",
    }
    assert entry["count"] == 1
    assert entry["sessions"] == [session.session_id]
    assert entry["first_seen"] == entry["last_seen"] == session.now
    assert entry["excerpt"] == "ModuleNotFoundError: No module named 'nosuchmod'"
    assert entry["resolved_by"] is None
    session.send("06")
    entry = session.store("lessons")[sig]
    assert entry["count"] == 2 and entry["sessions"] == [session.session_id]
    assert entry["last_seen"] == session.now > entry["first_seen"]


def test_sessions_keep_the_last_five(make_session: Any) -> None:
    ids = [f"S{n}" for n in range(7)]
    play(make_session, [s(i, HOUR, F06) for i in ids])
    (entry,) = make_session("S6").store("lessons").values()
    assert entry["sessions"] == ids[-5:]
    assert entry["count"] == 7


def test_resolution_by_reading_the_file(session: Session) -> None:
    session.send("07", tool_input={"file_path": "app.py"})
    session.send("02")
    (entry,) = session.store("lessons").values()
    assert entry["resolved_by"] == "Read app.py"


def test_surface_cooldown_across_sessions_is_per_session(make_session: Any) -> None:
    steps = [s("A", 1, F06), s("B", HOUR, F06), s("C", 600, F06)]
    answers = play(make_session, steps)
    assert LABEL in answers[1] and LABEL in answers[2]


def test_a_failure_another_agent_met_seconds_ago_is_no_lesson(make_session: Any) -> None:
    """Issue 7 §3: sub-agents and parallel sessions meet the same failure within seconds; a
    lesson is what was seen at least `lesson_min_age_s` (600 s) ago."""
    steps = [s("A", 1, F06), s("B", 30, F06), s("C", 599, F06)]
    answers = play(make_session, steps)
    assert LABEL not in answers[1] and LABEL not in answers[2]


# --- recurring lint codes (call.scan_new_codes from quality_scanner) ----------------------


def lint_state(codes_per_call: list[list[str]]) -> list[Any]:
    """Run auto_learn directly on Write events whose scan introduced the given codes."""
    doc = new_session("s", "k", START)
    stores = NoStores()
    out = []
    for index, codes in enumerate(codes_per_call, 1):
        event = build_event(merge(load_fixture("01"), {"cwd": "/p"}), now=START + index)
        event.set_runner_fact("call_index", index)
        doc["scan"][event.path_key] = {
            "hash": "x",
            "complex": [],
            "findings": [["F401", 1, "`os` imported but unused"], ["E501", 3, "Line too long"]],
        }
        state = State(doc, Config(), stores, now=START + index, call_index=index)
        state.hook = "auto_learn"
        state.call["scan_new_codes"] = codes
        out.append(auto_learn(event, state))
    return [out, doc, stores]


def test_lint_code_third_time_emits_once() -> None:
    messages, doc, stores = lint_state([["F401"], ["F401"], ["F401"], ["F401"]])
    assert [m is not None for m in messages] == [False, False, True, False]
    assert messages[2].severity == "info"
    assert messages[2].text == (
        "F401 has been introduced 3 times this session (`os` imported but unused); address the "
        "cause, not each instance."
    )
    assert doc["learn"]["lint_codes"] == {"F401": 4}
    lesson = stores.entries("lessons")["lint:F401"]
    assert lesson["sig"] == "lint:F401" and lesson["count"] == 1


def test_lint_code_counted_once_per_call() -> None:
    messages, doc, _ = lint_state([["F401", "F401", "F401"]])
    assert messages == [None]
    assert doc["learn"]["lint_codes"] == {"F401": 1}


def test_two_codes_reaching_together() -> None:
    messages, _, _ = lint_state([["F401", "E501"]] * 3)
    text = messages[2].text
    assert text.splitlines()[0].startswith("Rule codes introduced repeatedly this session")
    assert "- F401 has been introduced 3 times this session (`os` imported but unused)" in text
    assert "- E501 has been introduced 3 times this session (Line too long)" in text


def test_lint_code_without_a_known_message() -> None:
    messages, _, _ = lint_state([["B006"]] * 3)
    assert messages[2].text.startswith("B006 has been introduced 3 times this session; address")


@pytest.mark.skipif(
    "quality_scanner" not in load_registry().by_name, reason="quality_scanner not registered"
)
def test_lint_recurrence_end_to_end(session: Session) -> None:
    answers = []
    for name in ("a.py", "b.py", "c.py"):
        path = session.project / name
        path.write_text("import os\n")
        answers.append(
            session.send(
                "01",
                tool_input={"file_path": str(path), "content": "import os\n"},
                tool_response={"filePath": str(path), "content": "import os\n"},
            )
        )
    assert LABEL not in answers[0] + answers[1]
    assert "[auto_learn] F401 has been introduced 3 times this session" in answers[2]


# --- lesson texts -------------------------------------------------------------------------


def failure(error: str, command: str = "python3 app.py", **extra: Any) -> Any:
    raw = merge(load_fixture("06"), {"tool_input": {"command": command}, "error": error, **extra})
    event = build_event(merge(raw, {"cwd": "/home/dev/proj"}), now=START)
    return lesson_text(event, event.error_sig)


LESSONS = {
    "module not found": (
        "Exit code 1\nModuleNotFoundError: No module named 'yaml'",
        "`yaml` is not importable by the interpreter `python3` used; install it or use the "
        "project's environment.",
    ),
    "cannot import name": (
        "Exit code 1\nImportError: cannot import name 'thing' from 'pkg.mod' (/x/mod.py)",
        "`pkg.mod` has no `thing` in the installed version.",
    ),
    "cannot import name from the project's own module": (
        "Exit code 1\nImportError: cannot import name 'main' from 'mcp_venus_os.__main__' "
        "(/home/dev/proj/src/mcp_venus_os/__main__.py)",
        "`mcp_venus_os.__main__` is the project's own module and has no `main`.",
    ),
    "cannot import name from an installed copy in the project's venv": (
        "Exit code 1\nImportError: cannot import name 'x' from 'pydantic' "
        "(/home/dev/proj/.venv/lib/python3.12/site-packages/pydantic/__init__.py)",
        "`pydantic` has no `x` in the installed version.",
    ),
    "command not found": (
        "Exit code 127\nbash: line 1: fdfind: command not found",
        "`fdfind` is not on PATH here.",
    ),
    "permission denied": (
        "Exit code 126\nbash: ./run.sh: Permission denied",
        "Permission denied: bash: ./run.sh: Permission denied.",
    ),
    "git fatal": (
        "Exit code 128\nfatal: not a git repository (or any of the parent directories): .git",
        "git: not a git repository (or any of the parent directories): .git.",
    ),
    "syntax error with a location": (
        'Exit code 1\n  File "/home/dev/proj/app.py", line 3\n    def f(:\n'
        "SyntaxError: invalid syntax",
        "SyntaxError in app.py:3.",
    ),
    "indentation error without a location": (
        "Exit code 1\nIndentationError: unexpected indent",
        "IndentationError: unexpected indent.",
    ),
    "anything else": (
        "Exit code 2\nmake: *** [all] Error 2",
        "bash:make: *** [all] error <n>",
    ),
}


@pytest.mark.parametrize(("error", "lesson"), LESSONS.values(), ids=LESSONS.keys())
def test_lesson_text_patterns(error: str, lesson: str) -> None:
    assert failure(error)[0] == lesson


def test_interpreter_is_the_python_token() -> None:
    error = "Exit code 1\nModuleNotFoundError: No module named 'yaml'"
    assert "interpreter `.venv/bin/python`" in failure(error, ".venv/bin/python -m app")[0]
    assert "interpreter `pytest`" in failure(error, "pytest -q")[0]


@given(st.text(max_size=400))
def test_lesson_is_one_bounded_line(error: str) -> None:
    lesson, excerpt = failure("Exit code 1\n" + error)
    assert "\n" not in lesson and "\n" not in excerpt
    assert len(excerpt) <= 200
    assert len(lesson) <= 400


PATHOLOGICAL = {
    "one long token before `: command not found`": "x" * 199_000 + ": command not found",
    "a long token and no pattern": "y" * 200_000,
    "many `: command not found` after spaces": " : command not found" * 9_000,
    "a long module name": "ModuleNotFoundError: No module named '" + "m" * 199_000,
    "many File lines before a SyntaxError": 'File "a.py", line 1\n' * 9_000 + "SyntaxError: x",
}


@pytest.mark.parametrize("error", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_lesson_text_is_linear_on_large_errors(error: str) -> None:
    import time

    # Not a speed test: a quadratic pattern took minutes on these inputs, a linear scan takes
    # milliseconds; the bound only tells the two apart.
    started = time.process_time()
    lesson, excerpt = failure("Exit code 1\n" + error)
    assert time.process_time() - started < 5
    assert "\n" not in lesson and len(excerpt) <= 200


@pytest.mark.skipif(
    "quality_scanner" not in load_registry().by_name, reason="quality_scanner not registered"
)
def test_lint_recurrence_is_counted_per_agent(session: Session) -> None:
    answers = []
    for name, agent in (("a.py", "sub-1"), ("b.py", "sub-1"), ("c.py", None), ("d.py", "sub-1")):
        path = session.project / name
        path.write_text("import os\n")
        extra = {"agent_id": agent, "agent_type": "general-purpose"} if agent else {}
        answers.append(
            session.send(
                "01",
                tool_input={"file_path": str(path), "content": "import os\n"},
                tool_response={"filePath": str(path), "content": "import os\n"},
                **extra,
            )
        )
    assert LABEL not in answers[2]  # the main model introduced it once
    assert "[auto_learn] F401 has been introduced 3 times this session" in answers[3]


def test_missing_module_of_the_project_itself(tmp_path: Any) -> None:
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True)
    (root / "src" / "shop" / "orders").mkdir(parents=True)
    (root / "src" / "shop" / "orders" / "models.py").write_text("X = 1\n")

    def lesson(module: str) -> str:
        raw = merge(
            load_fixture("06"),
            {
                "tool_input": {"command": "python3 -m shop.cli"},
                "error": f"Exit code 1\nModuleNotFoundError: No module named '{module}'",
                "cwd": str(root),
            },
        )
        event = build_event(raw, now=START)
        return lesson_text(event, event.error_sig)[0]

    assert lesson("shop.orders.views") == (
        "`shop.orders.views` does not exist in the project; check the module's name and path."
    )
    assert lesson("shop.orders.models").startswith(
        "`shop.orders.models` is the project's own module but `python3` could not import it;"
    )
    assert lesson("yaml").startswith("`yaml` is not importable by the interpreter")

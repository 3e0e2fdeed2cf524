"""state_updater (spec §4.4): the session record and the call facts every later hook reads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posttool.hooks.state import STATE_SECTIONS
from posttool.lib.commands import segments_with_separators
from posttool.lib.outcomes import exit_masked
from posttool.lib.schema import copy_json
from posttool.lib.text import h
from posttool.runner.registry import load_registry
from tests.conftest import Session
from tests.hooks.state_replay import (
    SUB_AGENT,
    Replay,
    Step,
    bash_fail,
    bash_ok,
    edit,
    tool,
    write,
)

SIG_06 = "bash:modulenotfounderror: no module named 'nosuchmod'"
F06: Step = ("06", {})
F07: Step = ("07", {})
GREP_MISS = bash_fail("grep -q foo x.txt", "Exit code 1")
PYTEST_FAIL = bash_fail("pytest -q", "Exit code 1\nFAILED test_app.py::test_add\n1 failed")
PYTEST_PASS = bash_ok("pytest -q", "3 passed in 0.12s")
NEW_TURN = {"prompt_id": "another-prompt"}


@pytest.fixture
def replay(session: Session) -> Replay:
    return Replay(session)


def last_call(replay: Replay, steps: list[Step]) -> dict[str, Any]:
    return replay.run(steps)[-1].call


# --- the spec's examples, end to end ------------------------------------------------------


def test_spec_01_02_03_records_the_file(session: Session) -> None:
    for fixture in ("01", "02", "03"):
        session.send(fixture)
    doc = session.doc()
    record = doc["files"][str(session.project / "app.py")]
    assert (record["creates"], record["reads"], record["edits"]) == (1, 1, 1)
    assert [pair[0] for pair in record["pairs"]] == ["w", "e"]
    assert record["pairs"][1] == ["e", h("return b"), h("return list(b)"), 3]
    assert record["edit_calls"] == [1, 3] and record["last"] == 3
    assert record["syntax_ok"] is True
    assert doc["verification"]["edits_since_verify"] == 2
    assert doc["verification"]["files_since_verify"] == ["app.py"]
    assert doc["counters"]["last_edit_call"] == 3
    assert doc["turn"]["reads"] == 1 and doc["turn"]["edits"] == 2


def test_spec_06_twice(session: Session, replay: Replay) -> None:
    session.send("06")
    session.send("06")
    doc = session.doc()
    assert doc["counters"]["consecutive_failures"] == 2
    assert doc["counters"]["failures"] == 2
    [error] = doc["errors"]
    assert (error["sig"], error["count"], error["first_call"], error["last_call"]) == (
        SIG_06,
        2,
        1,
        2,
    )
    assert error["norm"] == "python3 -c 'import nosuchmod'"
    first, second = replay.run([F06, F06])
    assert (first.call["error_repeat"], first.call["blind_retry"]) == (1, False)
    assert (second.call["error_repeat"], second.call["blind_retry"]) == (2, True)
    assert second.call["error_sig"] == SIG_06


def test_spec_06_edit_then_success_resolves(session: Session, replay: Replay) -> None:
    fix = bash_ok("python3 -c 'import nosuchmod'")
    results = replay.run([F06, edit("import nosuchmod", "import os", "run.py"), fix])
    assert results[-1].call["resolved"] == [SIG_06]
    for fixture, changes in [F06, edit("import nosuchmod", "import os", "run.py"), fix]:
        session.send(fixture, **changes)
    [error] = session.doc()["errors"]
    assert error["resolved_call"] == 3
    assert session.doc()["counters"]["consecutive_failures"] == 0


# --- call facts: must fire / must not fire -------------------------------------------------

FACT_FIRES: dict[str, tuple[list[Step], str, Any]] = {
    "06 twice: error_repeat 2": ([F06, F06], "error_repeat", 2),
    "06, 07, 06: error_repeat counts the session": ([F06, F07, F06], "error_repeat", 2),
    "06 twice: blind_retry": ([F06, F06], "blind_retry", True),
    "grep miss with no output: benign": ([GREP_MISS], "benign_failure", True),
    "git diff --exit-code: benign": (
        [bash_fail("git diff --exit-code", "Exit code 1")],
        "benign_failure",
        True,
    ),
    "06 then the same command succeeds: resolved": (
        [F06, bash_ok("python3 -c 'import nosuchmod'")],
        "resolved",
        [SIG_06],
    ),
    "07 then the file is created: resolved": (
        [F07, write("missing.py", "x = 1\n")],
        "resolved",
        ["read:file does not exist. note: your current working directory is <path>"],
    ),
    "Edit x→y then y→x: revert_of": ([edit("x", "y"), edit("y", "x")], "revert_of", 1),
    "Edit x→y, other call, y→x: revert_of": (
        [edit("x", "y"), ("05", {}), edit("y", "x")],
        "revert_of",
        1,
    ),
    "Write update undone by a Write": (
        [write("a.py", "B\n", "A\n"), write("a.py", "A\n", "B\n")],
        "revert_of",
        1,
    ),
    "01 then 03: file_edits_this_turn 2": ([("01", {}), ("03", {})], "file_edits_this_turn", 2),
    "Write of broken .py: syntax_error": (
        [write("bad.py", "def f(:\n    pass\n")],
        "syntax_error",
        (1, "invalid syntax"),
    ),
    "broken .py then fixed: syntax_fixed": (
        [write("bad.py", "def f(:\n"), write("bad.py", "def f():\n    pass\n", "def f(:\n")],
        "syntax_fixed",
        True,
    ),
    "two edits then pytest: edits_since_verify_before 2": (
        [("01", {}), ("03", {}), PYTEST_PASS],
        "edits_since_verify_before",
        2,
    ),
    "edit then ruff check: edits_since_verify_before 1": (
        [("03", {}), bash_fail("ruff check .", "Exit code 1\napp.py:1:8: F401")],
        "edits_since_verify_before",
        1,
    ),
}

FACT_SILENT: dict[str, tuple[list[Step], str]] = {
    "06 once: no blind retry": ([F06], "blind_retry"),
    "06, edit, 06: no blind retry": ([F06, ("03", {}), F06], "blind_retry"),
    "06, 05, 06: no blind retry": ([F06, ("05", {}), F06], "blind_retry"),
    "07 twice: not a command": ([F07, F07], "blind_retry"),
    "grep miss twice: benign, no blind retry": ([GREP_MISS, GREP_MISS], "blind_retry"),
    "interrupted twice: not counted": (
        [("06", {"is_interrupt": True}), ("06", {"is_interrupt": True})],
        "blind_retry",
    ),
    "06: not benign": ([F06], "benign_failure"),
    "grep with exit 2: not benign": ([bash_fail("grep foo x", "Exit code 2")], "benign_failure"),
    "grep with two lines of output: not benign": (
        [bash_fail("grep foo x", "Exit code 1\na\nb")],
        "benign_failure",
    ),
    "06 then another command succeeds: nothing resolved": (
        [F06, bash_ok("python3 -c 'import os'")],
        "resolved",
    ),
    "06 twice: a failure resolves nothing": ([F06, F06], "resolved"),
    "07 then another file read: nothing resolved": ([F07, ("02", {})], "resolved"),
    "Edit x→y twice: not a revert": ([edit("x", "y"), edit("x", "y")], "revert_of"),
    "Edit x→y then y→x in another file": (
        [edit("x", "y", "a.py"), edit("y", "x", "b.py")],
        "revert_of",
    ),
    "01 then 03: not a revert": ([("01", {}), ("03", {})], "revert_of"),
    "Write create then Write back to empty": (
        [write("n.py", "A\n"), write("n.py", "", "A\n")],
        "revert_of",
    ),
    "fixture 04: valid python": ([("04", {})], "syntax_error"),
    "broken .css is not parsed": ([write("a.css", "def f(:\n")], "syntax_error"),
    "valid .py twice: not fixed": (
        [write("ok.py", "x = 1\n"), write("ok.py", "x = 2\n", "x = 1\n")],
        "syntax_fixed",
    ),
    "pytest with no edit before": ([PYTEST_PASS], "edits_since_verify_before"),
    "edit then a non-verification command": (
        [("03", {}), ("13", {})],
        "edits_since_verify_before",
    ),
    "01 in one turn, 03 in the next: 1 edit this turn": (
        [("01", {}), ("03", NEW_TURN)],
        "file_edits_this_turn",
    ),
}


@pytest.mark.parametrize("name", FACT_FIRES)
def test_fact_fires(replay: Replay, name: str) -> None:
    steps, fact, expected = FACT_FIRES[name]
    assert last_call(replay, steps)[fact] == expected


@pytest.mark.parametrize("name", FACT_SILENT)
def test_fact_silent(replay: Replay, name: str) -> None:
    steps, fact = FACT_SILENT[name]
    value = last_call(replay, steps)[fact]
    if fact == "file_edits_this_turn":
        assert value == 1
    else:
        assert value in (None, False, 0, [])


# --- the record ----------------------------------------------------------------------------


def test_counters_count_only_counted_failures(replay: Replay) -> None:
    replay.run([F06, GREP_MISS, ("06", {"is_interrupt": True})])
    counters = replay.doc["counters"]
    assert (counters["failures"], counters["consecutive_failures"]) == (1, 1)
    assert counters["tool_counts"] == {"Bash": 3}
    assert [c["benign"] for c in replay.doc["commands"]] == [False, True, False]
    assert [c["sig"] is not None for c in replay.doc["commands"]] == [True, False, False]
    assert len(replay.doc["errors"]) == 1
    replay.send("05")
    assert replay.doc["counters"]["consecutive_failures"] == 0


def test_turn_counters_skip_sub_agents(replay: Replay) -> None:
    replay.run([("02", {}), ("05", {}), ("13", {}), ("03", {}), ("12", {}), ("07", {})])
    assert {k: replay.doc["turn"][k] for k in ("reads", "edits", "agent_calls")} == {
        "reads": 3,
        "edits": 1,
        "agent_calls": 1,
    }
    replay.run([("02", SUB_AGENT), ("03", SUB_AGENT), ("12", SUB_AGENT)])
    assert {k: replay.doc["turn"][k] for k in ("reads", "edits", "agent_calls")} == {
        "reads": 3,
        "edits": 1,
        "agent_calls": 1,
    }
    assert replay.doc["counters"]["tool_counts"]["Read"] == 3  # sub-agent calls still recorded


def test_reads_full_range_and_hash(replay: Replay) -> None:
    replay.run([("08", {}), ("09", {})])
    [record] = replay.doc["files"].values()
    assert (record["reads"], record["full_reads"], record["range_reads"]) == (2, 1, 1)
    assert record["last_read_call"] == 2
    assert record["last_read_hash"] == replay.send("08").event.read_hash


def test_failed_file_tools_make_no_file_record(replay: Replay) -> None:
    replay.send("07")
    assert replay.doc["files"] == {}
    [error] = replay.doc["errors"]
    assert error["path"] and error["path"].endswith("missing.py") and error["norm"] is None


def test_commands_and_tools_run(replay: Replay) -> None:
    replay.step(bash_ok("cd src && .venv/bin/ruff check . && ruff format --check ."))
    [command] = replay.doc["commands"]
    assert command["kinds"] == ["format", "lint", "noop"]
    assert command["ok"] and command["exit"] is None and command["sig"] is None
    assert {"cd", "cd src", "ruff", "ruff check", "ruff format"} <= set(replay.doc["tools_run"])
    replay.send("06")
    assert replay.doc["commands"][-1]["exit"] == 1
    assert replay.doc["tools_run"]["python3 -c"] == 2


def test_error_reopens_when_seen_again(replay: Replay) -> None:
    replay.run([F06, bash_ok("python3 -c 'import nosuchmod'")])
    assert replay.doc["errors"][0]["resolved_call"] == 2
    third = replay.send("06")
    assert replay.doc["errors"][0]["resolved_call"] is None
    assert third.call["error_repeat"] == 2


VERIFICATION_CASES: dict[str, tuple[list[Step], dict[str, Any]]] = {
    "a pass": ([PYTEST_PASS], {"last_test_ok": True, "fix_iterations": 0, "last_test_call": 1}),
    "a failure": (
        [PYTEST_FAIL],
        {"last_test_ok": False, "fix_iterations": 1, "last_failed_test_call": 1},
    ),
    "fail, edit, fail": ([PYTEST_FAIL, ("03", {}), PYTEST_FAIL], {"fix_iterations": 2}),
    "fail, edit, fail, edit, fail": (
        [PYTEST_FAIL, ("03", {}), PYTEST_FAIL, ("04", {}), PYTEST_FAIL],
        {"fix_iterations": 3},
    ),
    "fail, fail (no edit)": ([PYTEST_FAIL, PYTEST_FAIL], {"fix_iterations": 1}),
    "fail, edit, pass": (
        [PYTEST_FAIL, ("03", {}), PYTEST_PASS],
        {"fix_iterations": 0, "last_test_ok": True},
    ),
    "pass, fail": ([PYTEST_PASS, PYTEST_FAIL], {"fix_iterations": 1}),
    "masked failing summary counts as a failure": (
        [bash_ok("pytest -q | tail -3", "1 failed, 2 passed in 0.1s")],
        {"last_test_ok": False, "fix_iterations": 1},
    ),
    "masked passing summary counts as a pass": (
        [bash_ok("pytest -q | tail -3", "3 passed in 0.1s")],
        {"last_test_ok": True},
    ),
    "masked with no summary: outcome unknown": (
        [bash_ok("pytest -q | tail -3", "")],
        {"last_test_ok": None, "last_test_call": 1},
    ),
    "background test run is not a verification": (
        [("03", {}), bash_ok("pytest -q", "", tool_input={"run_in_background": True})],
        {"last_test_call": None, "edits_since_verify": 1, "last_verify_call": None},
    ),
    "interrupted test run is not a verification": (
        [("03", {}), bash_fail("pytest -q", "Exit code 130", is_interrupt=True)],
        {"last_test_call": None, "edits_since_verify": 1},
    ),
    "lint resets the edit count, not the test": (
        [("03", {}), bash_ok("ruff check .")],
        {"last_verify_call": 2, "last_test_call": None, "edits_since_verify": 0},
    ),
    "edits of non-code files are not counted": (
        [("03", {}), write("README.md", "# hi\n"), ("11", {})],
        {"edits_since_verify": 1, "files_since_verify": ["app.py"]},
    ),
    "test command recorded": ([PYTEST_PASS], {"last_test_cmd": "pytest -q"}),
}


@pytest.mark.parametrize("name", VERIFICATION_CASES)
def test_verification(replay: Replay, name: str) -> None:
    steps, expected = VERIFICATION_CASES[name]
    replay.run(steps)
    verification = replay.doc["verification"]
    assert {key: verification[key] for key in expected} == expected


LIBRARY_CASES: dict[str, tuple[Step, set[str]]] = {
    "python imports, stdlib and relative excluded": (
        write(
            "m.py",
            "import os\nimport requests\nfrom flask import Flask\nfrom . import x\n"
            "  import numpy as np\nfrom __future__ import annotations\n",
        ),
        {"requests", "flask", "numpy"},
    ),
    "js imports and requires, scoped kept to two segments": (
        write(
            "m.ts",
            "import React from 'react';\nimport x from \"./local\";\n"
            "const y = require('@scope/pkg/sub');\nimport fs from 'node:fs';\n"
            "export * from 'lodash/fp';\n",
        ),
        {"react", "@scope/pkg", "lodash"},
    ),
    "edit adding an import": (edit("x = 1", "import yaml\nx = 1", "conf.py"), {"yaml"}),
    "imports in a markdown file are ignored": (write("a.md", "import requests\n"), set()),
    "a failed edit records nothing": (
        (
            "03",
            {
                "hook_event_name": "PostToolUseFailure",
                "error": "denied",
                "tool_input": {"new_string": "import requests"},
            },
        ),
        set(),
    ),
}


@pytest.mark.parametrize("name", LIBRARY_CASES)
def test_libraries(replay: Replay, name: str) -> None:
    step, expected = LIBRARY_CASES[name]
    replay.send(step[0], **step[1])
    assert set(replay.doc["libraries"]) == expected
    assert all(call == 1 for call in replay.doc["libraries"].values())


SCREENSHOT_FIRES = {
    "playwright screenshot tool": tool("mcp__playwright__browser_take_screenshot", "ok"),
    "browser snapshot tool": tool("mcp__chrome__Take_Snapshot", {"content": []}),
    "bash screenshot command": bash_ok("npx playwright screenshot http://localhost:3000 a.png"),
    "bash --screenshot flag": bash_ok("chromium --headless --screenshot http://localhost"),
}
SCREENSHOT_SILENT = {
    "fixture 05": ("05", {}),
    "a failed screenshot tool": tool(
        "mcp__playwright__browser_take_screenshot",
        None,
        hook_event_name="PostToolUseFailure",
        error="no browser",
        tool_response=None,
    ),
    "a non-mcp tool named screenshot": tool("Screenshot", "ok"),
    "screenshots as a word inside a path": bash_ok("ls screenshots_dir"),
}


@pytest.mark.parametrize("name", SCREENSHOT_FIRES)
def test_screenshot_fires(replay: Replay, name: str) -> None:
    replay.doc["ui"].update(edits_since_shot=3, files=["a.css"])
    replay.step(SCREENSHOT_FIRES[name])
    assert replay.doc["ui"] == {"edits_since_shot": 0, "files": [], "last_screenshot_call": 1}


@pytest.mark.parametrize("name", SCREENSHOT_SILENT)
def test_screenshot_silent(replay: Replay, name: str) -> None:
    replay.doc["ui"].update(edits_since_shot=3, files=["a.css"])
    replay.step(SCREENSHOT_SILENT[name])
    assert replay.doc["ui"]["last_screenshot_call"] is None
    assert replay.doc["ui"]["edits_since_shot"] == 3


def test_recent_tool_records(replay: Replay) -> None:
    replay.run([("03", {}), F06, ("13", {})])
    edit_record, failure, slow = replay.doc["recent_tools"]
    assert edit_record["pair"] == [h("return b"), h("return list(b)")]
    assert edit_record["fam"] == "edit" and edit_record["path"].endswith("app.py")
    assert (failure["ok"], failure["sig"], failure["kinds"]) == (False, SIG_06, ["run"])
    assert failure["shape"] == "python3 -c"
    assert (slow["c"], slow["turn"], slow["sig"], slow["pair"]) == (3, 1, None, None)
    assert slow["kinds"] == ["noop", "run"] and slow["shape"] == "sleep 1"


def test_recent_tools_carry_read_unchanged(session: Session) -> None:
    replay = Replay(session, families=("cache", "state"))
    _, second = replay.run([("02", {}), ("02", {})])
    assert [r["unchanged"] for r in replay.doc["recent_tools"]] == [False, True]
    assert second.call["read_unchanged"] is True


def test_never_emits(replay: Replay) -> None:
    for fixture in ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13"):
        result = replay.send(fixture)
        assert not [m for m in result.messages if m.hook == "state_updater"]


def test_registration() -> None:
    record = load_registry().by_name["state_updater"]
    assert (record.priority, record.pattern, record.budget_ms) == (10, ".*", 150)
    assert record.events == {"PostToolUse", "PostToolUseFailure"}
    assert set(record.writes) == set(STATE_SECTIONS)


ALL_STEPS = [
    ("01", {}),
    ("02", {}),
    ("03", {}),
    ("04", {}),
    ("05", {}),
    F06,
    F07,
    ("08", {}),
    ("09", {}),
    ("10", {}),
    ("11", {}),
    ("12", {}),
    ("13", {}),
    GREP_MISS,
    PYTEST_FAIL,
    PYTEST_PASS,
    write("m.ts", "import x from 'react'\n"),
    edit("y", "x"),
    edit("x", "y"),
    tool("mcp__pw__browser_take_screenshot", "ok"),
    ("06", SUB_AGENT),
]


def test_writes_only_declared_sections(replay: Replay) -> None:
    declared = set(STATE_SECTIONS) | {
        "hook_health",
        "confidence",
        "thinking",
        "cooldowns",
        "seen_tool_use_ids",
        "last_call_at",
    }
    for fixture, changes in ALL_STEPS:
        before = copy_json(replay.doc)
        replay.send(fixture, **changes)
        changed = {key for key in replay.doc if replay.doc[key] != before[key]}
        assert changed <= declared, (fixture, changed - declared)
        assert not replay.doc["hook_health"].get("state_updater", {}).get("errors")


def test_saved_document_is_json_and_survives_reload(session: Session) -> None:
    for fixture, changes in ALL_STEPS:
        session.send(session.event(fixture, **changes))
    doc = session.doc()
    assert json.loads(json.dumps(doc)) == doc
    assert doc["hook_health"]["state_updater"]["errors"] == 0
    assert doc["counters"]["calls"] == len(ALL_STEPS)


# --- the masking rule used for test outcomes -----------------------------------------------

MASKED = [
    "pytest -q | tail -3",
    "pytest; echo done",
    "pytest || true",
    "pytest\necho x",
    "cd x && pytest -q 2>&1 | tee log",
    "pytest a; pytest b",
    "pytest && echo ok || echo failed",
    "pytest && x; y",
]
NOT_MASKED = [
    "pytest -q",
    "cd x && pytest",
    "pytest && echo ok",
    "echo a | grep a; pytest",
    "pytest;",
    "echo 'pytest | tail'",
    "python -m pytest -k 'a or b'",
    "pytest && echo ok | tee log",
]


@pytest.mark.parametrize("command", MASKED)
def test_exit_masked(command: str) -> None:
    assert exit_masked(command)


@pytest.mark.parametrize("command", NOT_MASKED)
def test_exit_not_masked(command: str) -> None:
    assert not exit_masked(command)


@given(st.text(alphabet="ab |;&\n", max_size=40))
def test_segments_without_quotes_are_a_plain_split(command: str) -> None:
    """With no quotes or escapes, splitting is `&&`, `||`, `;`, `|`, newline, in that sense."""
    import re as real_re

    expected = [part.strip() for part in real_re.split(r"&&|\|\||;|\||\n", command)]
    assert [seg for seg, _ in segments_with_separators(command)] == [p for p in expected if p]


# --- open-ended sequences ------------------------------------------------------------------

COMMANDS = ["pytest -q", "ruff check .", "python3 app.py", "grep -q x f", "ls", "npm run build"]
ERRORS = [
    "Exit code 1",
    "Exit code 1\nValueError: bad 12",
    "Exit code 2\nfatal: nope",
    "Exit code 1\na\nb",
    "Exit code 1\nModuleNotFoundError: No module named 'x'",
]
STEP = st.one_of(
    st.builds(bash_ok, st.sampled_from(COMMANDS), st.sampled_from(["", "3 passed", "1 failed"])),
    st.builds(bash_fail, st.sampled_from(COMMANDS), st.sampled_from(ERRORS)),
    st.builds(
        edit,
        st.sampled_from(["a", "b"]),
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["x.py", "y.css"]),
    ),
    st.sampled_from([("02", {}), F07, ("06", {"is_interrupt": True}), ("12", {})]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(STEP, min_size=1, max_size=25))
def test_invariants_over_any_sequence(session: Session, steps: list[Step]) -> None:
    replay = Replay(session)
    for fixture, changes in steps:
        result = replay.send(fixture, **changes)
        assert not result.state.doc["hook_health"]["state_updater"]["errors"]
    counters = replay.doc["counters"]
    assert counters["consecutive_failures"] <= counters["failures"]
    assert sum(e["count"] for e in replay.doc["errors"]) == counters["failures"]
    assert sum(counters["tool_counts"].values()) == len(steps)
    assert len(replay.doc["recent_tools"]) == len(steps)
    assert sum(1 for r in replay.doc["recent_tools"] if r["sig"]) == counters["failures"]
    for record in replay.doc["files"].values():
        assert record["edits"] + record["creates"] == len(record["edit_calls"])
    assert replay.doc["verification"]["fix_iterations"] >= 0


@given(
    st.lists(
        st.sampled_from(
            [
                "import",
                "from",
                " ",
                "\t",
                "os",
                "a.b",
                ".",
                "_x",
                "3d",
                ",",
                "as",
                "y",
                "importlib",
                "ñ",
                "#",
                "\n",
                "x=",
            ]
        ),
        max_size=12,
    ).map("".join)
)
def test_python_imports_agree_with_the_spec_pattern(text: str) -> None:
    import re as real_re

    from posttool.hooks.state import PY_IMPORT, python_imports

    # Applied line by line: over the whole text `\s+` would run across a line break and read a
    # bare `import` line followed by `os` as an import of `os`.
    expected = [m.group(1) for line in text.splitlines() for m in real_re.finditer(PY_IMPORT, line)]
    assert python_imports(text) == expected

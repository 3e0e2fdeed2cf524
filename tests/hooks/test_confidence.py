"""confidence_decay, confidence_reducer and confidence_increaser (spec §3.6, §4.5-4.7)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posttool.hooks.confidence import INCREASERS, REDUCERS
from posttool.lib.outcomes import passing_summary
from posttool.lib.schema import copy_json
from posttool.runner.registry import load_registry
from tests.conftest import Session, write_config
from tests.hooks.state_replay import (
    SUB_AGENT,
    Replay,
    Step,
    bash_fail,
    bash_ok,
    edit,
    read,
    tool,
    write,
)

F06: Step = ("06", {})
F07: Step = ("07", {})
LOW_START = {"confidence": {"start": 55}}
LOW_REPORT = (
    "[confidence] Confidence 55 → 40 (working → hypothesis): bash failure ×2 (−8), "
    "repeated error (−4), blind retry (−3)."
)
PYTEST_PASS = bash_ok("pytest -q", "3 passed in 0.12s")
PYTEST_FAIL = bash_fail("pytest -q", "Exit code 1\nFAILED test_app.py::test_add\n1 failed")
GREP_MISS = bash_fail("grep -q foo x.txt", "Exit code 1")
NEW_TURN = {"prompt_id": "another-prompt"}


def confidence_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("[confidence]")]


@pytest.fixture
def replay(session: Session) -> Replay:
    return Replay(session)


def test_registration() -> None:
    registry = load_registry()
    expected = {
        "confidence_decay": (11, ("confidence",)),
        "confidence_reducer": (12, ("confidence",)),
        "confidence_increaser": (14, ("confidence",)),
        "thinking_quality_boost": (16, ("confidence", "thinking")),
    }
    for name, (priority, writes) in expected.items():
        record = registry.by_name[name]
        assert (record.priority, record.writes, record.pattern) == (priority, writes, ".*")
        assert record.events == {"PostToolUse", "PostToolUseFailure"}
        assert record.family == "state"


# --- the spec's examples, end to end ------------------------------------------------------


def test_spec_06_twice_scores_exactly_and_says_nothing(session: Session) -> None:
    """The spec's example, certainty → working, is no longer reported (issue 7 §3: only a move
    into or out of the low zones is); the score is the spec's."""
    assert confidence_lines(session.send("06")) == []
    assert session.doc()["confidence"]["value"] == 71
    assert confidence_lines(session.send("06")) == []
    conf = session.doc()["confidence"]
    assert (conf["value"], conf["tier"], conf["turn_down"]) == (60, "working", 15)
    assert conf["pending"] and conf["last_report_call"] is None
    assert conf["streak"] == 0


def test_06_twice_from_55_reports_exactly(session: Session) -> None:
    write_config(session.home, LOW_START)
    session.send("06")
    assert confidence_lines(session.send("06")) == [LOW_REPORT]
    conf = session.doc()["confidence"]
    assert conf["pending"] == {} and conf["last_report_call"] == 2


def test_spec_07_is_a_quiet_tool_failure(session: Session) -> None:
    assert confidence_lines(session.send("07")) == []
    conf = session.doc()["confidence"]
    assert conf["value"] == 72
    assert conf["pending"] == {"tool_failure": [1, -3]}


def test_report_comes_from_the_increaser_when_thinking_is_disabled(session: Session) -> None:
    write_config(session.home, {"thinking_quality_boost": {"enabled": False}, **LOW_START})
    session.send("06")
    assert confidence_lines(session.send("06")) == [LOW_REPORT]


def test_report_comes_from_the_reducer_when_later_hooks_are_off(session: Session) -> None:
    write_config(
        session.home,
        {"disable": ["thinking_quality_boost", "confidence_increaser"], **LOW_START},
    )
    session.send("06")
    assert confidence_lines(session.send("06")) == [LOW_REPORT]


def test_report_once_when_the_reporter_is_suspended(session: Session) -> None:
    replay = Replay(session, LOW_START)
    replay.doc["hook_health"]["thinking_quality_boost"] = {"suspended": True}
    replay.send("06")
    result = replay.send("06")
    assert [m.hook for m in result.messages] == ["confidence_increaser"]
    text = result.messages[0].text.splitlines()[0]
    assert text == LOW_REPORT.removeprefix("[confidence] ")


def test_drop_into_hypothesis_warns(session: Session) -> None:
    write_config(session.home, {"confidence": {"start": 55}})
    session.send("06")
    lines = session.send("06").splitlines()
    at = lines.index(next(line for line in lines if line.startswith("[confidence]")))
    assert lines[at] == (
        "[confidence] Confidence 55 → 40 (working → hypothesis): bash failure ×2 (−8), "
        "repeated error (−4), blind retry (−3)."
    )
    assert lines[at + 1].startswith("Gather evidence before the next edit")
    assert session.answers[-1]["hookSpecificOutput"]["hookEventName"] == "PostToolUseFailure"


def test_sub_agent_events_leave_confidence_alone(replay: Replay) -> None:
    before = copy_json(replay.conf)
    for _ in range(4):
        result = replay.send("06", **SUB_AGENT)
        assert result.log == {} and result.messages == []
    assert replay.doc["confidence"] == before
    assert replay.doc["counters"]["failures"] == 4  # state_updater still records them


# --- confidence_decay ----------------------------------------------------------------------

DECAY_FIRES: dict[str, tuple[int, list[Step], int]] = {
    "4 × fixture 13 at 75 cost 1 point": (75, [("13", {})] * 4, 74),
    "2 × fixture 13 at 90 (trusted, factor 2)": (90, [("13", {})] * 2, 89),
    "4 × fixture 02 at 96 (expert: 0.75 - 0.25 per read)": (96, [("02", {})] * 4, 94),
    "8 × fixture 13 at 60 (working, factor 0.5)": (60, [("13", {})] * 8, 59),
    "4 × fixture 02 at 45 earn 1 point of evidence": (45, [("02", {})] * 4, 46),
}
DECAY_SILENT: dict[str, tuple[int, list[Step]]] = {
    "4 × fixture 02 at 75 (evidence cancels decay)": (75, [("02", {})] * 4),
    "4 × fixture 05 at 75 (read-only Bash is evidence)": (75, [("05", {})] * 4),
    "3 × fixture 13 at 75 (not yet a whole point)": (75, [("13", {})] * 3),
    "12 × fixture 13 at 45 (factor 0)": (45, [("13", {})] * 12),
    "4 × fixture 13 inside a sub-agent": (75, [("13", SUB_AGENT)] * 4),
}


@pytest.mark.parametrize("name", DECAY_FIRES)
def test_decay_fires(session: Session, name: str) -> None:
    start, steps, expected = DECAY_FIRES[name]
    replay = Replay(session, {"confidence": {"start": start}})
    results = replay.run(steps)
    assert replay.conf["value"] == expected
    assert any({"decay", "evidence"} & set(r.log) for r in results)
    assert all(set(r.log) <= {"decay", "evidence"} for r in results)


@pytest.mark.parametrize("name", DECAY_SILENT)
def test_decay_silent(session: Session, name: str) -> None:
    start, steps = DECAY_SILENT[name]
    replay = Replay(session, {"confidence": {"start": start}})
    results = replay.run(steps)
    assert replay.conf["value"] == start
    assert all(r.log == {} for r in results)


def test_decay_accumulator_is_kept_between_calls(session: Session) -> None:
    replay = Replay(session)
    replay.run([("13", {})] * 3)
    assert replay.conf["acc"] == -0.75
    replay.send("13")
    assert (replay.conf["acc"], replay.conf["value"]) == (0.0, 74)
    assert replay.conf["pending"] == {"decay": [1, -1]}


def test_decay_alone_never_reports_a_drift_to_working(session: Session) -> None:
    replay = Replay(session, {"confidence": {"start": 71}})
    results = replay.run([("13", {})] * 12)
    assert replay.conf["value"] == 69
    assert all(r.messages == [] for r in results)


# --- confidence_reducer --------------------------------------------------------------------

PY_STUB = "def load(path):\n    raise NotImplementedError\n"
SILENT_EXCEPT = "try:\n    run()\nexcept Exception:\n    pass\n"

REDUCER_FIRES: dict[str, tuple[list[Step], dict[str, int]]] = {
    "fixture 06: bash failure": ([F06], {"bash_failure": -4}),
    "fixture 07: tool failure": ([F07], {"tool_failure": -3}),
    "interrupted failure": ([("06", {"is_interrupt": True})], {"user_interrupt": -3}),
    "interrupted Bash success": (
        [bash_ok("npm start", "", tool_response={"interrupted": True})],
        {"user_interrupt": -3},
    ),
    "pytest failure": ([PYTEST_FAIL], {"test_failure": -6}),
    "build failure": ([bash_fail("npm run build")], {"build_failure": -5}),
    "typecheck failure": ([bash_fail("mypy src")], {"build_failure": -5}),
    "lint failure": ([bash_fail("cd src && ruff check .")], {"lint_failure": -2}),
    "lint with another command is a bash failure": (
        [bash_fail("ruff check . && python3 app.py")],
        {"bash_failure": -4},
    ),
    "06 twice: repeated error and blind retry": (
        [F06, F06],
        {"bash_failure": -4, "repeated_error": -4, "blind_retry": -3},
    ),
    "a different error after 06: no repeat": (
        [F06, bash_fail("python3 x.py", "Exit code 1\nKeyError: 'k'")],
        {"bash_failure": -4},
    ),
    "06, fixed, 06 again: the error reopens and repeats": (
        [F06, bash_ok("python3 -c 'import nosuchmod'"), F06],
        {"bash_failure": -4, "repeated_error": -4},
    ),
    "06, edit, 06: repeated error, no blind retry": (
        [F06, ("03", {}), F06],
        {"bash_failure": -4, "repeated_error": -4},
    ),
    "three failures: failure streak": (
        [
            bash_fail("a"),
            bash_fail("b", "Exit code 2\nx"),
            ("06", {"tool_input": {"command": "c"}, **NEW_TURN}),
        ],
        {"bash_failure": -4, "failure_streak": -6},
    ),
    "Edit x→y then y→x: edit revert": ([edit("x", "y"), edit("y", "x")], {"edit_revert": -6}),
    "6 edits of one file in a turn: edit churn": (
        [edit(f"v{i}", f"v{i + 1}") for i in range(6)],
        {"edit_churn": -4},
    ),
    "broken python: syntax error": ([write("bad.py", "def f(:\n")], {"syntax_error": -5}),
    "NotImplementedError stub": ([write("load.py", PY_STUB)], {"stub_written": -3}),
    "TODO implement placeholder in an edit": (
        [edit("x = 1", "x = 1  # TODO: implement", "m.ts")],
        {"stub_written": -3},
    ),
    "rust todo!()": ([write("lib.rs", "fn f() { todo!() }\n")], {"stub_written": -3}),
    "except Exception: pass": ([write("svc.py", SILENT_EXCEPT)], {"silent_except": -3}),
    "bare except on one line": (
        [edit("run()", "try:\n    run()\nexcept: pass", "svc.py")],
        {"silent_except": -3},
    ),
    "except BaseException as e: ...": (
        [write("svc.py", "try:\n    x()\nexcept BaseException as e:\n    ...\n")],
        {"silent_except": -3},
    ),
    "empty JS catch": (
        [write("a.js", "try { f() } catch (e) {}\n")],
        {"silent_except": -3},
    ),
    "backup copy created": ([write("app.py.bak", "x = 1\n")], {"backup_file": -4}),
    "versioned copy created": ([write("app_v2.py", "x = 1\n")], {"backup_file": -4}),
    "8 code edits without verification": (
        [write(f"m{i}.py", "x = 1\n") for i in range(8)],
        {"unverified_edits": -4},
    ),
}
REDUCER_SILENT: dict[str, list[Step]] = {
    "benign grep miss": [GREP_MISS],
    "benign grep miss, twice": [GREP_MISS, GREP_MISS],
    "fixture 05": [("05", {})],
    "fixture 03": [("03", {})],
    "fixture 01 (valid python, no stub)": [("01", {})],
    "stub in a test file": [write("tests/test_load.py", PY_STUB)],
    "stub in a markdown file": [write("notes.md", "raise NotImplementedError\n")],
    "except ValueError: pass": [write("svc.py", "try:\n    x()\nexcept ValueError:\n    pass\n")],
    "except Exception that logs": [
        write("svc.py", "try:\n    x()\nexcept Exception:\n    log.exception('x')\n"),
    ],
    "JS catch with a body": [write("a.js", "try { f() } catch (e) { report(e) }\n")],
    "backup name on an update": [write("app.py.bak", "x = 2\n", "x = 1\n")],
    "ordinary new file": [write("renew.py", "x = 1\n")],
    "7 code edits": [write(f"m{i}.py", "x = 1\n") for i in range(7)],
    # Issue 7: a sub-agent's edits are not the main model's unverified work.
    "7 code edits by a sub-agent, 1 by the main model": [
        *[write(f"m{i}.py", "x = 1\n", **SUB_AGENT) for i in range(7)],
        write("m7.py", "x = 1\n"),
    ],
    "8 edits of non-code files": [write(f"m{i}.md", "x\n") for i in range(8)],
    "5 edits of one file": [edit(f"v{i}", f"v{i + 1}") for i in range(5)],
    "Edit x→y twice": [edit("x", "y"), edit("x", "y")],
    "06 inside a sub-agent": [("06", SUB_AGENT)],
}


def reducers_in(log: dict[str, int]) -> dict[str, int]:
    names = {name for name, _, _ in REDUCERS}
    return {name: delta for name, delta in log.items() if name in names}


@pytest.mark.parametrize("name", REDUCER_FIRES)
def test_reducer_fires(replay: Replay, name: str) -> None:
    steps, expected = REDUCER_FIRES[name]
    result = replay.run(steps)[-1]
    assert reducers_in(result.log) == expected
    assert replay.conf["streak"] == 0


@pytest.mark.parametrize("name", REDUCER_SILENT)
def test_reducer_silent(replay: Replay, name: str) -> None:
    result = replay.run(REDUCER_SILENT[name])[-1]
    assert reducers_in(result.log) == {}


def test_reducer_cooldowns_are_per_rule(replay: Replay) -> None:
    replay.run([F06, F06])
    assert "confidence_reducer|repeated_error" in replay.doc["cooldowns"]
    assert "confidence_reducer|bash_failure" in replay.doc["cooldowns"]
    third = replay.send("06", **NEW_TURN)
    assert "repeated_error" not in third.log  # cooldown 3 calls
    assert set(reducers_in(third.log)) == {"bash_failure", "blind_retry", "failure_streak"}
    replay.send("05")
    fifth = replay.send("06")
    assert "repeated_error" in fifth.log


def test_reducer_marks_only_applied_rules(replay: Replay) -> None:
    replay.run(
        [
            bash_fail("a"),
            bash_fail("b", "Exit code 1\nKeyError: b"),
            bash_fail("c", "Exit code 1\nTypeError: c"),
        ]
    )
    replay.run([edit("x", "y"), edit("y", "x")])  # budget spent: the revert applies 0
    assert "confidence_reducer|edit_revert" not in replay.doc["cooldowns"]
    assert replay.conf["turn_down"] == 15


def test_reducer_rule_can_be_disabled_or_changed(session: Session) -> None:
    replay = Replay(
        session,
        {
            "confidence": {
                "reducers": {
                    "bash_failure": {"enabled": False},
                    "blind_retry": {"delta": -1},
                }
            }
        },
    )
    first, second = replay.run([F06, F06])
    assert reducers_in(first.log) == {}
    assert reducers_in(second.log) == {"repeated_error": -4, "blind_retry": -1}


def test_benign_failure_changes_nothing_but_decay(replay: Replay) -> None:
    result = replay.step(GREP_MISS)
    assert result.log == {} and replay.conf["acc"] == -0.25


# --- confidence_increaser ------------------------------------------------------------------

TODO_RESPONSE = {
    "oldTodos": [
        {"content": "a", "status": "in_progress"},
        {"content": "b", "status": "completed"},
    ],
    "newTodos": [{"content": "a", "status": "completed"}, {"content": "b", "status": "completed"}],
}
INCREASER_FIRES: dict[str, tuple[list[Step], dict[str, int]]] = {
    "pytest -q passes": ([PYTEST_PASS], {"test_pass": 5}),
    "pytest after a failure of the same command": (
        [PYTEST_FAIL, PYTEST_PASS],
        {"test_pass": 5, "failure_recovered": 5},
    ),
    "pytest after edits": ([("03", {}), PYTEST_PASS], {"test_pass": 5, "verified_after_edits": 2}),
    "pytest failure, edit, pass": (
        [PYTEST_FAIL, ("03", {}), PYTEST_PASS],
        {"test_pass": 5, "failure_recovered": 5, "verified_after_edits": 2},
    ),
    "masked pytest with a passing summary": (
        [bash_ok("pytest -q | tail -3", "5 passed in 1.2s")],
        {"test_pass": 5},
    ),
    "masked jest with a passing summary on stderr": (
        [bash_ok("npx jest 2>&1 | tail", "", tool_response={"stderr": "Tests: 4 passed, 4 total"})],
        {"test_pass": 5},
    ),
    "masked go test": (
        [bash_ok("go test ./... ; echo done", "ok  \tpkg\t0.1s\ndone")],
        {"test_pass": 5},
    ),
    "masked cargo test": (
        [bash_ok("cargo test || true", "test result: ok. 3 passed")],
        {"test_pass": 5},
    ),
    "build passes": ([bash_ok("npm run build")], {"build_pass": 3}),
    "lint is clean": ([bash_ok("cd src && ruff check .")], {"lint_clean": 2}),
    "typecheck is clean": ([bash_ok("mypy src")], {"lint_clean": 2}),
    "syntax fixed": (
        [write("bad.py", "def f(:\n"), write("bad.py", "x = 1\n", "def f(:\n")],
        {"syntax_fixed": 2},
    ),
    "fixture 10: git commit": ([("10", {})], {"git_commit": 3}),
    "git commit seen in stdout": (
        [bash_ok("git commit -m x", "[main abc1234] x\n 1 file changed")],
        {"git_commit": 3},
    ),
    "fixture 09: targeted read of a long file": ([("09", {})], {"targeted_read": 1}),
    "fixture 12: delegation": ([("12", {})], {"agent_delegation": 2}),
    "WebSearch": ([tool("WebSearch", {"results": []}, {"query": "x"})], {"research": 1}),
    "WebFetch 200": (
        [tool("WebFetch", {"code": 200, "result": "ok"}, {"url": "https://x"})],
        {"research": 1},
    ),
    "AskUserQuestion": ([tool("AskUserQuestion", {"answers": {}})], {"ask_user": 3}),
    "ExitPlanMode": ([tool("ExitPlanMode", {"plan": "p"})], {"plan_approved": 3}),
    "TodoWrite completing an item": ([tool("TodoWrite", TODO_RESPONSE)], {"todo_completed": 2}),
    "06 then the same command succeeds": (
        [F06, bash_ok("python3 -c 'import nosuchmod'")],
        {"failure_recovered": 5},
    ),
}
INCREASER_SILENT: dict[str, list[Step]] = {
    "pytest -q | tail -3 with a failing summary": [
        bash_ok("pytest -q | tail -3", "1 failed, 2 passed in 0.3s"),
    ],
    "pytest -q | tail -3 with a failing summary after a failure": [
        PYTEST_FAIL,
        ("03", {}),
        bash_ok("pytest -q | tail -3", "1 failed, 2 passed in 0.3s"),
    ],
    "pytest; echo with no summary": [bash_ok("pytest; echo done", "done")],
    "fixture 13": [("13", {})],
    "fixture 05": [("05", {})],
    "pytest failure": [PYTEST_FAIL],
    "background pytest": [bash_ok("pytest -q", "", tool_input={"run_in_background": True})],
    "interrupted pytest": [bash_ok("pytest -q", "", tool_response={"interrupted": True})],
    "lint and format together": [bash_ok("ruff check . && ruff format .")],
    "fixture 08: complete read": [("08", {})],
    "range read of a short file": [read("a.py", "x\n" * 20, tool_input={"offset": 2, "limit": 3})],
    "WebFetch 404": [tool("WebFetch", {"code": 404, "result": "no"}, {"url": "https://x"})],
    "TodoWrite with nothing newly completed": [
        tool(
            "TodoWrite",
            {"oldTodos": TODO_RESPONSE["newTodos"], "newTodos": TODO_RESPONSE["newTodos"]},
        ),
    ],
    "fixture 12 inside a sub-agent": [("12", SUB_AGENT)],
    "git commit failure": [bash_fail("git commit -m x", "Exit code 1\nnothing to commit")],
    "valid python written twice": [write("ok.py", "x = 1\n"), write("ok.py", "x = 2\n", "x = 1\n")],
}


def increasers_in(log: dict[str, int]) -> dict[str, int]:
    names = {name for name, _, _ in INCREASERS}
    return {name: delta for name, delta in log.items() if name in names}


@pytest.mark.parametrize("name", INCREASER_FIRES)
def test_increaser_fires(replay: Replay, name: str) -> None:
    steps, expected = INCREASER_FIRES[name]
    result = replay.run(steps)[-1]
    assert increasers_in(result.log) == expected
    assert replay.conf["streak"] >= 1


@pytest.mark.parametrize("name", INCREASER_SILENT)
def test_increaser_silent(replay: Replay, name: str) -> None:
    result = replay.run(INCREASER_SILENT[name])[-1]
    assert increasers_in(result.log) == {}


def test_increaser_cooldown(replay: Replay) -> None:
    first, second, third = replay.run([PYTEST_PASS, PYTEST_PASS, PYTEST_PASS])
    assert "test_pass" in first.log and "test_pass" not in second.log
    assert "test_pass" in third.log  # cooldown 2 calls
    assert replay.doc["cooldowns"]["confidence_increaser|test_pass"][1] == 3


def test_streak_multiplies_increasers(session: Session) -> None:
    replay = Replay(session, {"confidence": {"start": 40}})
    steps = [
        ("12", {}),
        tool("AskUserQuestion", {}),
        tool("ExitPlanMode", {}),
        bash_ok("npm run build"),
        ("10", {}),
        PYTEST_PASS,
    ]
    logs = [increasers_in(r.log) for r in replay.run(steps)]
    assert logs == [
        {"agent_delegation": 2},
        {"ask_user": 3},
        {"plan_approved": 3},
        {"build_pass": 3},  # streak 3: floor(3 × 1.25) = 3
        {"git_commit": 3},  # streak 4
        {"test_pass": 7},  # streak 5: floor(5 × 1.5) = 7
    ]
    assert replay.conf["streak"] == 6


def test_a_reducer_breaks_the_streak(session: Session) -> None:
    replay = Replay(session, {"confidence": {"start": 40}})
    replay.run([("12", {}), tool("AskUserQuestion", {}), tool("ExitPlanMode", {})])
    assert replay.conf["streak"] == 3
    # a fixed syntax error and a stub in the same Write: the reducer wins the streak
    replay.step(write("s.py", "def f(:\n"))
    assert replay.conf["streak"] == 0
    both = replay.step(write("s.py", PY_STUB, "def f(:\n"))
    assert set(both.log) >= {"syntax_fixed", "stub_written"}
    assert both.log["syntax_fixed"] == 2  # no multiplier after the reset
    assert replay.conf["streak"] == 0
    replay.step(PYTEST_PASS)
    assert replay.conf["streak"] == 1


def test_up_budget_caps_a_recovering_turn(session: Session) -> None:
    replay = Replay(session, {"confidence": {"start": 20}})
    logs = [r.log for r in replay.run([PYTEST_FAIL, PYTEST_PASS] * 5)]
    ups = sum(d for log in logs for name, d in log.items() if d > 0 and name != "evidence")
    assert ups <= 30
    assert replay.conf["turn_up"] <= 30


def test_increasers_can_be_configured(session: Session) -> None:
    replay = Replay(
        session,
        {
            "confidence": {
                "increasers": {
                    "test_pass": {"delta": 4, "cooldown_calls": 0},
                    "git_commit": {"enabled": False},
                }
            }
        },
    )
    logs = [increasers_in(r.log) for r in replay.run([PYTEST_PASS, PYTEST_PASS, ("10", {})])]
    assert logs == [{"test_pass": 4}, {"test_pass": 4}, {}]


SUMMARIES = {
    "3 passed in 0.1s": True,
    "1 failed, 2 passed": False,
    "2 passed, 1 error": False,
    "Tests:       1 failed, 3 passed, 4 total": False,
    "Tests: 3 passed, 3 total": True,
    "ok  \texample.com/pkg\t0.01s": True,
    "--- FAIL: TestX\nFAIL\texample.com/pkg": False,
    "test result: ok. 3 passed; 0 failed": True,
    "test result: FAILED. 1 passed; 2 failed": False,
    "done": None,
    "": None,
}


@pytest.mark.parametrize("text", SUMMARIES)
def test_test_summary(text: str) -> None:
    assert passing_summary(text) is SUMMARIES[text]


# --- open-ended sequences ------------------------------------------------------------------

STEP = st.one_of(
    st.sampled_from(
        [
            F06,
            F07,
            ("01", {}),
            ("02", {}),
            ("03", {}),
            ("05", {}),
            ("09", {}),
            ("10", {}),
            ("12", {}),
            ("13", {}),
            GREP_MISS,
            PYTEST_FAIL,
            PYTEST_PASS,
            ("06", SUB_AGENT),
            ("06", {"is_interrupt": True}),
        ]
    ),
    st.builds(edit, st.sampled_from(["a", "b"]), st.sampled_from(["a", "b"])),
    st.builds(lambda turn: ("05", {"prompt_id": f"p{turn}"}), st.integers(0, 3)),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(STEP, min_size=1, max_size=30), st.integers(0, 100))
def test_confidence_invariants(session: Session, steps: list[Step], start: int) -> None:
    replay = Replay(session, {"confidence": {"start": start}})
    reported = start
    for fixture, changes in steps:
        started = bool(replay.conf["turn_key"])  # the session's first main-agent event starts it
        before = replay.conf["value"] if started else start
        result = replay.send(fixture, **changes)
        conf = replay.conf
        health = replay.doc["hook_health"]
        assert not any(h["errors"] or h["overruns"] for h in health.values()), health
        if changes.get("agent_id"):
            assert result.log == {} and result.messages == []
            continue
        assert 0 <= conf["value"] <= 100
        assert conf["value"] - before == sum(result.log.values())
        assert conf["turn_down"] <= 15 and conf["turn_up"] <= 30
        assert -1 < conf["acc"] < 1
        for message in result.messages:
            assert message.label == "confidence" and message.severity in ("info", "warn")
            assert message.hook == "thinking_quality_boost"
            assert message.text.startswith(f"Confidence {reported} → {conf['value']} (")
            assert conf["pending"] == {} and conf["last_reported_value"] == conf["value"]
            reported = conf["value"]

"""verification_reminder counts failures per test run and names that run (issue 7 §2).

The real shape (a Go session): `make test` fails, the model narrows the run to four packages,
then to three, editing in between. Three different runs failed once each; nothing "has failed
3 times".
"""

from __future__ import annotations

from posttool.hooks.quality import _longest_fail_streak
from posttool.lib.commands import CommandFacts, run_under_test
from tests.conftest import Session
from tests.hooks.quality_payloads import bash, bash_fail, labelled
from tests.hooks.state_replay import Replay
from tests.hooks.state_replay import bash_fail as replay_bash_fail
from tests.hooks.state_replay import edit as replay_edit

HOOK = "verification_reminder"
GO_FAIL = (
    "--- FAIL: TestButton (0.00s)\n    button_test.go:12: expected <button>, got <div>\n"
    "FAIL\nFAIL\tgithub.com/example/templar/test-components\t0.004s\nFAIL"
)
PY_FAIL = "FAILED tests/test_app.py::test_add - assert 1 == 2\n1 failed, 2 passed in 0.12s"


def edit_test_file(session: Session) -> str:
    return session.send("03")


def test_narrowing_runs_are_not_one_run_failing_three_times(session: Session) -> None:
    outs = []
    for command in (
        "make test",
        "go test ./examples/performance ./test-components ./test_components -v",
        "go test ./test-components ./test_components -v",
    ):
        bash_fail(session, command, GO_FAIL, code=2)
        outs.append(edit_test_file(session))
    assert all("has failed" not in out for out in outs), outs


def test_names_the_run_that_failed_twice_not_the_last_one(session: Session) -> None:
    bash_fail(session, "pytest tests/test_app.py -q", PY_FAIL)
    edit_test_file(session)
    bash_fail(session, "npm test", "FAIL src/a.test.ts\nTests: 1 failed")
    edit_test_file(session)
    bash_fail(session, "pytest tests/test_app.py -q 2>&1 | tail -20", PY_FAIL)
    blocks = labelled(edit_test_file(session), HOOK)
    assert len(blocks) == 1
    assert "`pytest tests/test_app.py -q 2>&1 | tail -20` has failed 2 times" in blocks[0]


def test_same_run_behind_cd_and_pipes_counts_together(session: Session) -> None:
    for command in (
        "pytest tests/test_app.py -q",
        f"cd {session.project} && pytest tests/test_app.py -q",
        "pytest tests/test_app.py -q 2>&1 | head -50",
    ):
        bash_fail(session, command, PY_FAIL)
        out = edit_test_file(session)
    assert "has failed 3 times" in out


def test_whole_suite_pass_clears_targeted_counts(session: Session) -> None:
    bash_fail(session, "pytest tests/test_app.py", PY_FAIL)
    edit_test_file(session)
    bash_fail(session, "pytest tests/test_app.py", PY_FAIL)
    bash(session, "pytest -q", "12 passed in 0.40s")
    assert labelled(edit_test_file(session), HOOK) == []


def test_pass_of_another_target_keeps_the_count(session: Session) -> None:
    bash_fail(session, "pytest tests/test_app.py", PY_FAIL)
    edit_test_file(session)
    bash_fail(session, "pytest tests/test_app.py", PY_FAIL)
    bash(session, "pytest tests/test_other.py", "3 passed in 0.10s")
    assert "`pytest tests/test_app.py` has failed 2 times" in edit_test_file(session)


def test_test_key() -> None:
    assert (
        run_under_test(CommandFacts("cd /p && pytest a.py -q 2>&1 | tail -5")) == "pytest a.py -q"
    )
    assert run_under_test(CommandFacts("go test ./a ./b")) != run_under_test(
        CommandFacts("go test ./b")
    )
    assert run_under_test(CommandFacts("uv run pytest -x")) == "pytest -x"


def test_a_session_file_from_before_the_field(session: Session) -> None:
    replay = Replay(session)
    del replay.doc["verification"]["fail_streaks"]
    replay.step(replay_bash_fail("pytest -q", f"Exit code 1\n{PY_FAIL}"))
    replay.step(replay_edit("return b", "return list(b)"))
    result = replay.step(replay_bash_fail("pytest -q", f"Exit code 1\n{PY_FAIL}"))
    assert result.state.doc["verification"]["fail_streaks"]["pytest -q"]["n"] == 2


def test_malformed_streaks_are_ignored() -> None:
    assert _longest_fail_streak({"fail_streaks": "junk"}, 2) is None
    assert _longest_fail_streak({}, 2) is None
    bad = {"fail_streaks": {"a": [3, 4], "b": {"n": "3"}, "c": {"n": 3, "call": 9, "cmd": "c"}}}
    assert _longest_fail_streak(bad, 2) == {"n": 3, "call": 9, "cmd": "c"}

"""verification_reminder (spec §4.10): verify after fix loops and runs of unverified edits."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Session, load_fixture, write_config
from tests.hooks.quality_payloads import bash, bash_fail, call_hook, labelled, write

HOOK = "verification_reminder"
FAILING = "FAILED tests/test_app.py::test_add - assert 1 == 2\n1 failed, 2 passed in 0.12s"


def fail_test(s: Session, command: str = "pytest -q") -> str:
    return bash_fail(s, command, FAILING)


def edits(s: Session, n: int, fixture: str = "03") -> str:
    out = ""
    for _ in range(n):
        out = s.send(fixture)
    return out


def fix_loop(s: Session) -> str:
    fail_test(s)
    s.send("03")
    fail_test(s)
    return s.send("03")


def distinct_edits(s: Session, n: int, ext: str = ".py") -> str:
    out = ""
    for i in range(n):
        out = write(s, f"mod{i}{ext}", f"x = {i}\n")
    return out


Case = Callable[[Session], str]

MUST_FIRE: list[tuple[str, Case, str]] = [
    ("A_fix_loop", fix_loop, "`pytest -q` has failed 2 times with edits in between;"),
    (
        "A_three_failures",
        lambda s: (fix_loop(s), fail_test(s), s.send("03"))[2],
        "has failed 3 times",
    ),
    ("B_five_code_edits", lambda s: edits(s, 5), "5 code edits since the last test/build/lint run"),
    ("B_five_distinct_files", lambda s: distinct_edits(s, 5), "5 code edits since"),
    (
        "B_after_a_pass_names_the_command",
        lambda s: (bash(s, "pytest -q", "3 passed in 0.1s"), edits(s, 5))[1],
        "run `pytest -q` before calling this done.",
    ),
    (
        "B_again_after_a_check",
        lambda s: (edits(s, 5), bash(s, "ruff check ."), edits(s, 9))[2],
        "9 code edits",
    ),
    (
        "B_MultiEdit",
        lambda s: (
            edits(s, 4),
            s.send(
                "03",
                tool_name="MultiEdit",
                tool_input={"edits": [{"old_string": "a", "new_string": "b"}]},
            ),
        )[1],
        "5 code edits",
    ),
]

MUST_NOT_FIRE: list[tuple[str, Case]] = [
    (
        "fixture_03_after_passing_test",
        lambda s: (bash(s, "pytest -q", "3 passed in 0.1s"), s.send("03"))[1],
    ),
    ("readme_edits", lambda s: distinct_edits(s, 6, ext=".md")),
    ("four_code_edits", lambda s: edits(s, 4)),
    ("one_failing_run", lambda s: (fail_test(s), s.send("03"))[1]),
    ("two_failures_without_edit_between", lambda s: (fail_test(s), fail_test(s), s.send("03"))[2]),
    ("A_once_per_failing_run", lambda s: (fix_loop(s), s.send("03"))[1]),
    ("B_cooldown_10_calls", lambda s: (edits(s, 5), edits(s, 9))[1]),
    # Issue 7 §3: once per stretch of unverified edits (the spec: again every 10 calls).
    ("B_once_per_unverified_stretch", lambda s: (edits(s, 5), edits(s, 10))[1]),
    ("verification_resets_count", lambda s: (edits(s, 4), bash(s, "ruff check ."), edits(s, 4))[2]),
    ("skip_path_edit", lambda s: (edits(s, 4), write(s, "node_modules/a/b.py", "x = 1\n"))[1]),
]


@pytest.mark.parametrize(("name", "case", "expected"), MUST_FIRE, ids=[c[0] for c in MUST_FIRE])
def test_fires(session: Session, name: str, case: Case, expected: str) -> None:
    blocks = labelled(case(session), HOOK)
    assert len(blocks) == 1, blocks
    assert expected in blocks[0]


@pytest.mark.parametrize(("name", "case"), MUST_NOT_FIRE, ids=[c[0] for c in MUST_NOT_FIRE])
def test_silent(session: Session, name: str, case: Case) -> None:
    assert labelled(case(session), HOOK) == []


def test_fix_loop_is_action(session: Session) -> None:
    out = fix_loop(session)
    assert out.startswith(f"[{HOOK}] `pytest -q` has failed 2 times")  # action sorts first
    assert "re-run it now and read the whole failure before changing more" in out


def main_agent_edits(edits: int, files: list[str]) -> dict:
    from posttool.lib.schema import AGENT_CHECKS, default_of

    return {**default_of(AGENT_CHECKS), "edits": edits, "files": files}


def unit(doc_changes: dict, call_index: int = 50) -> tuple:
    from posttool.lib.schema import new_session

    doc = new_session("s", "k", 0.0)
    doc["verification"].update(doc_changes)
    raw = load_fixture("03")
    return call_hook(HOOK, raw, doc=doc, call_index=call_index)


def test_severities_and_cooldown_keys() -> None:
    message, state = unit(
        {
            "fix_iterations": 2,
            "last_test_ok": False,
            "last_failed_test_call": 7,
            "last_test_cmd": "pytest -q",
            "fail_streaks": {"pytest -q": {"n": 2, "call": 7, "cmd": "pytest -q"}},
        }
    )
    assert message.severity == "action"
    assert f"{HOOK}|fix:7" in state.doc["cooldowns"]
    message, state = unit({"agents": {"": main_agent_edits(6, ["a.py", "b.py"])}})
    assert message.severity == "warn"
    assert message.text == (
        "6 code edits since the last test/build/lint run; run the relevant tests or checks "
        "before calling this done."
    )
    assert f"{HOOK}|unverified" in state.doc["cooldowns"]


def test_fix_loop_on_cooldown_falls_back_to_unverified() -> None:
    from posttool.lib.schema import new_session

    doc = new_session("s", "k", 0.0)
    doc["verification"].update(
        fix_iterations=2,
        last_test_ok=False,
        last_failed_test_call=7,
        fail_streaks={"pytest -q": {"n": 2, "call": 7, "cmd": "pytest -q"}},
        agents={"": main_agent_edits(5, ["a.py"])},
    )
    doc["cooldowns"][f"{HOOK}|fix:7"] = [0.0, 40]
    message, _ = call_hook(HOOK, load_fixture("03"), doc=doc, call_index=50)
    assert message.severity == "warn"


def test_thresholds_are_configurable(session: Session) -> None:
    write_config(session.home, {HOOK: {"edits_threshold": 2, "fix_iterations": 3}})
    assert labelled(edits(session, 2), HOOK)
    session2 = Session(session.home, session.project, "sess-2")
    assert "has failed" not in "".join(labelled(fix_loop(session2), HOOK))
